/*
 * Fuzz target: the iCalendar writer (query/ics.h) on an event whose texts
 * are the input.  The input is cut at NUL bytes into the event's name,
 * description, url, venue, street and locality; the event is signed with
 * the fixed author key, added with ics_add_entry() and written with
 * ics_text().  Whatever the texts hold, the file must be one calendar
 * with exactly this one VEVENT (no text can start another: issue 24), its
 * lines, unfolded, free of control characters but the CR LF that ends them
 * (libical once folded inside that CR LF: ics.c, mend_line_ends), a URL
 * only if it is an http(s) URI with no control character or space, and
 * libical must read it back with the same UID.
 */
#include <libical/ical.h>

#include "fuzz.h"
#include "proto/ident.h"
#include "proto/mp.h"
#include "proto/record.h"
#include "query/ics.h"
#include "store/store.h"

#define FZ_ICS_FIELDS 6

/* The input's fields, at most FZ_ICS_FIELDS, each NUL-terminated (copies). */
static unsigned split(const uint8_t *data, size_t size, char *f[FZ_ICS_FIELDS])
{
	unsigned n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= size && n < FZ_ICS_FIELDS; i++)
		if (i == size || data[i] == 0) {
			f[n++] = gl_xstrndup((const char *)data + start, i - start);
			start = i + 1;
		}
	return n;
}

static void put_str(struct gl_buf *b, const char *key, const char *v)
{
	mp_write_str(b, key, strlen(key));
	mp_write_str(b, v, strlen(v));
}

/* An event body: name and description in English, url, location. */
static void event_body(struct gl_buf *b, char *f[FZ_ICS_FIELDS])
{
	mp_write_map(b, 6);
	mp_write_str(b, "name", 4);
	mp_write_map(b, 1);
	put_str(b, "en", f[0]);
	put_str(b, "start", "2027-03-18T19:00:00+01:00");
	put_str(b, "end", "2027-03-18T21:00:00+01:00");
	mp_write_str(b, "description", 11);
	mp_write_map(b, 1);
	put_str(b, "en", f[1]);
	put_str(b, "url", f[2]);
	mp_write_str(b, "location", 8);
	mp_write_map(b, 2);
	put_str(b, "name", f[3]);
	mp_write_str(b, "address", 7);
	mp_write_map(b, 2);
	put_str(b, "street", f[4]);
	put_str(b, "locality", f[5]);
}

/* text with its folds undone (RFC 5545, 3.1: CR LF and a space or tab
 * go); the caller frees it. */
static char *unfold(const char *text)
{
	char *out = gl_xstrdup(text), *w = out;
	for (const char *r = text; *r;) {
		if (r[0] == '\r' && r[1] == '\n' && (r[2] == ' ' || r[2] == '\t'))
			r += 3;
		else
			*w++ = *r++;
	}
	*w = '\0';
	return out;
}

/* The checks on the text of a calendar that holds one event, uid. */
static void check_text(const char *folded, const char *uid)
{
	unsigned vevents = 0, urls = 0;
	/* no bare CR or LF, folded or not */
	for (const char *p = folded; *p; p++)
		FZ_CHECK((*p != '\r' || p[1] == '\n') && (*p != '\n' || (p > folded && p[-1] == '\r')));
	char *text = unfold(folded);
	const char *line = text;
	while (*line) {
		const char *end = strstr(line, "\r\n");
		FZ_CHECK(end != NULL); /* every line ends in CR LF */
		for (const char *p = line; p < end; p++)
			FZ_CHECK((unsigned char)*p >= 0x20 || *p == '\t');
		size_t len = (size_t)(end - line);
		vevents += len == 12 && !memcmp(line, "BEGIN:VEVENT", 12);
		if (len > 4 && !memcmp(line, "URL", 3) && (line[3] == ':' || line[3] == ';')) {
			urls++;
			const char *v = memchr(line, ':', len);
			FZ_CHECK(v && (!strncmp(v + 1, "http://", 7) || !strncmp(v + 1, "https://", 8)));
		}
		line = end + 2;
	}
	FZ_CHECK(vevents == 1);
	FZ_CHECK(urls <= 1);
	free(text);
	icalcomponent *cal = icalparser_parse_string(folded);
	FZ_CHECK(cal != NULL);
	icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	FZ_CHECK(ev != NULL);
	FZ_CHECK(icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT) == NULL);
	const char *got = icalcomponent_get_uid(ev);
	FZ_CHECK(got && !strcmp(got, uid));
	icalcomponent_free(cal);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	static uint8_t pk[32], sk[64];
	static int have_key;
	if (!have_key) {
		fz_keypair(FZ_SEED_AUTHOR, pk, sk);
		have_key = 1;
	}
	char *f[FZ_ICS_FIELDS] = { 0 };
	unsigned n = split(data, size, f);
	for (unsigned i = n; i < FZ_ICS_FIELDS; i++)
		f[i] = gl_xstrdup("");
	struct gl_buf body = { 0 }, env = { 0 };
	event_body(&body, f);
	struct record_draft d = {
		.kind = RK_EVENT, .id = "fuzz-event", .id_len = 10, .version = 1,
		.issued = 1700000000, .expires = 1700000000 + 365 * 86400,
		.body = body.data, .body_len = body.len,
	};
	struct record r;
	struct gl_error err;
	if (record_sign(&d, sk, &env, &err) == 0 && record_parse(env.data, env.len, &r, &err) == 0) {
		uint8_t cid[RECORD_CID_LEN];
		record_cid(env.data, env.len, cid);
		struct store_entry e = {
			.author = r.author, .kind = r.kind, .id = r.id, .id_len = r.id_len,
			.version = r.version, .issued = r.issued, .expires = r.expires, .cid = cid,
			.env = env.data, .env_len = env.len,
		};
		struct ics_calendar *cal;
		FZ_CHECK(ics_new("en", &cal, &err) == 0);
		FZ_CHECK(ics_add_entry(cal, &e, &err) == 0);
		char *text = ics_text(cal);
		FZ_CHECK(text != NULL);
		char hex[2 * RECORD_KEY_LEN + 1], uid[64];
		ident_hex(pk, RECORD_KEY_LEN, hex);
		snprintf(uid, sizeof uid, "fuzz-event@%.16s.gilde", hex);
		check_text(text, uid);
		free(text);
		ics_free(cal);
	}
	gl_buf_free(&env);
	gl_buf_free(&body);
	for (unsigned i = 0; i < FZ_ICS_FIELDS; i++)
		free(f[i]);
	return 0;
}
