/*
 * calendar.c — events as JSON and as iCalendar (calendar.h).  ics.c
 * decides what each VEVENT holds; this file only chooses the events.
 */
#include "query/calendar.h"

#include <string.h>

#include "query/ics.h"
#include "query/view.h"

struct visit {
	size_t left;
	json_t *list;              /* a JSON list, or */
	struct ics_calendar *cal;  /* a calendar */
	unsigned skipped;
};

static int visit_event(void *vc, const struct store_entry *e, int64_t start)
{
	struct visit *v = vc;
	(void)start;
	if (!v->left)
		return 1;
	v->left--;
	json_t *o = view_entry_json(e);
	if (v->cal) {
		struct gl_error refused = { 0 };
		if (ics_add(v->cal, e, o, &refused))
			v->skipped++;
	} else {
		json_array_append(v->list, o);
	}
	json_decref(o);
	return 0;
}

int calendar_events(struct store_txn *t, const struct events_filter *f, size_t limit,
                    json_t **out, struct gl_error *err)
{
	struct visit v = { .left = limit, .list = json_array() };
	int rc = events_scan(t, f, visit_event, &v, err);
	if (rc < 0) {
		json_decref(v.list);
		return rc;
	}
	*out = v.list;
	return 0;
}

int calendar_events_ics(struct store_txn *t, const struct events_filter *f, size_t limit,
                        const char *lang, char **text, unsigned *skipped,
                        struct gl_error *err)
{
	struct visit v = { .left = limit };
	int rc = ics_new(lang, &v.cal, err);
	if (rc)
		return rc;
	rc = events_scan(t, f, visit_event, &v, err);
	if (rc >= 0) {
		rc = 0;
		*text = ics_text(v.cal);
		*skipped = v.skipped;
	}
	ics_free(v.cal);
	return rc;
}

int calendar_event_ics(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], const char *id,
                       const char *lang, char **text, struct gl_error *err)
{
	struct store_entry e;
	struct ics_calendar *cal = NULL;
	json_t *o = NULL;
	int rc = store_get(t, author, RK_EVENT, id, strlen(id), &e, err);
	if (!rc && e.tombstone)
		rc = gl_errorf(err, GL_ENOTFOUND, "event %s is retracted", id);
	if (rc)
		return rc;
	if ((rc = ics_new(lang, &cal, err)))
		return rc == GL_ENOTFOUND ? GL_ECONFIG : rc; /* not the event that is missing */
	o = view_entry_json(&e);
	if (!(rc = ics_add(cal, &e, o, err)))
		*text = ics_text(cal);
	json_decref(o);
	ics_free(cal);
	return rc;
}
