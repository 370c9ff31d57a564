/*
 * recurrence.c — an event's recurrence read, checked and stepped through
 * (recurrence.h).  libical parses and steps the rule; this file adds the
 * checks libical leaves out or words vaguely, and the wall-clock reading
 * of Brussels time.
 */
#include "schemas/recurrence.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/clock.h"

/* Longer than any date-time the schema allows (25 bytes, common.json). */
#define TIME_TEXT_MAX 64
#define DAY_SECS 86400
/* libical stops at UNTIL in wall-clock time; it is given this much more,
 * and the instant decides (recurrence.h: the October hour comes twice). */
#define UNTIL_SLACK (2 * 3600)

/* The parts of the pattern in event.schema.json, in its order. */
static const char *const parts[] = { "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY",
	                              "BYMONTHDAY", "BYMONTH", "BYSETPOS", NULL };
enum { PART_COUNT = 2, PART_UNTIL = 3 };

struct recurrence_iter {
	const struct recurrence *r;
	icaltimezone *zone;
	icalrecur_iterator *it;
	int64_t from;
};

static icaltimezone *brussels_zone;
static pthread_once_t brussels_once = PTHREAD_ONCE_INIT;

static void brussels_load(void)
{
	/* a libical error must come back as a value, never abort gilde */
	icalerror_set_errors_are_fatal(0);
	brussels_zone = icaltimezone_get_builtin_timezone(RECURRENCE_TZID);
	/* its rules are read from the zone data on first use: now, once */
	if (brussels_zone)
		icaltimezone_get_component(brussels_zone);
}

/* Looked up once: libical's first lookup fills its table of zones
 * unlocked, and gilded's verifying threads check events side by side
 * (two first lookups at once crashed gilded in strcmp). */
icaltimezone *recurrence_zone(void)
{
	pthread_once(&brussels_once, brussels_load);
	return brussels_zone;
}

static int no_zone(struct gl_error *err)
{
	return gl_errorf(err, GL_ECONFIG, "libical has no time zone data for %s (is the tzdata "
	                 "package installed?)", RECURRENCE_TZID);
}

/* The UTC offset in force in zone z at instant u, in seconds. */
static int offset_at(icaltimezone *z, int64_t u)
{
	struct icaltimetype tt = icaltime_from_timet_with_zone((time_t)u, 0,
	                                                       icaltimezone_get_utc_timezone());
	return icaltimezone_get_utc_offset_of_utc_time(z, &tt, NULL);
}

/* Instant u as floating wall-clock time in z. */
static struct icaltimetype wall_of(icaltimezone *z, int64_t u)
{
	struct icaltimetype tt = icaltime_from_timet_with_zone((time_t)u, 0, z);
	tt.zone = NULL;
	return tt;
}

/*
 * Wall-clock time w in z as an instant, as RFC 5545 3.3.5 reads it.  Brussels
 * changes its offset at most once a day, so the offsets a day before and a day
 * after are the only candidates: the one that maps back to w wins, the first
 * if both do (October), the earlier offset if neither does (March's gap).
 */
static int64_t instant_of(icaltimezone *z, struct icaltimetype w)
{
	w.zone = NULL;
	w.is_date = 0;
	int64_t l = (int64_t)icaltime_as_timet(w); /* w's fields read as UTC */
	int before = offset_at(z, l - DAY_SECS), after = offset_at(z, l + DAY_SECS);
	int64_t a = l - before, b = l - after;
	bool a_fits = offset_at(z, a) == before, b_fits = offset_at(z, b) == after;
	if (a_fits && b_fits)
		return a < b ? a : b;
	return b_fits ? b : a;
}

/* Each part once, known, and not COUNT with UNTIL. */
static int check_parts(const char *s, struct gl_error *err)
{
	unsigned seen = 0;
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "=;"), i = 0;
		while (parts[i] && !(strlen(parts[i]) == n && !strncmp(p, parts[i], n)))
			i++;
		if (!parts[i])
			return gl_errorf(err, GL_ESCHEMA, "/recurrence/rrule: \"%.*s\" is not a part gilde "
			                 "reads (FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH, "
			                 "BYSETPOS)", (int)(n > 20 ? 20 : n), p);
		if (seen & 1u << i)
			return gl_errorf(err, GL_ESCHEMA, "/recurrence/rrule: %s is given twice; give each "
			                 "part once", parts[i]);
		seen |= 1u << i;
		p += strcspn(p, ";");
		p += *p == ';';
	}
	if ((seen & 1u << PART_COUNT) && (seen & 1u << PART_UNTIL))
		return gl_errorf(err, GL_ESCHEMA, "/recurrence/rrule: COUNT and UNTIL together; RFC 5545 "
		                 "allows one of them (COUNT: how many times, UNTIL: until when)");
	return 0;
}

/* An ordinal BYDAY only in MONTHLY and YEARLY rules (RFC 5545 3.3.10). */
static int check_ordinals(const struct icalrecurrencetype *rule, struct gl_error *err)
{
	if (rule->freq != ICAL_DAILY_RECURRENCE && rule->freq != ICAL_WEEKLY_RECURRENCE)
		return 0;
	for (int i = 0; i < ICAL_BY_DAY_SIZE && rule->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
		if (icalrecurrencetype_day_position(rule->by_day[i]) != 0)
			return gl_errorf(err, GL_ESCHEMA, "/recurrence/rrule: a BYDAY with a number (2TU, "
			                 "-1FR) needs FREQ=MONTHLY or FREQ=YEARLY; in a %s rule give the "
			                 "day alone (TU)",
			                 rule->freq == ICAL_DAILY_RECURRENCE ? "DAILY" : "WEEKLY");
	return 0;
}

/* The rule's UNTIL as an instant into r->until, and taken out of r->rule. */
static int read_until(icaltimezone *z, struct recurrence *r, struct gl_error *err)
{
	struct icaltimetype u = r->rule.until;
	r->rule.until = icaltime_null_time();
	r->until = RECURRENCE_NO_UNTIL;
	if (icaltime_is_null_time(u))
		return 0;
	if (u.is_date) { /* the end of that day in Brussels */
		u.hour = 23;
		u.minute = u.second = 59;
		r->until = instant_of(z, u);
	} else if (u.zone == icaltimezone_get_utc_timezone()) {
		r->until = (int64_t)icaltime_as_timet(u);
	} else { /* local: the pattern says Z, but read it as Brussels time */
		r->until = instant_of(z, u);
	}
	if (r->until < r->start)
		return gl_errorf(err, GL_ESCHEMA, "/recurrence/rrule: UNTIL is before the event's start");
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The exdates as ascending instants into r. */
static int read_exdates(const uint8_t *rec, size_t rl, struct recurrence *r, struct gl_error *err)
{
	struct body_iter it;
	const uint8_t *s;
	uint32_t sl;
	char text[TIME_TEXT_MAX];
	r->nexdates = 0;
	if (!body_strs(rec, rl, "exdates", &it))
		return 0;
	for (unsigned i = 0; body_strs_next(&it, &s, &sl); i++) {
		if (i >= RECURRENCE_EXDATES_MAX)
			return gl_errorf(err, GL_ESCHEMA, "/recurrence/exdates: more than %d "
			                 "(RECURRENCE_EXDATES_MAX)", RECURRENCE_EXDATES_MAX);
		if (sl >= sizeof text)
			return gl_errorf(err, GL_ESCHEMA, "/recurrence/exdates/%u: not an RFC 3339 "
			                 "date-time", i);
		memcpy(text, s, sl);
		text[sl] = '\0';
		if (clock_parse(text, &r->exdates[i]))
			return gl_errorf(err, GL_ESCHEMA, "/recurrence/exdates/%u: \"%s\" is not an RFC "
			                 "3339 date-time", i, text);
		r->nexdates = i + 1;
	}
	qsort(r->exdates, r->nexdates, sizeof r->exdates[0], cmp_i64);
	for (unsigned i = 1; i < r->nexdates; i++)
		if (r->exdates[i] == r->exdates[i - 1])
			return gl_errorf(err, GL_ESCHEMA, "/recurrence/exdates: two exdates name the same "
			                 "instant; give each once");
	return 0;
}

/* A libical iterator over r from its start, in floating wall-clock time. */
static icalrecur_iterator *ical_iter(const struct recurrence *r, icaltimezone *z)
{
	struct icalrecurrencetype rule = r->rule;
	if (r->until != RECURRENCE_NO_UNTIL)
		rule.until = wall_of(z, r->until + UNTIL_SLACK);
	icalerror_clear_errno();
	return icalrecur_iterator_new(rule, wall_of(z, r->start));
}

int recurrence_read(const uint8_t *body, size_t len, struct recurrence *out,
                    struct gl_error *err)
{
	const uint8_t *rec;
	size_t rl;
	char rule[RECURRENCE_RULE_MAX + 1], when[TIME_TEXT_MAX];
	if (!body_value(body, len, "recurrence", &rec, &rl))
		return 1;
	if (!body_str_copy(rec, rl, "rrule", rule, sizeof rule))
		return gl_errorf(err, GL_ESCHEMA, "/recurrence/rrule: required, an RRULE of at most %d "
		                 "characters", RECURRENCE_RULE_MAX);
	struct recurrence *r = gl_xcalloc(1, sizeof *r);
	icaltimezone *z = recurrence_zone();
	int rc;
	if (!body_str_copy(body, len, "start", when, sizeof when) || clock_parse(when, &r->start)) {
		rc = gl_errorf(err, GL_ESCHEMA, "/start: a recurring event needs its start, an RFC "
		               "3339 date-time");
		goto out;
	}
	if (!z) {
		rc = no_zone(err);
		goto out;
	}
	if ((rc = check_parts(rule, err)))
		goto out;
	icalerror_clear_errno();
	r->rule = icalrecurrencetype_from_string(rule);
	if (r->rule.freq == ICAL_NO_RECURRENCE) {
		rc = gl_errorf(err, GL_ESCHEMA, "/recurrence/rrule: libical cannot read \"%s\" (%s)", rule,
		               icalerror_strerror(icalerrno));
		goto out;
	}
	if ((rc = check_ordinals(&r->rule, err)) || (rc = read_until(z, r, err)) ||
	    (rc = read_exdates(rec, rl, r, err)))
		goto out;
	icalrecur_iterator *it = ical_iter(r, z);
	if (!it) {
		rc = gl_errorf(err, GL_ESCHEMA, "/recurrence/rrule: libical cannot expand \"%s\": a "
		               "part does not go with its FREQ (BYMONTHDAY in a WEEKLY rule, BYSETPOS "
		               "without another BY part) or names a day that never comes", rule);
		goto out;
	}
	icalrecur_iterator_free(it);
	*out = *r;
out:
	free(r);
	return rc;
}

bool recurrence_excluded(const struct recurrence *r, int64_t t)
{
	return bsearch(&t, r->exdates, r->nexdates, sizeof r->exdates[0], cmp_i64) != NULL;
}

int recurrence_iter_new(const struct recurrence *r, int64_t from, struct recurrence_iter **out,
                        struct gl_error *err)
{
	icaltimezone *z = recurrence_zone();
	if (!z)
		return no_zone(err);
	icalrecur_iterator *ii = ical_iter(r, z);
	if (!ii)
		return gl_errorf(err, GL_EFORMAT, "libical cannot expand this recurrence rule");
	/* a day early: near a DST change wall-clock and instant order differ;
	 * next() drops what comes before from */
	if (from > r->start && r->rule.count == 0 &&
	    !icalrecur_iterator_set_start(ii, wall_of(z, from - DAY_SECS))) {
		icalrecur_iterator_free(ii);
		return gl_errorf(err, GL_EFORMAT, "libical cannot enter this recurrence rule later on");
	}
	struct recurrence_iter *it = gl_xcalloc(1, sizeof *it);
	it->r = r;
	it->zone = z;
	it->it = ii;
	it->from = from;
	*out = it;
	return 0;
}

bool recurrence_iter_next(struct recurrence_iter *it, struct recurrence_occurrence *o)
{
	/* bounded: what comes before from is a COUNT's (at most 999) or a day's */
	for (;;) {
		struct icaltimetype w = icalrecur_iterator_next(it->it);
		if (icaltime_is_null_time(w))
			return false;
		int64_t t = instant_of(it->zone, w);
		if (t > it->r->until)
			return false;
		if (t < it->from)
			continue;
		o->start = t;
		snprintf(o->id, sizeof o->id, "%04u%02u%02uT%02u%02u%02u", (unsigned)w.year % 10000u,
		         (unsigned)w.month % 100u, (unsigned)w.day % 100u, (unsigned)w.hour % 100u,
		         (unsigned)w.minute % 100u, (unsigned)w.second % 100u);
		return true;
	}
}

void recurrence_iter_free(struct recurrence_iter *it)
{
	if (!it)
		return;
	icalrecur_iterator_free(it->it);
	free(it);
}

/* The position in the body's "exdates" of the one that is instant t. */
static unsigned exdate_index(const uint8_t *body, size_t len, int64_t t)
{
	const uint8_t *rec, *s;
	size_t rl;
	uint32_t sl;
	struct body_iter it;
	char text[TIME_TEXT_MAX];
	int64_t v;
	unsigned i = 0;
	if (body_value(body, len, "recurrence", &rec, &rl) && body_strs(rec, rl, "exdates", &it))
		for (; body_strs_next(&it, &s, &sl); i++) {
			if (sl >= sizeof text)
				continue;
			memcpy(text, s, sl);
			text[sl] = '\0';
			if (clock_parse(text, &v) == 0 && v == t)
				return i;
		}
	return 0;
}

/* Walk r from its start: the first occurrence is the start, every exdate
 * is met.  hit[k]: exdates[k] was. */
static int walk_check(const uint8_t *body, size_t len, const struct recurrence *r,
                      struct recurrence_iter *it, struct gl_error *err)
{
	struct recurrence_occurrence o;
	char a[RECURRENCE_TIME_TEXT], b[RECURRENCE_TIME_TEXT];
	bool hit[RECURRENCE_EXDATES_MAX] = { false };
	if (!recurrence_iter_next(it, &o))
		return gl_errorf(err, GL_ESCHEMA, "/recurrence/rrule: the rule gives no occurrence at "
		                 "the event's start %s", recurrence_local_text(r->start, b));
	if (o.start != r->start)
		return gl_errorf(err, GL_ESCHEMA, "/recurrence/rrule: its first occurrence is %s, not "
		                 "the event's start %s; start must be the rule's first occurrence",
		                 recurrence_local_text(o.start, a), recurrence_local_text(r->start, b));
	int64_t last = r->nexdates ? r->exdates[r->nexdates - 1] : INT64_MIN;
	unsigned steps = 1;
	bool more = true;
	for (; more && o.start <= last && steps <= RECURRENCE_CHECK_MAX; steps++) {
		const int64_t *x = bsearch(&o.start, r->exdates, r->nexdates, sizeof o.start, cmp_i64);
		if (x)
			hit[x - r->exdates] = true;
		more = recurrence_iter_next(it, &o);
	}
	for (unsigned k = 0; k < r->nexdates; k++) {
		if (hit[k])
			continue;
		unsigned i = exdate_index(body, len, r->exdates[k]);
		if (more && o.start <= r->exdates[k])
			return gl_errorf(err, GL_ESCHEMA, "/recurrence/exdates/%u: more than %d occurrences "
			                 "after the start (RECURRENCE_CHECK_MAX); gilde looks no further",
			                 i, RECURRENCE_CHECK_MAX);
		return gl_errorf(err, GL_ESCHEMA, "/recurrence/exdates/%u: %s is not an occurrence of "
		                 "the rule (mind the summer offset, +02:00)", i,
		                 recurrence_local_text(r->exdates[k], a));
	}
	return 0;
}

int recurrence_check(const uint8_t *body, size_t len, struct gl_error *err)
{
	struct recurrence *r = gl_xcalloc(1, sizeof *r);
	struct recurrence_iter *it = NULL;
	int rc = recurrence_read(body, len, r, err);
	if (rc == 1)
		rc = 0;
	else if (!rc && !(rc = recurrence_iter_new(r, r->start, &it, err)))
		rc = walk_check(body, len, r, it, err);
	if (rc == GL_EFORMAT) /* libical refused what it read a moment ago */
		rc = GL_ESCHEMA;
	recurrence_iter_free(it);
	free(r);
	return rc;
}

char *recurrence_local_text(int64_t t, char out[RECURRENCE_TIME_TEXT])
{
	icaltimezone *z = recurrence_zone();
	out[0] = '\0';
	if (!z)
		return NULL;
	int off = offset_at(z, t);
	unsigned a = (unsigned)abs(off);
	struct icaltimetype w = wall_of(z, t);
	snprintf(out, RECURRENCE_TIME_TEXT, "%04u-%02u-%02uT%02u:%02u:%02u%c%02u:%02u",
	         (unsigned)w.year % 10000u, (unsigned)w.month % 100u, (unsigned)w.day % 100u,
	         (unsigned)w.hour % 100u, (unsigned)w.minute % 100u, (unsigned)w.second % 100u,
	         off < 0 ? '-' : '+', a / 3600 % 100, a % 3600 / 60);
	return out;
}
