/*
 * match.h — a starter's profile against the directory: which offers fit,
 * how well, and in what order to work through them.  Used by `gilde match`,
 * `gilde plan` and a city node's web API (POST /api/v1/match), so there is
 * one matcher.
 *
 * The profile is a JSON object following schemas/profile.schema.json.
 * Each live offer is judged criterion by criterion (phases, sectors,
 * activities, areas, student, international, max_company_age) by the rule
 * of eligibility.h, the same one the offer lists of directory.h use:
 *   matched  the profile meets it, or the offer does not restrict it;
 *   unknown  the offer restricts it but the profile does not say
 *            (kept, −1: the starter should check);
 *   failed   the profile does not meet it: a hard criterion excludes the
 *            offer, a soft one (listed in the offer's eligibility.soft)
 *            costs −4.
 * Offers that are not current (eligibility_current(): inactive, or past
 * their valid_until) are excluded.
 *
 * A kept offer answers a profile need if its needs hold that need
 * (exactly, +10), a narrower one under it (+9), or the broader one above
 * it (+8: general help).  Then: specific to one of the starter's sectors
 * +3; offered in the starter's language +2, else −3; free +1; its
 * partner holds an event on one of its needs in the next 90 days +2;
 * each further profile need it also answers +1.
 *
 * The result is a to-do list: one item per profile need, in the
 * taxonomy's order of needs (the order a starter meets them), each with
 * the offers that answer it, best first (score, then partner, then id).
 * A need no offer answers is listed with no offers: a gap.
 */
#ifndef GILDE_MATCH_H
#define GILDE_MATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "schemas/schema.h"
#include "store/store.h"
#include "schemas/taxonomy.h"

struct match_opts {
	const char *lang;    /* "nl" or "en": labels and texts; NULL: the profile's, else en */
	unsigned per_item;   /* most offers listed per item; 0: all */
	uint64_t now;        /* seconds; 0: the clock */
};

/*
 * Check a profile against profile.schema.json.  Returns 0, or GL_ESCHEMA
 * with every problem in err, each line starting with `source`.
 */
int match_profile_check(const struct schema_set *set, const json_t *profile,
                        const char *source, struct gl_error *err);

/*
 * Match a (checked) profile against the live offers of the store.  *out
 * receives a new JSON object (the caller owns it):
 *   { "profile": {…}, "offers_considered": n, "offers_excluded": n,
 *     "items": [ { "need": id, "label": text,
 *                  "offers": [ { "author", "id", "name", "partner",
 *                                "partner_id", "url", "email", "phone", "free",
 *                                "languages", "score",
 *                                "answers": "exactly" | "in part" | "in general",
 *                                "criteria": { name: "matched" | "unknown" | "failed" },
 *                                "reasons": [ text, … ] } … ],
 *                  "more": n } … ] }
 * Returns 0 or a store error.
 */
int match_run(struct store_txn *t, const struct taxonomy *tax, const json_t *profile,
              const struct match_opts *o, json_t **out, struct gl_error *err);

#endif
