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

/* Append record i, signed by sk and issued at now, to envs.  Returns 0 or
 * the error of record_sign(). */
int flood_sign(long i, uint64_t now, unsigned spread, const struct gl_buf *body,
               const uint8_t sk[64], struct gl_buf *envs);

#endif
