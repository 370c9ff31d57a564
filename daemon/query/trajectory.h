/*
 * trajectory.h — the progress events (store/progress.h) counted into
 * figures: per bucket of starters, the funnel of each need, the partners
 * chosen for it, the needs where nothing fits, and the common orders of
 * steps with the weeks between them.  Live and unsuppressed: release.h
 * decides what of it may be shown.
 *
 * A starter is a token.  Each token belongs to one bucket, from the
 * answers of its latest event, and its figures count there only.  The
 * buckets are a partition made bottom-up with a fixed rule:
 *
 *   level 4  phase, sector, activity, student, international, side activity
 *   level 3  phase, sector, activity
 *   level 2  phase, sector
 *   level 1  phase
 *   level 0  everyone
 *
 * A level-4 group of at least k tokens is a bucket; the tokens of smaller
 * groups go up a level, where the groups of at least k of them (by the
 * fields that level fixes) are buckets; and so on to level 0, whose
 * tokens are in no bucket when fewer than k are left.  So every bucket
 * holds at least k tokens, no token is in two buckets, and no bucket
 * nests in another: a level-2 bucket holds the starters of its phase and
 * sector that are in no finer bucket, never those of a finer one.  The
 * rule has no parameter but k; no query picks or narrows it.
 *
 * A figure counts distinct tokens of one bucket:
 *   "starters"                       the bucket's tokens
 *   "need/NEED/STEP"                 tokens with that step for the need
 *                                    (listed, chosen, done, dropped,
 *                                    nofit), and "need/NEED/unmet": said
 *                                    nofit, or listed it at least
 *                                    TRAJECTORY_UNMET_WEEKS ago and chose,
 *                                    ticked and dropped nothing for it
 *   "partner/NEED/AUTHOR/ID"         tokens that chose that partner for
 *                                    the need (ID "" : the author's own)
 *   "order/A,B[,C]"                  tokens whose first ticked-off needs
 *                                    were A then B (then C), with the
 *                                    lower median of the weeks between
 *                                    each step and the next
 * A token's order is its first TRAJECTORY_ORDER_MAX needs ticked off, or
 * all of them if fewer (at least two): the orders are a partition too.
 */
#ifndef GILDE_QUERY_TRAJECTORY_H
#define GILDE_QUERY_TRAJECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"
#include "query/insight.h"
#include "schemas/taxonomy.h"
#include "store/progress.h"

/* k is never below this: a figure of fewer starters would single them out. */
#define TRAJECTORY_K_MIN 5
#define TRAJECTORY_K_DEFAULT 10
/* Steps of an order. */
#define TRAJECTORY_ORDER_MAX 3
/* A listed need counts as unmet after this many weeks without a choice. */
#define TRAJECTORY_UNMET_WEEKS 4
/* Needs the taxonomy may have for the figures (bit masks). */
#define TRAJECTORY_NEEDS_MAX 64
/* The longest bucket id ("prestart.social-economy.social-enterprise.nnm")
 * and figure key ("partner/NEED/ed25519:…/ID"), with their NULs. */
#define TRAJECTORY_BUCKET_MAX 64
#define TRAJECTORY_KEY_MAX 192

struct figure {
	char bucket[TRAJECTORY_BUCKET_MAX];
	char key[TRAJECTORY_KEY_MAX];
	uint32_t n;        /* distinct tokens */
	uint8_t nweeks;    /* orders: the medians, one per step after the first */
	uint16_t weeks[TRAJECTORY_ORDER_MAX - 1];
};

struct figures {
	struct figure *v;
	size_t n, cap;
	uint64_t tokens;  /* tokens read */
	uint64_t outside; /* of them in no bucket (fewer than k left at level 0) */
};

/*
 * Count the events of t into figures, with buckets of at least k tokens
 * (k >= TRAJECTORY_K_MIN), in week `week` (insight_week_of: now).  Events
 * that do not read against tax are left out.  On success *out holds the
 * figures sorted by bucket, then key (free with figures_free); every
 * figure counts at least one token.  Returns 0, GL_EINVAL (k below the
 * floor), GL_ELIMIT (a taxonomy of over TRAJECTORY_NEEDS_MAX needs) or a
 * store error from the scan.
 */
int trajectory_count(struct progress_txn *t, const struct taxonomy *tax, unsigned k,
                     uint32_t week, struct figures *out, struct gl_error *err);

void figures_free(struct figures *f);
/* Append a figure (bucket and key are copied, cut to their limits). */
struct figure *figures_add(struct figures *f, const char *bucket, const char *key, uint32_t n);
/* Sort by bucket, then key. */
void figures_sort(struct figures *f);

/*
 * A bucket id's fields as JSON, as the insight record has them:
 * "level", and "phase", "sector", "activity", "student",
 * "international", "side_activity" for those its level fixes and the
 * starters answered.  NULL for an id that does not read against tax.
 */
json_t *trajectory_bucket_fields(const struct taxonomy *tax, const char *id);

#endif
