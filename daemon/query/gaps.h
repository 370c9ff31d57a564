/*
 * gaps.h — where the directory's offer has holes: for every need and phase
 * of the taxonomy (and, if asked, every sector), how many live offers
 * answer it and from how many partners.  Used by `gilde gaps` and the web
 * API's GET /api/v1/gaps (proto/API.md), so both count the same way.
 *
 * An offer counts for a cell (need N, phase P[, sector S]) if
 *   - it is live: held and not retracted, and current as match_run() has
 *     it (eligibility_current(): status not "inactive", valid_until not
 *     past);
 *   - it answers N: its needs hold N itself or a narrower term under N
 *     (financing-loan counts for financing).  A broader need does not
 *     count: an offer for "financing" does not fill the cell of
 *     "financing-loan".  These are match.h's "exactly" and "in part"
 *     answers; its "in general" answers (a broader need, +8) are left out
 *     on purpose, because a report of gaps asks where specific help is
 *     missing, and one general offer would otherwise fill every narrower
 *     cell under it.  So a starter may still be shown general offers by
 *     `gilde match` for a need that is a gap here;
 *   - its eligibility allows P (eligibility.phases absent, or holding P)
 *     and S (eligibility.sectors absent, or holding S).  Other criteria
 *     (areas, activities, student, …) do not split cells and are ignored.
 * Terms an offer names that the taxonomy does not know are ignored.
 *
 * The partners of a cell are counted as distinct (author, partner) pairs:
 * the offer's author key and its "partner" field; an offer without
 * "partner" counts as its author's own (the pair (author, none)).
 *
 * A gap is a cell with no offer or with offers from one partner only: a
 * starter there has no choice.
 *
 * Cost: one scan of the live offers (each body read in place), memory in
 * proportion to the number of live offers plus the number of cells.
 */
#ifndef GILDE_GAPS_H
#define GILDE_GAPS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "store/store.h"
#include "schemas/taxonomy.h"

/* The most terms a facet may have for gaps_run (its sets are bit masks). */
#define GAPS_NEEDS_MAX 64
#define GAPS_PHASES_MAX 32
#define GAPS_SECTORS_MAX 32

/*
 * Count the live offers of the store per cell.  t is a read (or write)
 * transaction; nothing is written.  tax gives the needs, phases and
 * sectors and their order.  now is the time in seconds since the epoch
 * against which valid_until is judged (0: the clock).
 *
 * On success *out receives a new JSON object, which the caller owns:
 *   { "by_sector": bool,
 *     "needs": [id, …], "phases": [id, …], ("sectors": [id, …] if by_sector)
 *     "cells": [ { "need": id, "phase": id, ("sector": id,)
 *                  "offers": n, "partners": n }, … ],
 *     "gaps":  [ the cells with offers == 0 or partners == 1 ] }
 * cells run over needs, then phases, then sectors, each in the taxonomy's
 * order; gaps keep that order.  A cell object may appear in both arrays
 * (the same json_t, referenced twice).
 *
 * Returns 0, GL_EINVAL if t, tax or out is NULL, GL_ESCHEMA if the
 * taxonomy has no needs or no phases (or no sectors, with by_sector),
 * GL_ELIMIT if a facet has more terms than GAPS_*_MAX, or a store error
 * (GL_EIO, GL_ESTORE) from the scan.  *out is set only on success.
 * Records that do not parse are skipped, as match_run() does.
 */
int gaps_run(struct store_txn *t, const struct taxonomy *tax, bool by_sector, uint64_t now,
             json_t **out, struct gl_error *err);

/*
 * The same, weighed by demand (issue 26): release is one of the releases
 * a node holds (query/release.h, release_list or the sums of
 * release_demand, which give the same answer), or NULL for none.
 *
 * Without a release, or with one that shows no bucket (fewer than k
 * starters so far), the answer is gaps_run's, unchanged.  With one, each
 * cell gets "unmet": how many opted-in starters needed its need and chose
 * or found nothing, as the release counts them (a bucket's need row
 * "unmet": said no offer fits, or had it on their list four weeks and
 * more and chose no partner).  A cell's figure is the sum over the
 * release's buckets of its phase (and sector, with by_sector; buckets of
 * level 0, or of level 1 with by_sector, name no such cell and count for
 * none), and over figures the release shows only, so it tells nothing
 * the release does not; 0 where it shows none.  The answer gets
 *   "demand": { "from": the release's "from", "k", ("week" | "issued"),
 *               "starters": the sum of its buckets' "starters" }
 *   "unmet":  [ the cells with unmet > 0, most first ]
 * and "gaps" is ordered by unmet, most first, the cell order kept among
 * equals: the gaps that matter first.
 *
 * Returns as gaps_run.
 */
int gaps_run_demand(struct store_txn *t, const struct taxonomy *tax, bool by_sector, uint64_t now,
                    const json_t *release, json_t **out, struct gl_error *err);

#endif
