/*
 * directory.h — the directory as a reader browses it: the partners with
 * the number of their offers, one partner's page, the offers a filter
 * keeps, the records a search finds.  The answers of the web API's
 * GET /api/v1/partners, /api/v1/partners/AUTHOR/ID, /api/v1/offers and
 * /api/v1/search (proto/API.md), made here so that any program that reads
 * the store (gilde too) gets the same lists.
 *
 * Records are in their JSON form (view.h: view_entry_json).  Only live
 * records are listed (no tombstones); an offer is listed only if it is
 * current (eligibility.h).  An offer, event or news item belongs to the
 * partner named by its "partner" field, by the same author; one without
 * "partner" belongs to no partner's page.
 *
 * Every function reads in the caller's transaction t, writes *out only on
 * success (a new JSON value the caller owns), and returns 0 or the store's
 * error (GL_ESTORE / GL_EIO, err says which).  Thread-safe: only t is
 * shared, and LMDB read transactions belong to one thread.
 */
#ifndef GILDE_QUERY_DIRECTORY_H
#define GILDE_QUERY_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "proto/bounds.h"
#include "proto/ident.h"
#include "proto/record.h"
#include "query/search.h"
#include "schemas/taxonomy.h"
#include "store/store.h"

/* The most news items of a partner's page (the newest). */
#define DIRECTORY_PARTNER_NEWS 20
/* A partner's page: at most this many of its offers, and of its events. */
#define DIRECTORY_PARTNER_OFFERS 100
#define DIRECTORY_PARTNER_EVENTS 100
/* An event without "end" is taken to last this long (seconds). */
#define DIRECTORY_EVENT_DEFAULT_LENGTH 86400

/*
 * What directory_offers() keeps; every field is optional (NULL: any) and
 * all that are given must hold.  phase, sector and activity are judged by
 * eligibility_judge() as a profile that says only that: a criterion the
 * offer restricts must admit it, a soft one too (a list has no ranking to
 * put a preference in).
 */
struct directory_offer_filter {
	const char *phase, *sector, *activity; /* term ids */
	const char *need;      /* answered exactly or in part (eligibility_fit) */
	const char *lang;      /* its languages hold it */
	const uint8_t *author; /* only this author's offers (RECORD_KEY_LEN bytes) */
	const char *partner;   /* only offers whose "partner" is this id */
};

/* A page of directory_offers(): at most limit offers (1 to
 * DIRECTORY_OFFERS_MAX), those after the cursor `after` if given (the
 * `next` of the page before: "PARTNER/ID/AUTHOR"). */
#define DIRECTORY_OFFERS_LIMIT 200
#define DIRECTORY_OFFERS_MAX 1000
#define DIRECTORY_CURSOR_MAX (2 * GL_ID_MAX + IDENT_TEXT_MAX + 3)
struct directory_page {
	const char *after; /* NULL: from the first */
	size_t limit;
};

/*
 * The current offers that f keeps, at now (seconds since the epoch), in
 * the order "partner" (none first), then id, then author: a page of them,
 * as a JSON array in *out, and in next the cursor of the page after it
 * ("" if none follows).  Whatever the store holds, this holds at most
 * limit + 1 offers in memory at once.  GL_EINVAL (err says which) for a
 * limit out of range or a cursor that does not read.
 */
int directory_offers(struct store_txn *t, const struct taxonomy *tax,
                     const struct directory_offer_filter *f, uint64_t now,
                     const struct directory_page *pg, json_t **out,
                     char next[DIRECTORY_CURSOR_MAX], struct gl_error *err);

/* A page of directory_partners(): 1 to DIRECTORY_PARTNERS_MAX partners. */
#define DIRECTORY_PARTNERS_LIMIT 500
#define DIRECTORY_PARTNERS_MAX 1000

/*
 * The partner records sorted by id, then author, a page of them (pg: at
 * most limit, after the cursor "ID/AUTHOR" if given), as a JSON array in
 * *out, each with one more member, "offers": the number of the current
 * offers (at now) that belong to it; in next the cursor of the page after
 * it ("" if none follows).  Whatever the store holds, this holds at most
 * limit + 1 partners in memory at once.  GL_EINVAL (err says which) for a
 * limit out of range or a cursor that does not read.
 */
int directory_partners(struct store_txn *t, uint64_t now, const struct directory_page *pg,
                       json_t **out, char next[DIRECTORY_CURSOR_MAX], struct gl_error *err);

/*
 * One partner's page, at now:
 *   {"partner": record, "offers": [...], "events": [...], "news": [...],
 *    "more": {"offers": N, "events": N, "news": N}}
 * with its first DIRECTORY_PARTNER_OFFERS current offers (by id), its
 * first DIRECTORY_PARTNER_EVENTS events that have not ended (an event
 * without "end" lasting DIRECTORY_EVENT_DEFAULT_LENGTH; by start, then
 * id) and its newest DIRECTORY_PARTNER_NEWS news items (newest
 * "published" first, then by id); "more" counts those of each left out.
 * However many records the partner has, only the page's are kept in
 * memory and turned into JSON.  Returns GL_ENOTFOUND (err says which) if
 * author holds no live partner record `id`.
 */
int directory_partner(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], const char *id,
                      uint64_t now, json_t **out, struct gl_error *err);

/*
 * search_query() (search.h, whose parameters these are) with each hit as
 * {"score": number, "record": record}, best first.  Returns its errors:
 * GL_ELIMIT / GL_EFORMAT for a text it cannot take, besides the store's.
 */
int directory_search(struct store_txn *t, const char *text, const struct search_opts *o,
                     json_t **out, struct gl_error *err);

#endif
