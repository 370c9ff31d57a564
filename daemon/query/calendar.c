/*
 * calendar.c — events as JSON and as iCalendar (calendar.h).  events.c
 * decides which occurrences a window holds and ics.c what each VEVENT
 * holds; this file only shapes them.
 */
#include "query/calendar.h"

#include <string.h>

#include "query/ics.h"
#include "query/view.h"
#include "schemas/recurrence.h"

/* One occurrence as the list holds it (calendar.h). */
static json_t *occurrence_json(const struct events_occurrence *o)
{
	char uid[ICS_UID_MAX], when[RECURRENCE_TIME_TEXT];
	json_t *j = view_entry_json(o->e);
	json_object_set_new(j, "uid", json_string(ics_uid(o->e, uid)));
	if (!o->recurring)
		return j;
	json_object_set_new(j, "recurrence_id", json_string(o->id));
	if (recurrence_local_text(o->start, when))
		json_object_set_new(j, "start", json_string(when));
	if (o->end == EVENTS_NO_END)
		json_object_del(j, "end");
	else if (recurrence_local_text(o->end, when))
		json_object_set_new(j, "end", json_string(when));
	return j;
}

static int add_json(void *ctx, const struct events_occurrence *o)
{
	json_array_append_new(ctx, occurrence_json(o));
	return 0;
}

int calendar_events(struct store_txn *t, const struct events_filter *f, size_t limit,
                    json_t **out, bool *more, struct gl_error *err)
{
	json_t *list = json_array();
	bool m = false;
	int rc = events_occurrences(t, f, limit, EVENTS_PER_EVENT_MAX, add_json, list, &m, err);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = list;
	if (more)
		*more = m;
	return 0;
}

struct ics_visit {
	struct ics_calendar *cal;
	unsigned skipped;
};

static int add_vevent(void *ctx, const struct events_occurrence *o)
{
	struct ics_visit *v = ctx;
	struct gl_error refused = { 0 };
	if (ics_add_entry(v->cal, o->e, &refused))
		v->skipped++;
	return 0;
}

int calendar_events_ics(struct store_txn *t, const struct events_filter *f, size_t limit,
                        const char *lang, struct calendar_ics *out, struct gl_error *err)
{
	struct ics_visit v = { 0 };
	int rc = ics_new(lang, &v.cal, err);
	if (rc)
		return rc;
	/* one occurrence an event: the VEVENT carries the rule */
	rc = events_occurrences(t, f, limit, 1, add_vevent, &v, NULL, err);
	char *text = rc ? NULL : ics_text(v.cal);
	if (!rc && !text)
		rc = gl_errorf(err, GL_EIO, "libical could not write the calendar");
	if (!rc)
		*out = (struct calendar_ics){ .text = text, .events = ics_count(v.cal),
		                              .skipped = v.skipped };
	ics_free(v.cal);
	return rc;
}

int calendar_event_ics(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], const char *id,
                       const char *lang, char **text, struct gl_error *err)
{
	struct store_entry e;
	struct ics_calendar *cal = NULL;
	int rc = store_get(t, author, RK_EVENT, id, strlen(id), &e, err);
	if (!rc && e.tombstone)
		rc = gl_errorf(err, GL_ENOTFOUND, "event %s is retracted", id);
	if (rc)
		return rc;
	if ((rc = ics_new(lang, &cal, err)))
		return rc == GL_ENOTFOUND ? GL_ECONFIG : rc; /* not the event that is missing */
	if (!(rc = ics_add_entry(cal, &e, err)))
		*text = ics_text(cal);
	ics_free(cal);
	return rc;
}
