/*
 * flood.h — the signed news records of the bulk tests and benchmarks
 * (attack flood and mkexport, bench_store): record i has id "flood-i", a
 * minimal valid body (schemas/news.schema.json), version 1, and expires a
 * day after it was issued, plus i mod spread seconds.
 */
#ifndef GILDE_FLOOD_H
#define GILDE_FLOOD_H

#include <stdint.h>

#include "proto/alloc.h"

void flood_body(struct gl_buf *body);

/* A body like flood_body()'s whose title (7 words) and summary (35 words),
 * in Dutch and English, are words picked for record i from a vocabulary
 * of 64 per language: about 850 bytes a record, and terms for the search
 * index, as real news has. */
void flood_body_text(struct gl_buf *body, long i);

/* An offer's body for record i (schemas/offer.schema.json): a name and
 * a description of words as flood_body_text()'s, one to three needs of the
 * taxonomy, its languages, and for two offers in three an eligibility of
 * phases and sectors: the offers of a large federation, for the query
 * benchmarks. */
void flood_body_offer(struct gl_buf *body, long i);

/* Append record i of kind (RK_NEWS for flood_sign), signed by sk and
 * issued at now, to envs.  Returns 0 or the error of record_sign(). */
int flood_sign_kind(long i, int kind, uint64_t now, unsigned spread, const struct gl_buf *body,
                    const uint8_t sk[64], struct gl_buf *envs);
int flood_sign(long i, uint64_t now, unsigned spread, const struct gl_buf *body,
               const uint8_t sk[64], struct gl_buf *envs);

#endif
