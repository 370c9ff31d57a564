/*
 * insight.c — one progress event: checked, kept, read back (insight.h).
 */
#include "query/insight.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ident.h"

/* The key of the token hash: the hash is of this use only. */
static const uint8_t token_key[16] = "gilde-insight-v1";

static const char *const step_names[INSIGHT_STEPS] = {
	[INSIGHT_LISTED] = "listed", [INSIGHT_CHOSEN] = "chosen", [INSIGHT_DONE] = "done",
	[INSIGHT_DROPPED] = "dropped", [INSIGHT_NOFIT] = "nofit",
};

const char *insight_step_name(int step)
{
	return step >= 0 && step < INSIGHT_STEPS ? step_names[step] : NULL;
}

static int step_parse(const char *s)
{
	for (int i = 0; s && i < INSIGHT_STEPS; i++)
		if (!strcmp(s, step_names[i]))
			return i;
	return -1;
}

/* ---- weeks ------------------------------------------------------------------ */

/* Days since 1970-01-01 of a date of the proleptic Gregorian calendar. */
static int64_t days_of(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* The year of a day (days since 1970-01-01). */
static int64_t year_of(int64_t days)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

/* Week 0 starts on Monday 1969-12-29, three days before the epoch. */
uint32_t insight_week_of(uint64_t secs)
{
	return (uint32_t)((secs / 86400 + 3) / 7);
}

void insight_week_format(uint32_t week, char out[INSIGHT_WEEK_TEXT])
{
	int64_t thursday = (int64_t)week * 7; /* an ISO week belongs to its Thursday's year */
	int64_t y = year_of(thursday);
	int64_t n = (thursday - days_of(y, 1, 1)) / 7 + 1;
	char text[32]; /* what snprintf could write for any int */
	snprintf(text, sizeof text, "%04d-W%02d", (int)(y % 10000), (int)(n % 100));
	memcpy(out, text, INSIGHT_WEEK_TEXT - 1);
	out[INSIGHT_WEEK_TEXT - 1] = '\0';
}

int insight_week_parse(const char *text, uint32_t *week)
{
	if (strlen(text) != 8 || text[4] != '-' || text[5] != 'W')
		return GL_EFORMAT;
	int y = 0, w = 0;
	for (int i = 0; i < 8; i++) {
		if (i == 4 || i == 5)
			continue;
		if (text[i] < '0' || text[i] > '9')
			return GL_EFORMAT;
		if (i < 4)
			y = y * 10 + (text[i] - '0');
		else
			w = w * 10 + (text[i] - '0');
	}
	if (y < 1971 || w < 1 || w > 53)
		return GL_EFORMAT;
	int64_t jan4 = days_of(y, 1, 4), monday = jan4 - (jan4 + 3) % 7 + (int64_t)(w - 1) * 7;
	uint32_t n = (uint32_t)((monday + 3) / 7);
	char back[INSIGHT_WEEK_TEXT];
	insight_week_format(n, back);
	if (strcmp(back, text)) /* week 53 of a year of 52 */
		return GL_EFORMAT;
	*week = n;
	return 0;
}

/* ---- tokens ----------------------------------------------------------------- */

int insight_token_hash(const char *token, uint8_t out[PROGRESS_TOKHASH_LEN])
{
	size_t n = token ? strlen(token) : 0;
	if (n != INSIGHT_TOKEN_LEN)
		return GL_EFORMAT;
	for (size_t i = 0; i < n; i++) {
		char c = token[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return GL_EFORMAT;
	}
	crypto_generichash(out, PROGRESS_TOKHASH_LEN, (const uint8_t *)token, n, token_key,
	                   sizeof token_key);
	return 0;
}

/* ---- taking an event ---------------------------------------------------------- */

/* The partner of a checked event (schema: author a key, id a slug) into t. */
static void take_partner(const json_t *doc, struct insight_taken *t)
{
	const json_t *p = json_object_get(doc, "partner");
	t->has_partner = p != NULL;
	t->partner_id[0] = '\0';
	if (!p)
		return;
	ident_parse(IDENT_PK_PREFIX, json_string_value(json_object_get(p, "author")), "author",
	            t->partner_author, NULL);
	const char *id = json_string_value(json_object_get(p, "id"));
	snprintf(t->partner_id, sizeof t->partner_id, "%s", id ? id : "");
}

static int take_checked(json_t *doc, uint64_t now, struct insight_taken *out,
                        struct gl_error *err)
{
	int step = step_parse(json_string_value(json_object_get(doc, "step")));
	bool partner = json_object_get(doc, "partner") != NULL;
	if ((step == INSIGHT_CHOSEN) != partner)
		return gl_errorf(err, GL_ESCHEMA, step == INSIGHT_CHOSEN
		                 ? "event: /partner: a chosen step names the partner chosen"
		                 : "event: /partner: only a chosen step names a partner");
	uint32_t week, today = insight_week_of(now);
	if (insight_week_parse(json_string_value(json_object_get(doc, "week")), &week))
		return gl_errorf(err, GL_ESCHEMA, "event: /week: not a week of the calendar");
	if (week + INSIGHT_WEEK_SLACK < today || week > today + INSIGHT_WEEK_SLACK) {
		char w[INSIGHT_WEEK_TEXT];
		insight_week_format(today, w);
		return gl_errorf(err, GL_ETIME, "event: /week: this node is in week %s; an event "
		                 "names that week or the one before or after", w);
	}
	uint8_t tokhash[PROGRESS_TOKHASH_LEN];
	insight_token_hash(json_string_value(json_object_get(doc, "token")), tokhash);
	json_object_del(doc, "token");
	json_object_del(doc, "week");
	char *val = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!val || strlen(val) > PROGRESS_VALUE_MAX) {
		free(val);
		return gl_errorf(err, GL_ELIMIT, "event: over PROGRESS_VALUE_MAX (%d bytes) as kept",
		                 PROGRESS_VALUE_MAX);
	}
	memcpy(out->tokhash, tokhash, sizeof tokhash);
	out->week = week;
	out->val = val;
	out->vlen = strlen(val);
	take_partner(doc, out);
	return 0;
}

int insight_take(const struct schema_set *set, const char *text, size_t len, uint64_t now,
                 struct insight_taken *out, struct gl_error *err)
{
	if (len > INSIGHT_EVENT_MAX)
		return gl_errorf(err, GL_ELIMIT, "an event of %zu bytes, over INSIGHT_EVENT_MAX (%d)",
		                 len, INSIGHT_EVENT_MAX);
	json_error_t jerr;
	json_t *doc = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return gl_errorf(err, GL_EJSON, "the event is not JSON: line %d: %s", jerr.line,
		                 jerr.text);
	int rc;
	if (!json_is_object(doc))
		rc = gl_errorf(err, GL_ESCHEMA, "event: the event must be a JSON object");
	else if (!(rc = schema_validate_json(set, "progress.schema.json", doc, "event", err)))
		rc = take_checked(doc, now, out, err);
	json_decref(doc);
	return rc;
}

/* ---- reading a kept event ----------------------------------------------------- */

static int8_t term(const struct taxonomy *tax, const char *facet, const json_t *v, bool *bad)
{
	if (!v)
		return -1;
	const struct tax_term *t = taxonomy_term(tax, facet, json_string_value(v) ? json_string_value(v) : "");
	if (!t || t->order > 127) {
		*bad = true;
		return -1;
	}
	return (int8_t)t->order;
}

static int8_t answer(const json_t *v)
{
	return json_is_boolean(v) ? (int8_t)json_is_true(v) : -1;
}

bool insight_read(const struct taxonomy *tax, const uint8_t *val, size_t len,
                  struct insight_event *out)
{
	json_t *doc = json_loadb((const char *)val, len, 0, NULL), *b = json_object_get(doc, "bucket");
	bool bad = !json_is_object(b);
	struct insight_event e;
	memset(&e, 0, sizeof e);
	e.b.phase = term(tax, "phase", json_object_get(b, "phase"), &bad);
	e.b.sector = term(tax, "sector", json_object_get(b, "sector"), &bad);
	e.b.activity = term(tax, "activity", json_object_get(b, "activity"), &bad);
	e.b.student = answer(json_object_get(b, "student"));
	e.b.international = answer(json_object_get(b, "international"));
	e.b.side = answer(json_object_get(b, "side_activity"));
	int step = step_parse(json_string_value(json_object_get(doc, "step")));
	int8_t need = term(tax, "need", json_object_get(doc, "need"), &bad);
	const json_t *p = json_object_get(doc, "partner");
	const char *id = json_string_value(json_object_get(p, "id"));
	e.partner = p && !ident_parse(IDENT_PK_PREFIX, json_string_value(json_object_get(p, "author")),
	                              "author", e.author, NULL);
	snprintf(e.partner_id, sizeof e.partner_id, "%s", id ? id : "");
	json_decref(doc);
	if (bad || e.b.phase < 0 || step < 0 || need < 0 || (step == INSIGHT_CHOSEN) != e.partner)
		return false;
	e.step = (uint8_t)step;
	e.need = (uint8_t)need;
	*out = e;
	return true;
}

json_t *insight_event_json(const struct progress_event *e)
{
	json_t *doc = json_loadb((const char *)e->val, e->len, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return NULL;
	}
	char w[INSIGHT_WEEK_TEXT];
	insight_week_format(e->week, w);
	json_object_set_new(doc, "week", json_string(w));
	return doc;
}
