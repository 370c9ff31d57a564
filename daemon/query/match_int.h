/*
 * match_int.h — the matcher's insides, shared by match.c (who is in, how
 * well) and match_out.c (the answer as JSON).  Nothing outside
 * daemon/query/match*.c includes it.
 */
#ifndef GILDE_QUERY_MATCH_INT_H
#define GILDE_QUERY_MATCH_INT_H

#include "proto/alloc.h"
#include "proto/bounds.h"
#include "proto/record.h"
#include "query/eligibility.h"
#include "query/match.h"
#include "query/todo.h"

/* The profile as the matcher reads it. */
struct mprofile {
	struct eligibility_profile e;
	struct todo_profile pp;
	unsigned speaks;           /* eligibility_lang_bit()s of the languages spoken */
	const char *lang;          /* the answer's language: "nl" or "en" */
	bool needs_given;          /* the starter chose the needs */
	struct todo_step items[TODO_ITEMS_MAX];
	size_t nitems;
};

/* An upcoming event of a partner, for MATCH_EVENT. */
struct mevent {
	uint8_t author[RECORD_KEY_LEN];
	char partner[GL_ID_MAX + 1];  /* the partner record's id, or "" */
	uint64_t sectors, needs;      /* term bits */
	char name[128];               /* in the answer's language, cut at a character */
	char date[11];
};

/* A partner looked up: by author and the offer's "partner" field. */
struct mpartner {
	uint8_t author[RECORD_KEY_LEN];
	char key[GL_ID_MAX + 1];       /* the offer's "partner", or "" */
	char id[GL_ID_MAX + 1];        /* the partner record's id, or "" if none */
	char name[128];
};

/* An offer in a copy of the table (match_cache.c): what is its own, and
 * its rule, which holds the rest of its facts (what judging reads). */
struct mfact {
	uint64_t needs;
	uint32_t at;           /* in strs: its author (RECORD_KEY_LEN bytes), id, NUL, partner, NUL */
	uint32_t rule;         /* in rules */
	uint8_t languages, nsectors, nactivities;
	bool free;
	uint8_t id_len, plen;  /* the lengths of its id and partner */
};

/* A copy of the store's table of facts at one generation, shared by the
 * matches that read it (refs, under the cache's lock). */
struct mtable {
	uint64_t gen;
	unsigned refs;
	struct mfact *v;
	size_t n, bytes;
	struct eligibility_offer *rules; /* the offers' distinct rules: their facts, with
	                                  * needs, languages, free, nsectors and nactivities 0 */
	uint32_t nrules;
	struct gl_buf strs;
};

/* An offer's facts, from its own and its rule's. */
static inline void match_fact(const struct mtable *tab, const struct mfact *f,
                              struct eligibility_offer *o)
{
	*o = tab->rules[f->rule];
	o->needs = f->needs;
	o->languages = f->languages;
	o->nsectors = f->nsectors;
	o->nactivities = f->nactivities;
	o->free = f->free;
}

/* The cache's copy for t's generation, held until match_cache_put(); NULL:
 * read the store (no generation, a copy being made, or too large). */
struct mtable *match_cache_get(struct match_cache *mc, struct store_txn *t);
void match_cache_put(struct match_cache *mc, struct mtable *tab);

/* An offer that is in (or in for later) and among the best of an item
 * so far (or, listing all, any offer in).  Kept in blocks that never
 * move: a struct ranked points at it. */
struct cand {
	uint8_t author[RECORD_KEY_LEN];
	char id[GL_ID_MAX + 1];
	char partner[GL_ID_MAX + 1];   /* its "partner" field, or "" */
	struct eligibility_offer facts;
	uint32_t unknown, failed;      /* bit per enum eligibility_criterion, as judged */
	bool later;                    /* only for the next phase */
	uint8_t fit[TODO_ITEMS_MAX];  /* enum eligibility_fit per item, as counted */
	unsigned families;             /* lines of needs it lists ("a loan" and "funding": one) */
};

/* How cd fared on criterion k. */
static inline enum eligibility_state match_state(const struct cand *cd, int k)
{
	return cd->failed >> k & 1    ? ELIGIBILITY_FAILED
	       : cd->unknown >> k & 1 ? ELIGIBILITY_UNKNOWN
	                              : ELIGIBILITY_MATCHED;
}

/* One ranked offer of an item. */
struct ranked {
	const struct cand *cd;
	int score;
	const struct mevent *event;   /* the event that counted, or NULL */
};

/* An item's list (or its later list) as the offers are read: the best so
 * far, best first (all of them, unsorted, when the match lists all), and
 * how many are in. */
struct mlist {
	struct ranked *rk;
	size_t n, cap, all;
	bool sorted;       /* match_list() has put it in order */
};

#define MATCH_CAND_BLOCK 256

struct mctx {
	const struct taxonomy *tax;
	const struct todo_paths *paths;
	struct mprofile p;
	uint64_t now;
	uint64_t under[TODO_ITEMS_MAX], above[TODO_ITEMS_MAX]; /* need bits per item */
	uint64_t narrower_ok;          /* child needs whose offers fill their parent here */
	int top[ELIGIBILITY_FACET_MAX];  /* each need's line: the need at its top */
	struct mevent *events;
	size_t nevents;
	unsigned per_item;             /* match_opts.per_item */
	struct cand **blocks;          /* the candidates, MATCH_CAND_BLOCK a block */
	size_t ncands;
	struct mlist lists[TODO_ITEMS_MAX][2]; /* [item][later] */
	struct mpartner *partners;     /* looked up so far (match_partner_of) */
	size_t npartners;
	unsigned considered, excluded;
};

/* The terms of a score (match.h, 4), in the order --explain shows them. */
enum mterm_kind {
	MT_TIER, MT_UNKNOWN, MT_SOFT, MT_FOCUS, MT_PHASE, MT_SECTOR, MT_ACTIVITY, MT_SITUATION,
	MT_SCHOOL, MT_STEP, MT_LANG, MT_FREE, MT_EVENT
};

struct mterm {
	enum mterm_kind kind;
	int points;
	int n;   /* the criterion (unknown, soft), how many lines or terms the offer
	          * lists (focus, phase, sector, activity), the fit (tier) */
};

#define MTERMS_MAX (2 * ELIGIBILITY_COUNT + 12)

/* The terms of cd's score for item i into out (MTERMS_MAX), and the event
 * that counted (or NULL); returns how many.  Their points add up to the
 * score: match_score() is their sum. */
size_t match_terms(const struct mctx *c, const struct cand *cd, size_t item,
                   struct mterm out[MTERMS_MAX], const struct mevent **event);
int match_score(const struct mctx *c, const struct cand *cd, size_t item,
                const struct mevent **event);

/* The JSON of a ranked offer for item i (match_out.c), its partner looked
 * up once per partner (c->partners); NULL if the offer is gone from t.
 * It is the members of match_offer_own() followed by those of
 * match_offer_scored(): */
json_t *match_offer_json(struct mctx *c, struct store_txn *t, const struct ranked *rk,
                         size_t item);
/* its own: author, id, name, description, partner, partner_id, url, contact,
 * contact_from, free, languages, of its record and its partner's in the
 * answer's language (NULL if the offer is gone from t); */
json_t *match_offer_own(struct mctx *c, struct store_txn *t, const struct cand *cd);
/* how it answers item i: answers, score, criteria, terms, reasons, and
 * for an offer for later its phases (read from t). */
json_t *match_offer_scored(const struct mctx *c, struct store_txn *t, const struct ranked *rk,
                           size_t item);

/* ---- a match in steps (match.c), for match_run() and match_run_text() ---- */

/* Judge and rank the offers of t for profile into c; *held is the copy of
 * the table read (or NULL).  match_release() c and *held in any case. */
int match_prepare(struct mctx *c, struct store_txn *t, const struct taxonomy *tax,
                  const json_t *profile, const struct match_opts *o, struct mtable **held,
                  struct gl_error *err);
void match_release(struct mctx *c, const struct match_opts *o, struct mtable *held);
/* The answer's members before "items" (match.h), a new object. */
json_t *match_head_json(const struct mctx *c, const json_t *profile);
/* Item i's members before "offers": need, label, path; a new object. */
json_t *match_item_head(const struct mctx *c, size_t i);
/* Item i's list (later: for the next phase), best first. */
struct mlist *match_list(struct mctx *c, size_t i, bool later);

/* ---- the texts of offers kept between matches (match_memo.c) -------------- */

/* Texts under keys of bytes, for one state of the store at a time (its
 * snapshot, store_txn_snapshot): a text kept for another state is not
 * found, and one put for a new state drops all the others.  At most
 * max_bytes in all (keys, texts and their bookkeeping): a text that would
 * pass it drops all the others first.  Thread-safe. */
struct match_memo;
struct match_memo *match_memo_new(size_t max_bytes);
void match_memo_free(struct match_memo *mm);
/* Append the text kept under key (klen bytes) for state gen to out; false
 * if none is. */
bool match_memo_get(struct match_memo *mm, uint64_t gen, const void *key, size_t klen,
                    struct gl_buf *out);
/* Keep text (len bytes) under key for state gen (0: nothing kept). */
void match_memo_put(struct match_memo *mm, uint64_t gen, const void *key, size_t klen,
                    const char *text, size_t len);
/* The memo of a cache (kept with it), or NULL for none. */
struct match_memo *match_cache_memo(struct match_cache *mc);

#endif
