/*
 * match.h — a starter's profile against the directory: the to-do list a
 * good adviser would write.  One matcher for `gilde match`, `gilde plan`
 * and POST /api/v1/match.
 *
 * The profile is a JSON object following schemas/profile.schema.json.
 *
 * 1. The list.  Its needs are the ones the starter chose ("needs"), or,
 *    without them, the ones the to-do paths propose from the other
 *    answers (todo.h: a shop at prestart gets registration, a loan,
 *    premises, …; a foreign start-up soft landing first).  Either way the
 *    paths give the order.
 *
 * 2. Who is in.  Each live offer is judged criterion by criterion
 *    (eligibility.h).  A failed hard criterion rules it out, but for one
 *    case: an offer whose only failure is the phase, and that is for the
 *    phase after the starter's (todo.h: next_phase), is listed under
 *    "later" — what an adviser arranges ahead, not hidden.
 *
 * 3. What it answers.  An offer answers an item's need
 *      exactly   it lists that need                      MATCH_EXACT
 *      in part   it lists a narrower need, and the profile points there
 *                (todo.h: narrower; a patent office answers "legal"
 *                only for research or a tech product): an exact answer
 *                to the part that concerns this starter    MATCH_EXACT
 *      in general it lists a broader need (general help) MATCH_GENERAL;
 *                listed only if it meets every criterion, soft ones too
 *    These are tiers, MATCH_EXACT - MATCH_GENERAL points apart: the terms
 *    of tailoring below never add up to that, so an offer made for the
 *    need (or for the part of it that concerns this starter) ranks above
 *    general help for it.
 *
 * 4. The terms that rank offers within a tier, each shown by --explain so
 *    that the score adds up.  Most say how closely the offer is made for
 *    this starter: an offer that narrows its audience to people like them
 *    is what an adviser names first; one open to all is general help,
 *    however well it is written.  Each counts only where the offer
 *    restricts the criterion and the starter meets it:
 *      made for this need     all its needs in one line ("a loan" and
 *                             "funding" are one): MATCH_FOCUS[1]; in two:
 *                             MATCH_FOCUS[2];
 *      made for your phase    MATCH_PHASE[n] for an offer for n phases;
 *      made for your sector   MATCH_SECTOR[n] for an offer for n sectors
 *                             (a cluster for six sectors is hardly "made
 *                             for" each);
 *      made for your business MATCH_ACTIVITY[n] for n kinds of business;
 *      made for your situation MATCH_SITUATION for an offer only for
 *                             students, founders from abroad, a side
 *                             activity, research results, a takeover,
 *                             those a bank turned down or jobseekers,
 *                             when you are;
 *                             MATCH_SCHOOL for one only for the students
 *                             of at most three schools, yours among them;
 *    and the rest:
 *      first things first     MATCH_STEP[i] for an offer under the list's
 *                             i-th step (from 0): the same for every offer
 *                             of a step, so it orders nothing within one,
 *                             but across the list an offer for the first
 *                             step weighs more than as good a one for the
 *                             sixth, as an adviser's list does;
 *      language               0 in the answer's language; MATCH_LANG_OTHER
 *                             in another you speak; MATCH_LANG_NONE else;
 *      free                   MATCH_FREE;
 *      an event soon          MATCH_EVENT when the offer's partner holds
 *                             an event in the next 90 days on one of the
 *                             offer's needs, and for your sector or on
 *                             this item's need, that is for you: its
 *                             eligibility, phases and sectors are judged
 *                             as an offer's, and one that rules you out
 *                             (an evening for students, a session on a
 *                             side activity for a full-time starter)
 *                             lifts nothing; a recurring one, such as
 *                             weekly office hours, is no occasion;
 *      unknown criterion      MATCH_UNKNOWN each: it restricts what your
 *                             profile does not say (check it); for
 *                             sectors when you named none, minus what
 *                             "made for your sector" would give, if more,
 *                             but not past MATCH_SOFT for a preference
 *                             (an offer for one sector is unlikely yours:
 *                             a starter who skipped the question saw the
 *                             artists' desk and the medtech rules high);
 *      a preference unmet     MATCH_SOFT each: a soft criterion failed.
 *    Ties: partner name, then id.
 *
 * Output (*out, a new JSON object the caller owns):
 *   { "profile": {…}, "needs_from": "profile" | "paths",
 *     "paths": [ { "id", "label" } … ],      the paths that hold, in order
 *     "offers_considered": n, "offers_excluded": n,
 *     "items": [ { "need", "label", "path": id | null,
 *                  "offers": [ OFFER … ], "more": n,
 *                  "later": [ OFFER + "phases" … ] } … ] }
 *   OFFER = { "author", "id", "name", "description", "partner", "partner_id", "url",
 *             "contact": {…} | null, "contact_from": "offer" | "partner" | "none",
 *             "free", "languages", "score",
 *             "answers": "exactly" | "in part" | "in general",
 *             "criteria": { name: "matched" | "unknown" | "failed" },
 *             "terms": [ { "code", "what": text in the answer's language,
 *                          "points": n } … ],  (sum = score)
 *             "reasons": [ text … ] }
 */
#ifndef GILDE_QUERY_MATCH_H
#define GILDE_QUERY_MATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "query/eligibility.h"
#include "query/todo.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
#include "store/derived.h"
#include "store/store.h"

#define MATCH_EXACT 50
#define MATCH_GENERAL 30
/* By how many lines of needs, phases, sectors, kinds of business the offer
 * lists (index; past the end: 0).  All the terms of tailoring together
 * stay under the points between the tiers. */
#define MATCH_FOCUS { 0, 2, 1 }
#define MATCH_PHASE { 0, 2, 1 }
#define MATCH_SECTOR { 0, 4, 3, 2, 2, 1, 1 }
#define MATCH_ACTIVITY { 0, 3, 2, 1, 1 }
#define MATCH_STEP { 5, 4, 3, 2, 1 }
#define MATCH_SITUATION 3
#define MATCH_SCHOOL 2
#define MATCH_LANG_OTHER (-1)
#define MATCH_LANG_NONE (-4)
#define MATCH_FREE 1
#define MATCH_EVENT 1
#define MATCH_UNKNOWN (-1)
#define MATCH_SOFT (-3)
/* How far ahead a partner's event counts. */
#define MATCH_EVENT_HORIZON (90 * 86400)

struct match_cache;

struct match_opts {
	const char *lang;           /* "nl" or "en": labels and texts; NULL: the profile's, else en */
	unsigned per_item;          /* most offers listed per item (and later); 0: all */
	uint64_t now;               /* seconds; 0: the clock */
	const struct todo_paths *paths; /* the to-do paths (todo_load); required */
	struct match_cache *cache;  /* a copy of the offers' facts kept between matches; NULL: none */
};

/*
 * The offers' facts as a derived table of the store (store/derived.h,
 * match_facts.c), so that a match reads one small fixed value per offer
 * rather than each offer's body.  gilded fills a struct match_facts with
 * its taxonomy and hands &mf->derive to store_open_with(); match_run()
 * reads the table when its version is the one its own taxonomy gives,
 * and the bodies otherwise.  Both the struct and tax must outlive the
 * store.
 */
#define MATCH_FACTS_VERSION_MAX 96
struct match_facts {
	struct store_derive derive;
	char version[MATCH_FACTS_VERSION_MAX];
};
void match_facts_init(struct match_facts *mf, const struct taxonomy *tax);
/* The version of the table that tax gives. */
void match_facts_version(const struct taxonomy *tax, char out[MATCH_FACTS_VERSION_MAX]);
/* An offer's facts and its "partner" field from a value of the table;
 * false for a value of another shape. */
bool match_facts_decode(const uint8_t *val, size_t len, struct eligibility_offer *o,
                        char partner[GL_ID_MAX + 1]);

/*
 * A copy of the store's table of the offers' facts in memory, for a
 * process that matches often (gilded's web server): match_run() given
 * one (match_opts.cache) reads the copy rather than the table while the
 * store says the table has not changed since (its generation,
 * store/derived.h), and else makes a new copy in its transaction, one
 * match at a time (the others of that generation wait for it; those of
 * another read the store meanwhile).  A table larger
 * than max_bytes is not copied.  The answers are the same either way.
 * One cache serves one store (it knows the table by its generation only).
 * Thread-safe; free it after the last match that used it has returned.
 */
#define MATCH_CACHE_BYTES (32u << 20)
/* The cache keeps the text of the offers answered too (match_run_text),
 * for the store state they were read in, up to this many bytes. */
#define MATCH_MEMO_BYTES (8u << 20)
struct match_cache *match_cache_new(size_t max_bytes);
void match_cache_free(struct match_cache *mc);

/*
 * Check a profile against profile.schema.json.  Returns 0, or GL_ESCHEMA
 * with every problem in err, each line starting with `source`.
 */
int match_profile_check(const struct schema_set *set, const json_t *profile,
                        const char *source, struct gl_error *err);

/*
 * Match a (checked) profile against the live offers of the store into
 * *out (above).  Returns 0, GL_EINVAL (no paths in o) or a store error.
 */
int match_run(struct store_txn *t, const struct taxonomy *tax, const json_t *profile,
              const struct match_opts *o, json_t **out, struct gl_error *err);

/*
 * The answer of match_run() as its text, as json_dumps(out, JSON_COMPACT)
 * writes it, byte for byte, with the members of tail (an object, or NULL;
 * names other than the answer's) after "items", as json_object_set() would
 * add them.  Each value's text is jansson's; with o->cache, the pieces of
 * an offer's (its own members; how it answers the item) are kept
 * (match_text.c, match_memo.c) under all they are made of, for the
 * store's state (store_txn_snapshot), and taken from there when a later
 * match of that state lists them alike.  *text (NUL-terminated, len
 * bytes) is the caller's to free.  Returns what match_run() does, or
 * GL_EINVAL if jansson could not write a value.
 */
int match_run_text(struct store_txn *t, const struct taxonomy *tax, const json_t *profile,
                   const struct match_opts *o, const json_t *tail, char **text, size_t *len,
                   struct gl_error *err);

/* Whether a and b, OFFERs of answers (or a plan's copies of them), are the
 * same record: the same author and id. */
bool match_same_offer(const json_t *a, const json_t *b);

#endif
