/*
 * eligibility.h — the one rule for "is this offer for a starter like
 * this?", shared by the matcher (match.h: `gilde match`, `gilde plan`,
 * POST /api/v1/match), the offer lists (directory.h: GET /api/v1/offers,
 * a partner's page) and the gaps report (gaps.h: which offers are live).
 *
 * An offer's body (record.h: r->body, the msgpack map a record_parse()
 * accepted) is read once into a struct eligibility_offer: the facts the
 * rule needs, as bit sets over the taxonomy's terms (a term's bit is its
 * order in its facet, taxonomy.h), so that every question asked of it
 * afterwards is a few machine instructions, whatever the profile.
 *
 *   current   its status is not "inactive" and its valid_until, if it has
 *             one that reads as a date, has not passed: the offer holds
 *             through that whole day, UTC;
 *   judge     each criterion of its "eligibility" against what a starter's
 *             profile says:
 *               MATCHED  the profile meets it, or the offer does not
 *                        restrict it;
 *               UNKNOWN  the offer restricts it, the profile does not say;
 *               FAILED   the profile does not meet it.
 *             A criterion named in eligibility.soft is a preference: what
 *             a failed one costs is the caller's to decide (the matcher
 *             keeps the offer at a cost, a filtered list leaves it out);
 *   fit       how its "needs" answer one need of the starter: EXACT (the
 *             need itself), NARROWER (a term under it), BROADER (a term
 *             above it: general help) or NONE, the best over its needs;
 *   speaks    whether its "languages" hold a language.
 *
 * The criteria:
 *   phases, sectors, activities, areas, schools   lists: restrict when the
 *       field is an array (an empty one, or one of unknown terms only,
 *       then admits nothing).  The areas of the offer admit a profile
 *       whose area lies within one of them (gent within oost-vlaanderen);
 *   student, international, side_activity, research, takeover,
 *   bank_refused, jobseeker, staff_from_abroad, experienced   "only" admits
 *       just the starters who are (or did, or will, or have worked in the
 *       trade),
 *       "excluded" just those who are not; any other value does not
 *       restrict;
 *   max_company_age, min_employees, max_employees   non-negative integers;
 *   premises   a list of the answers it serves to "does the business need
 *       premises": "needed", "online" (online only: a webshop), "have",
 *       "mobile" (at the customers' or on the road); an
 *       offer for webshops says ["online"].  Restricts like the lists above.
 * Terms the taxonomy does not know (a newer node's) are no term: they
 * never match.
 *
 * Invariant: nothing here allocates or fails; a malformed body reads as an
 * offer with the fields it lacks, and nothing is read past its end.
 * Thread-safe.  Caveat: the UTF-8 of the body's strings is not checked
 * again: give bodies record_parse() has accepted.
 */
#ifndef GILDE_QUERY_ELIGIBILITY_H
#define GILDE_QUERY_ELIGIBILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schemas/taxonomy.h"
#include "store/store.h"

/* The longest term id compared; longer strings are no term of the taxonomy. */
#define ELIGIBILITY_TERM_MAX 64
/* Terms a facet may have: one bit each. */
#define ELIGIBILITY_FACET_MAX 64

enum eligibility_criterion {
	ELIGIBILITY_PHASES,
	ELIGIBILITY_SECTORS,
	ELIGIBILITY_ACTIVITIES,
	ELIGIBILITY_AREAS,
	ELIGIBILITY_SCHOOLS,
	ELIGIBILITY_STUDENT,
	ELIGIBILITY_INTERNATIONAL,
	ELIGIBILITY_SIDE_ACTIVITY,
	ELIGIBILITY_RESEARCH,
	ELIGIBILITY_TAKEOVER,
	ELIGIBILITY_BANK_REFUSED,
	ELIGIBILITY_JOBSEEKER,
	ELIGIBILITY_STAFF_ABROAD,
	ELIGIBILITY_EXPERIENCED,
	ELIGIBILITY_AGE,
	ELIGIBILITY_MIN_EMPLOYEES,
	ELIGIBILITY_MAX_EMPLOYEES,
	ELIGIBILITY_PREMISES,
	ELIGIBILITY_COUNT
};

/* The yes-or-no situations, ELIGIBILITY_STUDENT … ELIGIBILITY_EXPERIENCED. */
#define ELIGIBILITY_SITUATIONS (ELIGIBILITY_EXPERIENCED - ELIGIBILITY_STUDENT + 1)

_Static_assert(ELIGIBILITY_COUNT <= 32, "a criterion is a bit of a uint32_t");

/* Each criterion's field name in eligibility ("phases", …, "max_employees"). */
extern const char *const eligibility_criterion_names[ELIGIBILITY_COUNT];

enum eligibility_state { ELIGIBILITY_MATCHED, ELIGIBILITY_UNKNOWN, ELIGIBILITY_FAILED };

/* How an offer answers a need, worst to best. */
enum eligibility_fit {
	ELIGIBILITY_FIT_NONE,
	ELIGIBILITY_FIT_BROADER,  /* a term above the need: general help */
	ELIGIBILITY_FIT_NARROWER, /* a term under the need: a part of it */
	ELIGIBILITY_FIT_EXACT,    /* the need itself */
};

/* A yes-or-no question a profile may leave open. */
enum eligibility_answer { ELIGIBILITY_UNSAID, ELIGIBILITY_YES, ELIGIBILITY_NO };

/* The answers about premises, one bit each (profile.schema.json: premises). */
enum { ELIGIBILITY_PREMISES_NEEDED = 1, ELIGIBILITY_PREMISES_ONLINE = 2,
       ELIGIBILITY_PREMISES_HAVE = 4, ELIGIBILITY_PREMISES_MOBILE = 8 };

/* The bit of a premises answer ("needed", "online", "have", "mobile"); 0
 * for another. */
unsigned eligibility_premises_bit(const char *s);

/* The languages an offer may be in (common.json: lang), one bit each. */
enum { ELIGIBILITY_NL = 1, ELIGIBILITY_EN = 2, ELIGIBILITY_FR = 4, ELIGIBILITY_DE = 8 };

/* The bit of a language code ("nl", "en", "fr", "de"); 0 for another. */
unsigned eligibility_lang_bit(const char *lang);

/*
 * What a starter says.  Start from eligibility_profile_init() (everything
 * unsaid) and set terms with eligibility_profile_term(); a criterion the
 * offer restricts and the profile leaves open is UNKNOWN.
 */
struct eligibility_profile {
	int phase, activity, school;       /* term orders; -1: unsaid */
	uint64_t sectors;                  /* bits of the profile's sectors */
	uint64_t within;                   /* bits of the areas its area lies within; 0: unsaid */
	enum eligibility_answer student, international, side_activity, research, takeover,
	                        bank_refused, jobseeker, staff_from_abroad,
	                        experienced; /* has worked in the trade before */
	/* The product is a prototype, or a process still to test at scale: a
	 * fact the paths read (schemas/paths.json); no offer criterion. */
	enum eligibility_answer prototype;
	bool has_age, has_employees;
	long long age, employees;          /* read only if has_*: whole years, people */
	unsigned premises;                 /* its ELIGIBILITY_PREMISES_* bit; 0: unsaid */
};

void eligibility_profile_init(struct eligibility_profile *p);

/*
 * Set one term of facet "phase", "sector" (added to the sectors),
 * "activity", "area" or "school" by its id.  Returns false, p unchanged,
 * for a facet or id the taxonomy does not know.
 */
bool eligibility_profile_term(const struct taxonomy *tax, struct eligibility_profile *p,
                              const char *facet, const char *id);

/* An offer's facts, read by eligibility_offer_read().  Plain data: it may
 * be copied, kept and compared as bytes. */
struct eligibility_offer {
	uint64_t needs;       /* bits of its needs (facet "need") */
	uint64_t sectors;     /* eligibility.sectors */
	uint64_t phases, activities, areas, schools;
	uint32_t restricted;  /* bit per enum eligibility_criterion */
	uint32_t soft;        /* bit per criterion listed in eligibility.soft */
	uint8_t incl[ELIGIBILITY_SITUATIONS]; /* student … experienced (enum order):
	                       * 0 open, 1 only, 2 excluded */
	uint8_t languages;    /* ELIGIBILITY_NL | … */
	uint8_t premises;     /* eligibility.premises: ELIGIBILITY_PREMISES_* bits */
	uint8_t nsectors;     /* sectors the eligibility lists (known or not) */
	uint8_t nactivities;  /* and activities */
	bool free;            /* cost.free is true */
	bool inactive;        /* status "inactive" */
	int64_t until;        /* valid through this second; INT64_MAX: no end */
	uint32_t max_age, min_employees, max_employees;
};

/* Read the body (len bytes; NULL or 0 for none) of an offer.  Never fails. */
void eligibility_offer_read(const struct taxonomy *tax, const uint8_t *body, size_t len,
                            struct eligibility_offer *out);

/* Whether the offer is current at now (seconds since the epoch). */
bool eligibility_current(const struct eligibility_offer *o, uint64_t now);

/* The same for a body, read on the spot (for a caller that needs nothing else). */
bool eligibility_body_current(const uint8_t *body, size_t len, uint64_t now);

/* The same for a record the store holds: false for a tombstone or a
 * record that does not parse. */
bool eligibility_entry_current(const struct store_entry *e, uint64_t now);

struct eligibility_verdict {
	enum eligibility_state state[ELIGIBILITY_COUNT];
	bool restricted[ELIGIBILITY_COUNT]; /* the offer restricts this criterion */
	bool soft[ELIGIBILITY_COUNT];       /* ... and only as a preference */
};

/* Judge every criterion of o against p into *out (always written). */
void eligibility_judge(const struct eligibility_offer *o, const struct eligibility_profile *p,
                       struct eligibility_verdict *out);

/* The same judgement as two bit sets (a bit per enum eligibility_criterion):
 * the criteria UNKNOWN and those FAILED; the others matched or are not
 * restricted.  For a caller that judges many offers.  The offer is not for
 * p when *failed & ~o->soft is not 0 (eligibility_excluded). */
void eligibility_judge_bits(const struct eligibility_offer *o, const struct eligibility_profile *p,
                            uint32_t *unknown, uint32_t *failed);

/* True if a criterion failed that is not soft: the offer is not for p. */
bool eligibility_excluded(const struct eligibility_verdict *v);

/* True if any criterion failed, soft or not. */
bool eligibility_any_failed(const struct eligibility_verdict *v);

/* How the offer's needs answer need (a term id of facet "need"; NONE for
 * an id the taxonomy does not know). */
enum eligibility_fit eligibility_fit(const struct taxonomy *tax, const struct eligibility_offer *o,
                                     const char *need);

/* The same for many offers: the need's bit and the bits of the needs under
 * and above it, worked out once (eligibility_need_init), then each offer
 * judged by bits alone (eligibility_fit_bits). */
struct eligibility_need {
	uint64_t self, under, above; /* self 0: no need of the taxonomy */
};
void eligibility_need_init(const struct taxonomy *tax, const char *need,
                           struct eligibility_need *out);
enum eligibility_fit eligibility_fit_bits(const struct eligibility_offer *o,
                                          const struct eligibility_need *n);

/* Whether the offer's languages hold lang ("nl", "en", …). */
bool eligibility_speaks(const struct eligibility_offer *o, const char *lang);

/* The bit of term id in facet ("need", "sector", …); 0 if unknown. */
uint64_t eligibility_bit(const struct taxonomy *tax, const char *facet, const char *id);

#endif
