/*
 * eligibility.h — the one rule for "is this offer for a starter like
 * this?", shared by the matcher (match.h: `gilde match`, `gilde plan`,
 * POST /api/v1/match), the offer lists (directory.h: GET /api/v1/offers,
 * a partner's page) and the gaps report (gaps.h: which offers are live).
 *
 * An offer is read from its record body (record.h: r->body, the msgpack
 * map a record_parse() accepted) once, into a struct eligibility_offer,
 * and then asked:
 *
 *   current   its status is not "inactive" and its valid_until, if it has
 *             one that reads as a date, has not passed: the offer holds
 *             through that whole day, UTC;
 *   judge     each criterion of its "eligibility" (phases, sectors,
 *             activities, areas, student, international, max_company_age)
 *             against what a starter's profile says:
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
 * What restricts: phases, sectors, activities and areas restrict when the
 * field is an array (an empty one then admits nothing); student and
 * international when present, and they exclude only as "only" or
 * "excluded" (and are UNKNOWN to a profile that leaves them open); max_company_age when it is a non-negative integer.  The
 * areas of the offer admit a profile whose area lies within one of them
 * (taxonomy_within: gent within oost-vlaanderen).  Items that are not
 * strings, and strings longer than any term (ELIGIBILITY_TERM_MAX), are no
 * term and never match.
 *
 * Invariant: a struct eligibility_offer points into the body it was read
 * from and is valid as long as those bytes are.  Nothing here allocates,
 * fails or keeps state: a malformed body reads as an offer with the
 * fields it lacks, and nothing is read past its end.  Thread-safe.
 *
 * Caveat: the UTF-8 of the body's strings is not checked again (a walk
 * would cost twice as much): give bodies record_parse() has accepted.
 */
#ifndef GILDE_QUERY_ELIGIBILITY_H
#define GILDE_QUERY_ELIGIBILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/mp.h"
#include "schemas/taxonomy.h"
#include "store/store.h"

/* The longest term id compared; longer strings are no term of the taxonomy. */
#define ELIGIBILITY_TERM_MAX 64

enum eligibility_criterion {
	ELIGIBILITY_PHASES,
	ELIGIBILITY_SECTORS,
	ELIGIBILITY_ACTIVITIES,
	ELIGIBILITY_AREAS,
	ELIGIBILITY_STUDENT,
	ELIGIBILITY_INTERNATIONAL,
	ELIGIBILITY_AGE,
	ELIGIBILITY_COUNT
};

/* Each criterion's field name in eligibility ("phases", …, "max_company_age"). */
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

/* What a starter says; every field may be left open (NULL, 0, UNSAID,
 * false): a criterion the offer restricts is then UNKNOWN. */
struct eligibility_profile {
	const char *phase;
	const char *const *sectors; /* nsectors term ids */
	size_t nsectors;
	const char *activity;
	const char *area;
	enum eligibility_answer student, international;
	bool has_age;
	long long age;               /* whole years; read only if has_age */
};

/* The body fields the rule reads. */
enum eligibility_field {
	ELIGIBILITY_F_STATUS,
	ELIGIBILITY_F_VALID_UNTIL,
	ELIGIBILITY_F_ELIGIBILITY,
	ELIGIBILITY_F_NEEDS,
	ELIGIBILITY_F_LANGUAGES,
	ELIGIBILITY_F_COUNT
};

/* An offer as the rule reads it; fill with eligibility_offer_read().
 * The members are the module's own: ask through the functions. */
struct eligibility_offer {
	struct mp_reader at[ELIGIBILITY_F_COUNT]; /* each field's value, */
	bool has[ELIGIBILITY_F_COUNT];            /* if the body has it */
};

struct eligibility_verdict {
	enum eligibility_state state[ELIGIBILITY_COUNT];
	bool restricted[ELIGIBILITY_COUNT]; /* the offer restricts this criterion */
	bool soft[ELIGIBILITY_COUNT];       /* ... and only as a preference */
};

/* Read the body (len bytes; NULL or 0 for none) of an offer.  Never fails. */
void eligibility_offer_read(const uint8_t *body, size_t len, struct eligibility_offer *out);

/* Whether the offer is current at now (seconds since the epoch). */
bool eligibility_current(const struct eligibility_offer *o, uint64_t now);

/* The same for a body, read on the spot (for a caller that needs nothing else). */
bool eligibility_body_current(const uint8_t *body, size_t len, uint64_t now);

/* The same for a record the store holds: false for a tombstone or a
 * record that does not parse. */
bool eligibility_entry_current(const struct store_entry *e, uint64_t now);

/* Judge every criterion of o against p into *out (always written). */
void eligibility_judge(const struct taxonomy *tax, const struct eligibility_offer *o,
                       const struct eligibility_profile *p, struct eligibility_verdict *out);

/* True if a criterion failed that is not soft: the offer is not for p. */
bool eligibility_excluded(const struct eligibility_verdict *v);

/* True if any criterion failed, soft or not. */
bool eligibility_any_failed(const struct eligibility_verdict *v);

/* How the offer's needs answer need (a term id of facet "need"). */
enum eligibility_fit eligibility_fit(const struct taxonomy *tax, const struct eligibility_offer *o,
                                     const char *need);

/* Whether the offer's languages hold lang ("nl", "en", …). */
bool eligibility_speaks(const struct eligibility_offer *o, const char *lang);

#endif
