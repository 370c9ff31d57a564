/*
 * ics.c — iCalendar export (ics.h).  libical writes every byte of the
 * format; this file only decides what goes into which property.
 *
 * What goes in is cleaned first, whatever the schemas say, since a record
 * may come from a node whose schemas were looser (issue 24: a url with CR
 * LF put a forged VEVENT in the calendar): libical escapes TEXT values
 * (newline, comma, semicolon, backslash) but writes a URI value as it is,
 * so a url must be one (ics_url_clean), and a text keeps no control
 * character but tab and newline (ics_text_clean).
 */
#include "query/ics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libical/ical.h>
#include <utf8proc.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/bounds.h"
#include "query/view.h"
#include "proto/clock.h"
#include "proto/ident.h"
#include "schemas/recurrence.h"

#define ICS_PRODID "-//gilde//gilde 0.1//EN"
/* Versions below this are counters, used as they are (see ics_sequence). */
#define SEQ_SMALL (1u << 24)
/* 2024-01-01T00:00:00Z: where counting seconds of ms-time versions starts. */
#define SEQ_EPOCH 1704067200u
/* Longer than any date-time the schema allows (25 bytes, common.json). */
#define ICS_TIME_TEXT_MAX 64

struct ics_calendar {
	const char *lang;
	icaltimezone *builtin; /* libical's Europe/Brussels; libical owns it */
	icaltimezone *zone;    /* ours: the same rules under TZID ICS_TZID */
	icalcomponent *events; /* a VCALENDAR that holds the VEVENTs so far */
	unsigned n;
	int64_t first;         /* the earliest start added (valid if n > 0) */
};

/*
 * SEQUENCE has to be an int and has to grow with every update.  The record
 * version does grow, but gilded sets it to the publication time in
 * milliseconds (daemon/publish.c), about 1.8e12, far beyond INT32_MAX, and
 * version / 1000 would itself overflow in 2038.  So small versions (below
 * 2^24: counters from tests or hand-made records) are taken as they are,
 * and larger ones count the seconds since 2024 on top of 2^24, which fits
 * an int until about 2091 and is clamped after.  The mapping never
 * decreases; its one loss is that two updates within the same second get
 * the same SEQUENCE (and the same DTSTAMP, which is the issued second).
 */
int ics_sequence(uint64_t version)
{
	if (version < SEQ_SMALL)
		return (int)version;
	uint64_t secs = version / 1000;
	uint64_t seq = SEQ_SMALL + (secs > SEQ_EPOCH ? secs - SEQ_EPOCH : 0);
	return seq > INT32_MAX ? INT32_MAX : (int)seq;
}

/*
 * libical's builtin zones carry a TZID like
 * "/freeassociation.sourceforge.net/Europe/Brussels".  Calendars match
 * DTSTART's TZID parameter against the VTIMEZONE's TZID, and some only
 * recognise plain Olson names, so we make our own zone from a copy of the
 * builtin component renamed to ICS_TZID, and use it for both.
 */
static icaltimezone *renamed_zone(icaltimezone *builtin)
{
	icalcomponent *src = icaltimezone_get_component(builtin);
	if (!src)
		return NULL;
	icalcomponent *vtz = icalcomponent_new_clone(src);
	icalproperty *p = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
	if (p)
		icalproperty_set_tzid(p, ICS_TZID);
	else
		icalcomponent_add_property(vtz, icalproperty_new_tzid(ICS_TZID));
	icaltimezone *zone = icaltimezone_new();
	if (!icaltimezone_set_component(zone, vtz)) { /* takes vtz */
		icaltimezone_free(zone, 1);
		return NULL;
	}
	return zone;
}

int ics_new(const char *lang, struct ics_calendar **out, struct gl_error *err)
{
	/* a libical error must come back as a value, never abort gilde */
	icalerror_set_errors_are_fatal(0);
	/* looked up once for every thread (the web's answer side by side) */
	icaltimezone *builtin = recurrence_zone();
	icaltimezone *zone = builtin ? renamed_zone(builtin) : NULL;
	if (!zone)
		return gl_errorf(err, GL_ENOTFOUND, "libical has no time zone data for %s "
		                 "(is the tzdata package installed?)", ICS_TZID);
	struct ics_calendar *c = gl_xcalloc(1, sizeof *c);
	c->lang = lang ? lang : "en";
	c->builtin = builtin;
	c->zone = zone;
	c->events = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	*out = c;
	return 0;
}

void ics_free(struct ics_calendar *c)
{
	if (!c)
		return;
	icalcomponent_free(c->events);
	icaltimezone_free(c->zone, 1);
	free(c);
}

unsigned ics_count(const struct ics_calendar *c)
{
	return c->n;
}

/* An instant as wall-clock time in Europe/Brussels, tagged with our zone. */
static struct icaltimetype local_time(const struct ics_calendar *c, int64_t secs)
{
	struct icaltimetype tt = icaltime_from_timet_with_zone((time_t)secs, 0, c->builtin);
	/* same wall-clock time, now referring to the zone named ICS_TZID */
	return icaltime_set_timezone(&tt, c->zone);
}

/*
 * A copy of s for a TEXT value: CR LF and a lone CR become LF; every
 * other control character (C0 but tab and LF, DEL, C1) and every byte
 * that is not UTF-8 becomes U+FFFD.  NULL for NULL; the caller frees.
 */
static char *ics_text_clean(const char *s)
{
	if (!s)
		return NULL;
	size_t len = strlen(s);
	struct gl_buf b = { 0 };
	gl_buf_reserve(&b, len + 1);
	for (size_t i = 0; i < len;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		                                      (utf8proc_ssize_t)(len - i), &cp);
		if (n > 0 && cp == '\r') {
			gl_buf_append(&b, "\n", 1);
			i += s[i + 1] == '\n' ? 2 : 1;
			continue;
		}
		bool ok = n > 0 && (cp == '\t' || cp == '\n' || (cp >= 0x20 && cp != 0x7f &&
		                                                  !(cp >= 0x80 && cp <= 0x9f)));
		if (ok)
			gl_buf_append(&b, s + i, (size_t)n);
		else
			gl_buf_append(&b, "\xEF\xBF\xBD", 3);
		i += n > 0 ? (size_t)n : 1;
	}
	gl_buf_append(&b, "", 1);
	return (char *)b.data;
}

/*
 * A copy of url fit for a URI value: http: or https:, no control
 * character or space anywhere (then NULL: not a url to pass on), bytes
 * beyond ASCII percent-encoded (an IRI written as a URI).  NULL for NULL.
 */
static char *ics_url_clean(const char *url)
{
	if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return NULL;
	static const char hex[] = "0123456789ABCDEF";
	struct gl_buf b = { 0 };
	for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			gl_buf_free(&b);
			return NULL;
		}
		if (*p < 0x80) {
			gl_buf_append(&b, p, 1);
			continue;
		}
		char pct[3] = { '%', hex[*p >> 4], hex[*p & 15] };
		gl_buf_append(&b, pct, 3);
	}
	gl_buf_append(&b, "", 1);
	return (char *)b.data;
}

/* Append s (len bytes) to b, after sep if b holds something already. */
static void buf_add(struct gl_buf *b, const char *sep, const char *s, size_t len)
{
	if (!s || !len)
		return;
	if (b->len && sep)
		gl_buf_append(b, sep, strlen(sep));
	gl_buf_append(b, s, len);
}

/* The same with the string field key of map, if it has one. */
static void buf_add_field(struct gl_buf *b, const char *sep, const uint8_t *map, size_t len,
                          const char *key)
{
	const uint8_t *s;
	uint32_t sl;
	if (body_str(map, len, key, &s, &sl))
		buf_add(b, sep, (const char *)s, sl);
}

static char *buf_text(struct gl_buf *b)
{
	if (!b->len) {
		gl_buf_free(b);
		return NULL;
	}
	gl_buf_append(b, "", 1);
	return (char *)b->data;
}

char *ics_location_text(const uint8_t *body, size_t len)
{
	const uint8_t *loc, *addr = NULL;
	size_t ll, al = 0;
	struct body_iter it;
	bool online;
	if (!body_value(body, len, "location", &loc, &ll) || !body_entries(loc, ll, &it))
		return NULL;
	body_value(loc, ll, "address", &addr, &al);
	struct gl_buf b = { 0 }, town = { 0 };
	buf_add_field(&b, ", ", loc, ll, "name");
	buf_add_field(&b, ", ", addr, al, "street");
	buf_add_field(&town, NULL, addr, al, "postal_code");
	buf_add_field(&town, " ", addr, al, "locality");
	char *t = buf_text(&town);
	buf_add(&b, ", ", t, t ? strlen(t) : 0);
	free(t);
	if (body_bool(loc, ll, "online", &online) && online)
		buf_add(&b, ", ", "online", 6);
	return buf_text(&b);
}

/* The description in c's language, a blank line, then the url (url: as
 * ics_url_clean() made it, or NULL). */
static char *description_text(const struct ics_calendar *c, const uint8_t *body, size_t len,
                              const char *url)
{
	struct gl_buf b = { 0 };
	const uint8_t *s;
	uint32_t sl;
	if (body_text(body, len, "description", c->lang, &s, &sl))
		buf_add(&b, NULL, (const char *)s, sl);
	buf_add(&b, "\n\n", url, url ? strlen(url) : 0);
	return buf_text(&b);
}

/* Each of the n texts at v (NULL or malloc'd) replaced by its ics_text_clean(). */
static void clean_all(char **v[], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *c = ics_text_clean(*v[i]);
		free(*v[i]);
		*v[i] = c;
	}
}

/* A date-time field as an instant; absent is 1, malformed GL_EFORMAT. */
static int body_time(const struct store_entry *e, const uint8_t *body, size_t len,
                     const char *field, int64_t *secs, struct gl_error *err)
{
	const uint8_t *v;
	size_t vl;
	char text[ICS_TIME_TEXT_MAX];
	if (!body_value(body, len, field, &v, &vl))
		return 1;
	if (!body_str_copy(body, len, field, text, sizeof text) || clock_parse(text, secs) != 0)
		return gl_errorf(err, GL_EFORMAT, "event %.*s: \"%s\" is not an RFC 3339 date-time",
		                 (int)e->id_len, e->id, field);
	return 0;
}

static void set_texts(const struct ics_calendar *c, icalcomponent *ev, const uint8_t *body,
                      size_t len)
{
	char *title = view_body_text(body, len, "name", c->lang);
	char *raw = view_body_str(body, len, "url"), *url = ics_url_clean(raw);
	char *desc = description_text(c, body, len, url), *where = ics_location_text(body, len);
	free(raw);
	clean_all((char **[]){ &title, &desc, &where }, 3);
	if (title)
		icalcomponent_set_summary(ev, title);
	if (desc)
		icalcomponent_set_description(ev, desc);
	if (where)
		icalcomponent_set_location(ev, where);
	if (url)
		icalcomponent_add_property(ev, icalproperty_new_url(url));
	free(desc);
	free(where);
	free(url);
	free(title);
}

char *ics_uid(const struct store_entry *e, char out[ICS_UID_MAX])
{
	char hex[2 * RECORD_KEY_LEN + 1];
	ident_hex(e->author, RECORD_KEY_LEN, hex);
	snprintf(out, ICS_UID_MAX, "%.*s@%.16s.gilde", (int)e->id_len, e->id, hex);
	return out;
}

/*
 * The event's RRULE and EXDATEs, as schemas/recurrence.h reads them: UNTIL
 * in UTC (RFC 5545 wants it so beside a DTSTART with TZID; a date UNTIL was
 * read as the end of its day in Brussels), each EXDATE in our zone with its
 * TZID, one property each.  A rule gilde does not read is left out, so the
 * VEVENT is its first occurrence alone, as the listings show it
 * (query/events.h).
 */
static void add_recurrence(const struct ics_calendar *c, icalcomponent *ev, const uint8_t *body,
                           size_t len)
{
	struct recurrence *rec = gl_xmalloc(sizeof *rec);
	struct gl_error unread = { 0 };
	if (recurrence_read(body, len, rec, &unread) == 0) {
		struct icalrecurrencetype rule = rec->rule;
		if (rec->until != RECURRENCE_NO_UNTIL)
			rule.until = icaltime_from_timet_with_zone((time_t)rec->until, 0,
			                                           icaltimezone_get_utc_timezone());
		icalcomponent_add_property(ev, icalproperty_new_rrule(rule));
		for (unsigned i = 0; i < rec->nexdates; i++) {
			icalproperty *p = icalproperty_new_exdate(local_time(c, rec->exdates[i]));
			/* a bare property constructor writes a zoned time without its TZID */
			icalproperty_add_parameter(p, icalparameter_new_tzid(ICS_TZID));
			icalcomponent_add_property(ev, p);
		}
	}
	free(rec);
}

int ics_add_entry(struct ics_calendar *c, const struct store_entry *e, struct gl_error *err)
{
	struct record r = { .body = NULL }; /* untouched if it does not parse: no start */
	int64_t start = 0, end = 0;
	if (!e->tombstone)
		record_parse_held(e->env, e->env_len, &r, NULL);
	int rc = body_time(e, r.body, r.body_len, "start", &start, err);
	if (rc == 1)
		return gl_errorf(err, GL_EFORMAT, "event %.*s has no start", (int)e->id_len, e->id);
	if (rc)
		return rc;
	int no_end = body_time(e, r.body, r.body_len, "end", &end, err); /* 0: has one, 1: none */
	if (no_end < 0)
		return no_end;

	char uid[ICS_UID_MAX];
	ics_uid(e, uid);
	bool cancelled = body_str_is(r.body, r.body_len, "status", "cancelled");

	icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	icalcomponent_set_uid(ev, uid);
	icalcomponent_set_sequence(ev, ics_sequence(e->version));
	icalcomponent_set_dtstamp(ev, icaltime_from_timet_with_zone((time_t)e->issued, 0,
	                                                            icaltimezone_get_utc_timezone()));
	/* set_dtstart adds TZID from the time's zone; a bare property would float */
	icalcomponent_set_dtstart(ev, local_time(c, start));
	if (!no_end)
		icalcomponent_set_dtend(ev, local_time(c, end));
	add_recurrence(c, ev, r.body, r.body_len);
	set_texts(c, ev, r.body, r.body_len);
	icalcomponent_set_status(ev, cancelled ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED);
	icalcomponent_add_component(c->events, ev);
	if (!c->n++ || start < c->first)
		c->first = start;
	return 0;
}

int ics_add(struct ics_calendar *c, const struct store_entry *e, json_t *doc,
            struct gl_error *err)
{
	(void)doc;
	return ics_add_entry(c, e, err);
}

/* The VTIMEZONE to ship: ours, without the transitions before the year of
 * the first event (or this year), which no event of the file needs. */
static icalcomponent *vtimezone(const struct ics_calendar *c)
{
	icalcomponent *vtz = icalcomponent_new_clone(icaltimezone_get_component(c->zone));
	int64_t from = c->n ? c->first : (int64_t)clock_now();
	struct icaltimetype t = icaltime_from_timet_with_zone((time_t)from, 0,
	                                                      icaltimezone_get_utc_timezone());
	t.month = t.day = 1;
	t.hour = t.minute = t.second = 0;
	icaltimezone_truncate_vtimezone(vtz, t, icaltime_null_time(), 0);
	return vtz;
}

/* Remove the X-LIC-ERROR properties libical leaves where it met a problem. */
static void strip_errors(icalcomponent *comp)
{
	icalproperty *p;
	while ((p = icalcomponent_get_first_property(comp, ICAL_XLICERROR_PROPERTY))) {
		icalcomponent_remove_property(comp, p);
		icalproperty_free(p);
	}
	for (icalcomponent *k = icalcomponent_get_first_component(comp, ICAL_ANY_COMPONENT); k;
	     k = icalcomponent_get_next_component(comp, ICAL_ANY_COMPONENT))
		strip_errors(k);
}

/*
 * libical (3.0.16) folds a content line inside its own CR LF when the
 * line ends in a multi-byte character at the fold width: "…é\r\r\n \n".
 * A bare CR and a bare LF are no iCalendar, and readers split them as
 * they like; put the line end back together.  No value holds a CR or LF
 * of its own (TEXT escapes them, URIs are checked), so the sequence can
 * only be this.  Found by fuzz_ics; "a" and 36 "é" in a venue's address
 * were enough.
 */
static void mend_line_ends(char *s)
{
	static const char broken[] = "\r\r\n \n";
	char *w = s;
	for (const char *r = s; *r;) {
		if (!strncmp(r, broken, sizeof broken - 1)) {
			*w++ = '\r';
			*w++ = '\n';
			r += sizeof broken - 1;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

char *ics_text(struct ics_calendar *c)
{
	icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid(ICS_PRODID));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_add_property(cal, icalproperty_new_method(ICAL_METHOD_PUBLISH));
	icalcomponent_add_component(cal, vtimezone(c));
	for (icalcomponent *ev = icalcomponent_get_first_component(c->events, ICAL_VEVENT_COMPONENT);
	     ev; ev = icalcomponent_get_next_component(c->events, ICAL_VEVENT_COMPONENT))
		icalcomponent_add_component(cal, icalcomponent_new_clone(ev));
	strip_errors(cal);
	char *s = icalcomponent_as_ical_string_r(cal);
	icalcomponent_free(cal);
	if (!s)
		return NULL;
	char *out = gl_xstrdup(s);
	icalmemory_free_buffer(s);
	mend_line_ends(out);
	return out;
}

static int write_part(const char *part, const char *text, struct gl_error *err)
{
	FILE *f = fopen(part, "wb");
	if (!f)
		return gl_errorf(err, GL_EIO, "%s: %s", part, strerror(errno));
	size_t len = strlen(text);
	bool ok = fwrite(text, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
	int e = errno;
	if (fclose(f) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		remove(part);
		return gl_errorf(err, GL_EIO, "%s: %s", part, strerror(e));
	}
	return 0;
}

int ics_write(const char *path, const char *text, struct gl_error *err)
{
	if (!strcmp(path, "-")) {
		if (fputs(text, stdout) == EOF || fflush(stdout) != 0)
			return gl_errorf(err, GL_EIO, "stdout: %s", strerror(errno));
		return 0;
	}
	size_t n = strlen(path) + sizeof ".part";
	char *part = gl_xmalloc(n);
	snprintf(part, n, "%s.part", path);
	int rc = write_part(part, text, err);
	if (!rc && rename(part, path) != 0) {
		rc = gl_errorf(err, GL_EIO, "%s: %s", path, strerror(errno));
		remove(part);
	}
	free(part);
	return rc;
}
