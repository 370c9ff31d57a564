/*
 * eligibility.c — the rule of eligibility.h, read straight from the
 * record body with proto/mp.h: no tree of objects is built, and a body
 * is walked once per offer (eligibility_offer_read) however many
 * questions are then asked of it.
 */
#include "query/eligibility.h"

#include <string.h>

#include "proto/clock.h"
#include "proto/record.h"

/* The longest valid_until read as a date ("YYYY-MM-DD" is 10 bytes);
 * anything longer is no date and does not end the offer. */
#define DATE_TEXT_MAX 15

const char *const eligibility_criterion_names[ELIGIBILITY_COUNT] = {
	"phases", "sectors", "activities", "areas", "student", "international", "max_company_age",
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

/* Whether the value at rd is an array. */
static bool is_array(struct mp_reader rd)
{
	uint32_t n;
	return mp_read_array(&rd, &n, NULL) == 0;
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

/* Whether the array at rd lists want. */
static bool holds(struct mp_reader rd, const char *want)
{
	struct items it;
	const uint8_t *s;
	uint32_t len;
	if (!want || !items_begin(rd, &it))
		return false;
	size_t wl = strlen(want);
	while (items_next(&it, &s, &len))
		if (len == wl && !memcmp(s, want, wl))
			return true;
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

void eligibility_offer_read(const uint8_t *body, size_t len, struct eligibility_offer *out)
{
	static const char *const names[ELIGIBILITY_F_COUNT] = {
		[ELIGIBILITY_F_STATUS] = "status", [ELIGIBILITY_F_VALID_UNTIL] = "valid_until",
		[ELIGIBILITY_F_ELIGIBILITY] = "eligibility", [ELIGIBILITY_F_NEEDS] = "needs",
		[ELIGIBILITY_F_LANGUAGES] = "languages",
	};
	struct mp_reader rd;
	memset(out, 0, sizeof *out);
	mp_reader_init(&rd, body, body ? len : 0);
	find_fields(rd, names, ELIGIBILITY_F_COUNT, out->at, out->has);
}

bool eligibility_current(const struct eligibility_offer *o, uint64_t now)
{
	char date[DATE_TEXT_MAX + 1];
	int64_t until;
	if (o->has[ELIGIBILITY_F_STATUS] && str_is(o->at[ELIGIBILITY_F_STATUS], "inactive"))
		return false;
	return !(o->has[ELIGIBILITY_F_VALID_UNTIL] &&
	         copy_str(o->at[ELIGIBILITY_F_VALID_UNTIL], date, sizeof date) && *date &&
	         !clock_parse(date, &until) && until + 86400 <= (int64_t)now);
}

bool eligibility_body_current(const uint8_t *body, size_t len, uint64_t now)
{
	struct eligibility_offer o;
	eligibility_offer_read(body, len, &o);
	return eligibility_current(&o, now);
}

bool eligibility_entry_current(const struct store_entry *e, uint64_t now)
{
	struct record r;
	if (e->tombstone || record_parse(e->env, e->env_len, &r, NULL) || !r.body)
		return false;
	return eligibility_body_current(r.body, r.body_len, now);
}

/* ---- judging ----------------------------------------------------------- */

/* Where each criterion sits in the eligibility map; soft last. */
#define SOFT ELIGIBILITY_COUNT
struct criteria {
	struct mp_reader at[ELIGIBILITY_COUNT + 1];
	bool present[ELIGIBILITY_COUNT + 1];
};

static void find_criteria(const struct eligibility_offer *o, struct criteria *c)
{
	const char *names[ELIGIBILITY_COUNT + 1];
	memcpy(names, eligibility_criterion_names, sizeof eligibility_criterion_names);
	names[SOFT] = "soft";
	memset(c, 0, sizeof *c);
	if (o->has[ELIGIBILITY_F_ELIGIBILITY])
		find_fields(o->at[ELIGIBILITY_F_ELIGIBILITY], names,
		            ELIGIBILITY_COUNT + 1, c->at, c->present);
}

/* A list criterion: the offer's terms at rd against one term of the profile. */
static enum eligibility_state list_state(struct mp_reader rd, const char *want)
{
	return !want ? ELIGIBILITY_UNKNOWN
	             : holds(rd, want) ? ELIGIBILITY_MATCHED : ELIGIBILITY_FAILED;
}

static enum eligibility_state sectors_state(struct mp_reader rd,
                                            const struct eligibility_profile *p)
{
	if (!p->nsectors)
		return ELIGIBILITY_UNKNOWN;
	for (size_t i = 0; i < p->nsectors; i++)
		if (holds(rd, p->sectors[i]))
			return ELIGIBILITY_MATCHED;
	return ELIGIBILITY_FAILED;
}

/* The profile's area lies within one of the offer's. */
static enum eligibility_state areas_state(const struct taxonomy *tax, struct mp_reader rd,
                                          const char *area)
{
	struct items it;
	char term[ELIGIBILITY_TERM_MAX + 1];
	if (!area)
		return ELIGIBILITY_UNKNOWN;
	if (items_begin(rd, &it))
		while (items_next_term(&it, term))
			if (taxonomy_within(tax, "area", area, term))
				return ELIGIBILITY_MATCHED;
	return ELIGIBILITY_FAILED;
}

/* "only" admits just the starters who are, "excluded" just those who are not. */
static enum eligibility_state inclusion_state(struct mp_reader rd, enum eligibility_answer a)
{
	bool is = a == ELIGIBILITY_YES;
	if (a == ELIGIBILITY_UNSAID)
		return str_is(rd, "only") || str_is(rd, "excluded") ? ELIGIBILITY_UNKNOWN
		                                                    : ELIGIBILITY_MATCHED;
	if (str_is(rd, "only"))
		return is ? ELIGIBILITY_MATCHED : ELIGIBILITY_FAILED;
	if (str_is(rd, "excluded"))
		return is ? ELIGIBILITY_FAILED : ELIGIBILITY_MATCHED;
	return ELIGIBILITY_MATCHED;
}

static bool age_limit(struct mp_reader rd, uint64_t *max)
{
	struct mp_item it;
	if (mp_next(&rd, &it, NULL) || it.type != MP_UINT)
		return false;
	*max = it.v.u;
	return true;
}

void eligibility_judge(const struct taxonomy *tax, const struct eligibility_offer *o,
                       const struct eligibility_profile *p, struct eligibility_verdict *out)
{
	struct criteria c;
	find_criteria(o, &c);
	memset(out, 0, sizeof *out);
	for (int k = 0; k < ELIGIBILITY_COUNT; k++) {
		out->soft[k] = c.present[SOFT] && holds(c.at[SOFT],
		                                        eligibility_criterion_names[k]);
		bool list = k <= ELIGIBILITY_AREAS;
		out->restricted[k] = c.present[k] && (!list || is_array(c.at[k]));
	}
	uint64_t max;
	if (out->restricted[ELIGIBILITY_PHASES])
		out->state[ELIGIBILITY_PHASES] = list_state(c.at[ELIGIBILITY_PHASES], p->phase);
	if (out->restricted[ELIGIBILITY_SECTORS])
		out->state[ELIGIBILITY_SECTORS] = sectors_state(c.at[ELIGIBILITY_SECTORS], p);
	if (out->restricted[ELIGIBILITY_ACTIVITIES])
		out->state[ELIGIBILITY_ACTIVITIES] = list_state(c.at[ELIGIBILITY_ACTIVITIES],
		                                                p->activity);
	if (out->restricted[ELIGIBILITY_AREAS])
		out->state[ELIGIBILITY_AREAS] = areas_state(tax, c.at[ELIGIBILITY_AREAS], p->area);
	if (out->restricted[ELIGIBILITY_STUDENT])
		out->state[ELIGIBILITY_STUDENT] = inclusion_state(c.at[ELIGIBILITY_STUDENT], p->student);
	if (out->restricted[ELIGIBILITY_INTERNATIONAL])
		out->state[ELIGIBILITY_INTERNATIONAL] =
			inclusion_state(c.at[ELIGIBILITY_INTERNATIONAL], p->international);
	if (out->restricted[ELIGIBILITY_AGE] && age_limit(c.at[ELIGIBILITY_AGE], &max))
		out->state[ELIGIBILITY_AGE] = !p->has_age ? ELIGIBILITY_UNKNOWN
		                            : (uint64_t)p->age <= max ? ELIGIBILITY_MATCHED
		                                                      : ELIGIBILITY_FAILED;
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

/* How one need of the offer answers the starter's need. */
static enum eligibility_fit fit_one(const struct taxonomy *tax, const char *need,
                                    const char *offer_need)
{
	if (!strcmp(need, offer_need))
		return ELIGIBILITY_FIT_EXACT;
	if (taxonomy_within(tax, "need", offer_need, need))
		return ELIGIBILITY_FIT_NARROWER;
	if (taxonomy_within(tax, "need", need, offer_need))
		return ELIGIBILITY_FIT_BROADER;
	return ELIGIBILITY_FIT_NONE;
}

enum eligibility_fit eligibility_fit(const struct taxonomy *tax, const struct eligibility_offer *o,
                                     const char *need)
{
	enum eligibility_fit best = ELIGIBILITY_FIT_NONE;
	struct items it;
	char term[ELIGIBILITY_TERM_MAX + 1];
	if (!need || !o->has[ELIGIBILITY_F_NEEDS] ||
	    !items_begin(o->at[ELIGIBILITY_F_NEEDS], &it))
		return best;
	while (best != ELIGIBILITY_FIT_EXACT && items_next_term(&it, term)) {
		enum eligibility_fit f = fit_one(tax, need, term);
		if (f > best)
			best = f;
	}
	return best;
}

bool eligibility_speaks(const struct eligibility_offer *o, const char *lang)
{
	return o->has[ELIGIBILITY_F_LANGUAGES] &&
	       holds(o->at[ELIGIBILITY_F_LANGUAGES], lang);
}
