/*
 * eligibility.c — the rule of eligibility.h.  A body is walked once with
 * proto/mp.h (no tree of objects is built) into bit sets over the
 * taxonomy's terms; every question is then answered from those.
 */
#include "query/eligibility.h"

#include <string.h>

#include "proto/clock.h"
#include "proto/record.h"

/* The longest valid_until read as a date ("YYYY-MM-DD" is 10 bytes);
 * anything longer is no date and does not end the offer. */
#define DATE_TEXT_MAX 15

const char *const eligibility_criterion_names[ELIGIBILITY_COUNT] = {
	"phases", "sectors", "activities", "areas", "schools", "student", "international",
	"side_activity", "research", "takeover", "bank_refused", "jobseeker", "staff_from_abroad",
	"experienced", "max_company_age", "min_employees", "max_employees", "premises",
};

/*
 * Read the str at rd (*s, *len: not NUL-terminated) and advance past it;
 * false, rd unchanged, if rd is not at a str.  Only for bodies
 * record_parse() has checked, whose strings are known to be UTF-8: a
 * second check of every byte would double the cost of a walk (most of a
 * body is its description).  mp.h has no reader for checked input; this
 * belongs there.
 */
static bool checked_str(struct mp_reader *rd, const uint8_t **s, uint32_t *len)
{
	const uint8_t *p = rd->p;
	size_t left = mp_left(rd), hdr, n;
	if (!left)
		return false;
	if (p[0] >= 0xa0 && p[0] <= 0xbf) {
		hdr = 1;
		n = p[0] & 0x1f;
	} else if (p[0] == 0xd9 && left >= 2) {
		hdr = 2;
		n = p[1];
	} else if (p[0] == 0xda && left >= 3) {
		hdr = 3;
		n = (size_t)p[1] << 8 | p[2];
	} else if (p[0] == 0xdb && left >= 5) {
		hdr = 5;
		n = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
	} else {
		return false;
	}
	if (n > left - hdr)
		return false;
	*s = p + hdr;
	*len = (uint32_t)n;
	rd->p = p + hdr + n;
	return true;
}

/* Skip the value at rd, of a checked body: strings by their length, all
 * else through mp_next().  Every step consumes input, so it ends; false
 * if the input is not what record_parse() accepts (the walk then stops). */
static bool skip(struct mp_reader *rd)
{
	uint64_t pending = 1;
	while (pending) {
		struct mp_item it;
		const uint8_t *str;
		uint32_t len;
		pending--;
		if (checked_str(rd, &str, &len))
			continue;
		if (mp_next(rd, &it, NULL))
			return false;
		if (it.type == MP_ARRAY)
			pending += it.v.n;
		else if (it.type == MP_MAP)
			pending += 2 * (uint64_t)it.v.n;
	}
	return true;
}

/* The string at rd, if it is one. */
static bool read_str(struct mp_reader rd, const uint8_t **s, uint32_t *len)
{
	return checked_str(&rd, s, len);
}

static bool str_is(struct mp_reader rd, const char *want)
{
	const uint8_t *s;
	uint32_t len;
	return want && read_str(rd, &s, &len) && len == strlen(want) && !memcmp(s, want, len);
}

/* The string at rd as a C string in buf (n bytes); false if it is not a
 * string or does not fit. */
static bool copy_str(struct mp_reader rd, char *buf, size_t n)
{
	const uint8_t *s;
	uint32_t len;
	if (!read_str(rd, &s, &len) || len >= n)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

/* The items of an array, one by one: the strings among them. */
struct items {
	struct mp_reader rd;
	uint32_t left;
};

/* Begin on the array at rd; false if it is not an array. */
static bool items_begin(struct mp_reader rd, struct items *it)
{
	it->rd = rd;
	return mp_read_array(&it->rd, &it->left, NULL) == 0;
}

/* The next item that is a string (*s, *len: not NUL-terminated); false at
 * the end.  Items of other types are passed over. */
static bool items_next(struct items *it, const uint8_t **s, uint32_t *len)
{
	while (it->left) {
		it->left--;
		if (checked_str(&it->rd, s, len))
			return true;
		if (!skip(&it->rd)) {
			it->left = 0;
			return false;
		}
	}
	return false;
}

/* The next string item as a C string in buf; items too long for it are
 * no term and passed over. */
static bool items_next_term(struct items *it, char buf[ELIGIBILITY_TERM_MAX + 1])
{
	const uint8_t *s;
	uint32_t len;
	while (items_next(it, &s, &len))
		if (len <= ELIGIBILITY_TERM_MAX) {
			memcpy(buf, s, len);
			buf[len] = '\0';
			return true;
		}
	return false;
}

/*
 * Find the keys names[0..n) in the map at rd: at[i] is positioned on the
 * value of names[i] and has[i] set.  Keys are unique (mp.h), so each is
 * found at most once, and the walk ends when all are.
 */
static void find_fields(struct mp_reader rd, const char *const *names, size_t n,
                        struct mp_reader *at, bool *has)
{
	uint32_t pairs;
	size_t found = 0;
	if (mp_read_map(&rd, &pairs, NULL))
		return;
	for (uint32_t i = 0; i < pairs && found < n; i++) {
		const uint8_t *k;
		uint32_t kl;
		if (!checked_str(&rd, &k, &kl))
			return;
		for (size_t f = 0; f < n; f++)
			if (!has[f] && kl && k[0] == (uint8_t)names[f][0] && kl == strlen(names[f]) &&
			    !memcmp(k, names[f], kl)) {
				at[f] = rd;
				has[f] = true;
				found++;
			}
		if (found < n && !skip(&rd))
			return;
	}
}

/* ---- reading an offer ------------------------------------------------- */

unsigned eligibility_lang_bit(const char *lang)
{
	static const char *const codes[] = { "nl", "en", "fr", "de" };
	for (unsigned i = 0; lang && i < sizeof codes / sizeof codes[0]; i++)
		if (!strcmp(lang, codes[i]))
			return 1u << i;
	return 0;
}

uint64_t eligibility_bit(const struct taxonomy *tax, const char *facet, const char *id)
{
	const struct tax_term *t = id ? taxonomy_term(tax, facet, id) : NULL;
	return t && t->order < ELIGIBILITY_FACET_MAX ? UINT64_C(1) << t->order : 0;
}

/* The bits of the terms of the array at rd (*n: its strings, known or not);
 * false if it is not an array. */
static bool term_bits(const struct taxonomy *tax, const char *facet, struct mp_reader rd,
                      uint64_t *bits, unsigned *n)
{
	struct items it;
	char term[ELIGIBILITY_TERM_MAX + 1];
	*bits = 0;
	*n = 0;
	if (!items_begin(rd, &it))
		return false;
	while (items_next_term(&it, term)) {
		*bits |= eligibility_bit(tax, facet, term);
		(*n)++;
	}
	return true;
}

static uint8_t inclusion_of(struct mp_reader rd)
{
	return str_is(rd, "only") ? 1 : str_is(rd, "excluded") ? 2 : 0;
}

static bool uint_of(struct mp_reader rd, uint32_t *out)
{
	struct mp_item it;
	if (mp_next(&rd, &it, NULL) || it.type != MP_UINT || it.v.u > UINT32_MAX)
		return false;
	*out = (uint32_t)it.v.u;
	return true;
}

unsigned eligibility_premises_bit(const char *s)
{
	return !s ? 0 : !strcmp(s, "needed") ? ELIGIBILITY_PREMISES_NEEDED
	       : !strcmp(s, "online") ? ELIGIBILITY_PREMISES_ONLINE
	       : !strcmp(s, "have") ? ELIGIBILITY_PREMISES_HAVE
	       : !strcmp(s, "mobile") ? ELIGIBILITY_PREMISES_MOBILE : 0;
}

/* The premises answers of the array at rd into o; false if it is not one. */
static bool premises_bits(struct mp_reader rd, struct eligibility_offer *o)
{
	struct items it;
	char term[ELIGIBILITY_TERM_MAX + 1];
	if (!items_begin(rd, &it))
		return false;
	while (items_next_term(&it, term))
		o->premises |= (uint8_t)eligibility_premises_bit(term);
	return true;
}

/* The criteria of the eligibility map at rd into o. */
static void read_criteria(const struct taxonomy *tax, struct mp_reader rd,
                          struct eligibility_offer *o)
{
	static const char *const facets[] = { "phase", "sector", "activity", "area", "school" };
	const char *names[ELIGIBILITY_COUNT + 1];
	struct mp_reader at[ELIGIBILITY_COUNT + 1];
	bool has[ELIGIBILITY_COUNT + 1] = { false };
	uint64_t *lists[] = { &o->phases, &o->sectors, &o->activities, &o->areas, &o->schools };
	memcpy(names, eligibility_criterion_names, sizeof eligibility_criterion_names);
	names[ELIGIBILITY_COUNT] = "soft";
	find_fields(rd, names, ELIGIBILITY_COUNT + 1, at, has);
	for (int k = 0; k <= ELIGIBILITY_SCHOOLS; k++) {
		unsigned n;
		if (has[k] && term_bits(tax, facets[k], at[k], lists[k], &n)) {
			o->restricted |= (uint32_t)(1u << k);
			if (k == ELIGIBILITY_SECTORS)
				o->nsectors = (uint8_t)(n > 255 ? 255 : n);
			if (k == ELIGIBILITY_ACTIVITIES)
				o->nactivities = (uint8_t)(n > 255 ? 255 : n);
		}
	}
	for (int k = ELIGIBILITY_STUDENT; k <= ELIGIBILITY_EXPERIENCED; k++)
		if (has[k] && (o->incl[k - ELIGIBILITY_STUDENT] = inclusion_of(at[k])))
			o->restricted |= (uint32_t)(1u << k);
	uint32_t *limits[] = { &o->max_age, &o->min_employees, &o->max_employees };
	for (int k = ELIGIBILITY_AGE; k <= ELIGIBILITY_MAX_EMPLOYEES; k++)
		if (has[k] && uint_of(at[k], limits[k - ELIGIBILITY_AGE]))
			o->restricted |= (uint32_t)(1u << k);
	if (has[ELIGIBILITY_PREMISES] && premises_bits(at[ELIGIBILITY_PREMISES], o))
		o->restricted |= (uint32_t)(1u << ELIGIBILITY_PREMISES);
	struct items it;
	char term[ELIGIBILITY_TERM_MAX + 1];
	if (has[ELIGIBILITY_COUNT] && items_begin(at[ELIGIBILITY_COUNT], &it))
		while (items_next_term(&it, term))
			for (int k = 0; k < ELIGIBILITY_COUNT; k++)
				if (!strcmp(term, eligibility_criterion_names[k]))
					o->soft |= (uint32_t)(1u << k);
}

/* The end of an offer's validity: the last second of valid_until's day. */
static int64_t until_of(struct mp_reader rd)
{
	char date[DATE_TEXT_MAX + 1];
	int64_t t;
	if (!copy_str(rd, date, sizeof date) || !*date || clock_parse(date, &t))
		return INT64_MAX;
	return t + 86400 - 1;
}

void eligibility_offer_read(const struct taxonomy *tax, const uint8_t *body, size_t len,
                            struct eligibility_offer *out)
{
	enum { STATUS, VALID_UNTIL, ELIG, NEEDS, LANGUAGES, COST, NFIELDS };
	static const char *const names[NFIELDS] = {
		[STATUS] = "status", [VALID_UNTIL] = "valid_until", [ELIG] = "eligibility",
		[NEEDS] = "needs", [LANGUAGES] = "languages", [COST] = "cost",
	};
	struct mp_reader rd, at[NFIELDS];
	bool has[NFIELDS] = { false };
	memset(out, 0, sizeof *out);
	out->until = INT64_MAX;
	mp_reader_init(&rd, body, body ? len : 0);
	find_fields(rd, names, NFIELDS, at, has);
	out->inactive = has[STATUS] && str_is(at[STATUS], "inactive");
	if (has[VALID_UNTIL])
		out->until = until_of(at[VALID_UNTIL]);
	if (has[ELIG])
		read_criteria(tax, at[ELIG], out);
	unsigned n;
	if (has[NEEDS])
		term_bits(tax, "need", at[NEEDS], &out->needs, &n);
	struct items it;
	char term[ELIGIBILITY_TERM_MAX + 1];
	if (has[LANGUAGES] && items_begin(at[LANGUAGES], &it))
		while (items_next_term(&it, term))
			out->languages |= (uint8_t)eligibility_lang_bit(term);
	if (has[COST]) {
		static const char *const free_name[] = { "free" };
		struct mp_reader f;
		bool has_free = false;
		struct mp_item v;
		find_fields(at[COST], free_name, 1, &f, &has_free);
		out->free = has_free && !mp_next(&f, &v, NULL) && v.type == MP_BOOL && v.v.b;
	}
}

bool eligibility_current(const struct eligibility_offer *o, uint64_t now)
{
	return !o->inactive && (o->until == INT64_MAX || (int64_t)now <= o->until);
}

bool eligibility_body_current(const uint8_t *body, size_t len, uint64_t now)
{
	enum { STATUS, VALID_UNTIL, NFIELDS };
	static const char *const names[NFIELDS] = { "status", "valid_until" };
	struct mp_reader rd, at[NFIELDS];
	bool has[NFIELDS] = { false };
	mp_reader_init(&rd, body, body ? len : 0);
	find_fields(rd, names, NFIELDS, at, has);
	struct eligibility_offer o = { .until = INT64_MAX };
	o.inactive = has[STATUS] && str_is(at[STATUS], "inactive");
	if (has[VALID_UNTIL])
		o.until = until_of(at[VALID_UNTIL]);
	return eligibility_current(&o, now);
}

bool eligibility_entry_current(const struct store_entry *e, uint64_t now)
{
	struct record r;
	if (e->tombstone || record_parse_held(e->env, e->env_len, &r, NULL) || !r.body)
		return false;
	return eligibility_body_current(r.body, r.body_len, now);
}

/* ---- the profile --------------------------------------------------------- */

void eligibility_profile_init(struct eligibility_profile *p)
{
	memset(p, 0, sizeof *p);
	p->phase = p->activity = p->school = -1;
}

bool eligibility_profile_term(const struct taxonomy *tax, struct eligibility_profile *p,
                              const char *facet, const char *id)
{
	const struct tax_term *t = id ? taxonomy_term(tax, facet, id) : NULL;
	if (!t || t->order >= ELIGIBILITY_FACET_MAX)
		return false;
	if (!strcmp(facet, "phase")) {
		p->phase = (int)t->order;
	} else if (!strcmp(facet, "activity")) {
		p->activity = (int)t->order;
	} else if (!strcmp(facet, "school")) {
		p->school = (int)t->order;
	} else if (!strcmp(facet, "sector")) {
		p->sectors |= UINT64_C(1) << t->order;
	} else if (!strcmp(facet, "area")) {
		/* the area and every area it lies within */
		size_t n;
		const struct tax_term *areas = taxonomy_facet(tax, "area", &n);
		p->within = 0;
		for (size_t i = 0; i < n && i < ELIGIBILITY_FACET_MAX; i++)
			if (taxonomy_within(tax, "area", id, areas[i].id))
				p->within |= UINT64_C(1) << i;
	} else {
		return false;
	}
	return true;
}

/* ---- judging --------------------------------------------------------------- */

static enum eligibility_state one_of(uint64_t allowed, int term)
{
	return term < 0 ? ELIGIBILITY_UNKNOWN
	       : allowed >> term & 1 ? ELIGIBILITY_MATCHED : ELIGIBILITY_FAILED;
}

static enum eligibility_state any_of(uint64_t allowed, uint64_t have)
{
	return !have ? ELIGIBILITY_UNKNOWN : allowed & have ? ELIGIBILITY_MATCHED : ELIGIBILITY_FAILED;
}

/* "only" (1) admits just the starters who are, "excluded" (2) just those who are not. */
static enum eligibility_state inclusion_state(uint8_t incl, enum eligibility_answer a)
{
	if (a == ELIGIBILITY_UNSAID)
		return ELIGIBILITY_UNKNOWN;
	return (incl == 1) == (a == ELIGIBILITY_YES) ? ELIGIBILITY_MATCHED : ELIGIBILITY_FAILED;
}

static enum eligibility_state limit_state(bool has, long long v, uint32_t limit, bool max)
{
	if (!has)
		return ELIGIBILITY_UNKNOWN;
	return (max ? v <= (long long)limit : v >= (long long)limit) ? ELIGIBILITY_MATCHED
	                                                             : ELIGIBILITY_FAILED;
}

static enum eligibility_state judge_one(const struct eligibility_offer *o,
                                        const struct eligibility_profile *p, int k)
{
	const enum eligibility_answer incl[] = { p->student,  p->international, p->side_activity,
	                                         p->research, p->takeover,      p->bank_refused,
	                                         p->jobseeker, p->staff_from_abroad,
	                                         p->experienced };
	switch (k) {
	case ELIGIBILITY_PHASES:     return one_of(o->phases, p->phase);
	case ELIGIBILITY_SECTORS:    return any_of(o->sectors, p->sectors);
	case ELIGIBILITY_ACTIVITIES: return one_of(o->activities, p->activity);
	case ELIGIBILITY_AREAS:      return any_of(o->areas, p->within);
	case ELIGIBILITY_SCHOOLS:
		/* a school's offer for its own students: not for one who is not a student */
		return p->student == ELIGIBILITY_NO ? ELIGIBILITY_FAILED : one_of(o->schools, p->school);
	case ELIGIBILITY_AGE:        return limit_state(p->has_age, p->age, o->max_age, true);
	case ELIGIBILITY_MIN_EMPLOYEES:
		return limit_state(p->has_employees, p->employees, o->min_employees, false);
	case ELIGIBILITY_MAX_EMPLOYEES:
		return limit_state(p->has_employees, p->employees, o->max_employees, true);
	case ELIGIBILITY_PREMISES:
		return !p->premises ? ELIGIBILITY_UNKNOWN
		       : o->premises & p->premises ? ELIGIBILITY_MATCHED : ELIGIBILITY_FAILED;
	default:
		return inclusion_state(o->incl[k - ELIGIBILITY_STUDENT], incl[k - ELIGIBILITY_STUDENT]);
	}
}

void eligibility_judge(const struct eligibility_offer *o, const struct eligibility_profile *p,
                       struct eligibility_verdict *out)
{
	memset(out, 0, sizeof *out);
	/* only what the offer restricts: most offers restrict two or three */
	for (unsigned rest = o->restricted; rest; rest &= rest - 1) {
		int k = __builtin_ctz(rest);
		out->restricted[k] = true;
		out->soft[k] = o->soft >> k & 1;
		out->state[k] = judge_one(o, p, k);
	}
}

void eligibility_judge_bits(const struct eligibility_offer *o, const struct eligibility_profile *p,
                            uint32_t *unknown, uint32_t *failed)
{
	*unknown = *failed = 0;
	for (unsigned rest = o->restricted; rest; rest &= rest - 1) {
		int k = __builtin_ctz(rest);
		enum eligibility_state st = judge_one(o, p, k);
		if (st == ELIGIBILITY_UNKNOWN)
			*unknown |= (uint32_t)(1u << k);
		else if (st == ELIGIBILITY_FAILED)
			*failed |= (uint32_t)(1u << k);
	}
}

bool eligibility_excluded(const struct eligibility_verdict *v)
{
	for (int k = 0; k < ELIGIBILITY_COUNT; k++)
		if (v->state[k] == ELIGIBILITY_FAILED && !v->soft[k])
			return true;
	return false;
}

bool eligibility_any_failed(const struct eligibility_verdict *v)
{
	for (int k = 0; k < ELIGIBILITY_COUNT; k++)
		if (v->state[k] == ELIGIBILITY_FAILED)
			return true;
	return false;
}

/* ---- needs and languages ------------------------------------------------- */

void eligibility_need_init(const struct taxonomy *tax, const char *need,
                           struct eligibility_need *out)
{
	size_t n;
	const struct tax_term *needs = taxonomy_facet(tax, "need", &n);
	*out = (struct eligibility_need){ .self = eligibility_bit(tax, "need", need) };
	for (size_t i = 0; out->self && i < n && i < ELIGIBILITY_FACET_MAX; i++) {
		if (strcmp(needs[i].id, need) && taxonomy_within(tax, "need", needs[i].id, need))
			out->under |= UINT64_C(1) << i;
		if (strcmp(needs[i].id, need) && taxonomy_within(tax, "need", need, needs[i].id))
			out->above |= UINT64_C(1) << i;
	}
}

enum eligibility_fit eligibility_fit_bits(const struct eligibility_offer *o,
                                          const struct eligibility_need *n)
{
	if (!n->self)
		return ELIGIBILITY_FIT_NONE;
	return o->needs & n->self ? ELIGIBILITY_FIT_EXACT
	       : o->needs & n->under ? ELIGIBILITY_FIT_NARROWER
	       : o->needs & n->above ? ELIGIBILITY_FIT_BROADER : ELIGIBILITY_FIT_NONE;
}

enum eligibility_fit eligibility_fit(const struct taxonomy *tax, const struct eligibility_offer *o,
                                     const char *need)
{
	struct eligibility_need n;
	eligibility_need_init(tax, need, &n);
	return eligibility_fit_bits(o, &n);
}

bool eligibility_speaks(const struct eligibility_offer *o, const char *lang)
{
	return o->languages & eligibility_lang_bit(lang);
}
