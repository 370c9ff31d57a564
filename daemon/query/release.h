/*
 * release.h — what of the figures (trajectory.h) may be shown: the
 * release, the one thing `gilde insight`, GET /api/v1/insight, the gaps
 * by demand and the insight records are made from.  Nothing reads the
 * live figures but this module.
 *
 * A release shows a figure only if it counts at least k starters, and
 * changes a figure it showed only when the figure has moved by k or more
 * since (up, or down to nothing).  Until then it keeps showing the old
 * value, the medians with it.  So:
 *   - a figure of fewer than k starters is never shown;
 *   - two releases never differ by fewer than k starters in any figure:
 *     one event, or k - 1 of them, or a starter withdrawing, changes
 *     nothing anyone can read, and the same question asked before and
 *     after gets the same answer;
 *   - no question narrows it: there is one release, its buckets a
 *     partition with a fixed rule (trajectory.h), and no parameter picks
 *     a sub-bucket, a time window or a filter.  A figure for a coarser
 *     cell (gaps by demand: need × phase × sector) is only ever the sum
 *     of figures the release shows, so it tells nothing they do not.
 * A release made with a larger k than the one before drops the old
 * figures below it.
 *
 * The release, a JSON object (kept in the progress environment's meta
 * "release" by the node that collects):
 *   { "format": 1, "k": 10, "week": "2026-W11", "release": 7,
 *     "buckets": [ BUCKET, … ] }            buckets by id
 * (release_list adds "from" and "more", and may cut "buckets")
 *   BUCKET = { "id": "prestart.retail", "level": 2, "phase": …, "sector": …,
 *              ("activity", "student", "international", "side_activity"),
 *              "starters": n,
 *              "needs": [ { "need", "listed", "chosen", "done", "dropped",
 *                           "nofit", "unmet" }, … ],  taxonomy order
 *              "partners": [ { "need", "author", ("partner"), "starters" }, … ],
 *              "orders": [ { "steps": [need, …], "starters", "weeks": [n, …] }, … ] }
 * Every count is at least k; a figure not shown is left out (a need row
 * with no count shown is left out whole).  "partners" keeps the
 * RELEASE_PARTNERS_MAX largest of a bucket, "orders" RELEASE_ORDERS_MAX,
 * as the insight record's schema allows.
 */
#ifndef GILDE_QUERY_RELEASE_H
#define GILDE_QUERY_RELEASE_H

#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "query/trajectory.h"
#include "schemas/taxonomy.h"
#include "store/progress.h"
#include "store/store.h"

#define RELEASE_FORMAT 1
#define RELEASE_PARTNERS_MAX 64 /* insight.schema.json: partners maxItems */
#define RELEASE_ORDERS_MAX 16   /* insight.schema.json: orders maxItems */
/* The progress environment's meta key the node's release is kept under. */
#define RELEASE_META "release"

/*
 * The next release from the live figures and prev (the release before,
 * NULL for none), with k in week (insight_week_of).  Returns a new object
 * (the caller's) whose "release" is prev's + 1 if its buckets differ
 * from prev's, else prev's (1 for the first).
 */
json_t *release_make(const json_t *prev, const struct figures *live, const struct taxonomy *tax,
                     unsigned k, uint32_t week);

/* The figures a release shows, sorted (release_make's inverse); figures
 * it cannot read are left out. */
void release_figures(const json_t *release, struct figures *out);

/*
 * The bodies of the insight records of a release: an array of
 * { "id": bucket id, "body": { "k", "level", fields, "starters", "needs",
 * "partners", "orders" } } (schemas/insight.schema.json, with kind and id
 * in the envelope).  The caller owns it.
 */
json_t *release_bodies(const json_t *release);

/* The "from" of the node's own release. */
#define RELEASE_OWN "this node"
/* The releases release_list names: an author may publish many records and
 * anyone may ask, so the list is bounded (issue 22: 64 MiB in all). */
#define RELEASE_AUTHORS_MAX 16
/* The buckets one answer carries of a release: at most this many, and of
 * records of at most RELEASE_BUCKET_BYTES_MAX bytes in all (one always). */
#define RELEASE_BUCKETS_MAX 500
#define RELEASE_BUCKET_BYTES_MAX (1u << 20)

/*
 * The releases a node can show, newest first, at most RELEASE_AUTHORS_MAX:
 * its own (from p, NULL if it keeps none) as { "from": "this node", "k",
 * "week", "release", "buckets", "more" }, then the newest (by "issued",
 * then key) authors of insight records in the store but own_pk, each as
 * { "from": author key, "name": its node record's name if held, "issued":
 * the newest record's time, "k", "buckets", "more" }.  A record whose
 * counts break PROTOCOL.md 2.8 counts for nothing.
 *
 * Only one release carries buckets: the one whose "from" is `from`, or the
 * first for NULL; release_fill says which.  Every other has "buckets": []
 * and "more": how many it has.  So the answer is bounded whatever the
 * store holds: the first pass keeps small figures per author, and only
 * the chosen author's records are read whole.
 *
 * Returns 0 and a new array (the caller's), GL_ENOTFOUND if from names no
 * listed release, or a store error.
 */
int release_list(struct store_txn *t, struct progress_txn *p, const uint8_t own_pk[32],
                 const char *from, json_t **out, struct gl_error *err);

/*
 * Put into release (an element of release_list's answer) its buckets:
 * "buckets" the first in id order (each record's body with its "id", its
 * "k" left out), at most RELEASE_BUCKETS_MAX and RELEASE_BUCKET_BYTES_MAX,
 * and "more" the number left out.  The own release's come from p (its
 * buckets by id as made).  Returns 0, GL_EFORMAT if "from" is neither
 * "this node" nor a key, or a store error (release unchanged).
 */
int release_fill(struct store_txn *t, struct progress_txn *p, json_t *release,
                 struct gl_error *err);

/*
 * What gaps by demand (query/gaps.h) reads of the first release
 * release_list names, with every bucket counted and little held: the
 * release's fields but "more", its "buckets" one per phase and sector
 * found (either may be absent) as { "phase", "sector", "starters": the
 * sum, "needs": [ { "need", "unmet": the sum }, … ] }, the records read
 * one at a time.  Each sum is of figures the release shows, so it tells
 * nothing they do not.  Returns 0 and *out a new object, or NULL if the
 * node shows no release; or a store error.
 */
int release_demand(struct store_txn *t, struct progress_txn *p, const uint8_t own_pk[32],
                   json_t **out, struct gl_error *err);

#endif
