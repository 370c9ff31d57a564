/*
 * calendar.h — events as a reader takes them away: a list of occurrences
 * in start order, or an iCalendar file (ics.h) of such a list or of one
 * event.  The answers of `gilde events` (--json, --ics) and of the web
 * API's GET /api/v1/events and /events.ics (proto/API.md); both list what
 * events_occurrences() (events.h) gives, so the CLI, the API, the page
 * and the feed show the same occurrences.
 *
 * The list holds one JSON object an occurrence: the event's record
 * (view.h) with
 *   "uid"            the event's iCalendar UID (ics_uid()), the same for
 *                    every occurrence of a recurring event;
 * and, for an occurrence of a recurring event,
 *   "recurrence_id"  its RECURRENCE-ID, the local time the rule gave in
 *                    Europe/Brussels ("20270315T090000"): uid and
 *                    recurrence_id name one occurrence;
 *   "start", "end"   this occurrence's, RFC 3339 in Brussels time (the
 *                    record's own are its first occurrence's);
 * the record's "recurrence" stays as it is.
 *
 * The calendar holds one VEVENT an event, never one an occurrence: a
 * recurring event's carries its RRULE and EXDATEs (ics.h), so a
 * subscriber's calendar expands it itself; an event is in it if one of its
 * occurrences is in the window.
 *
 * Caveats: the iCalendar functions use libical, which keeps global state:
 * the caller runs at most one of them at a time (ics.h).  Each writes its
 * out-parameters only on success.
 */
#ifndef GILDE_QUERY_CALENDAR_H
#define GILDE_QUERY_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "proto/record.h"
#include "query/events.h"
#include "store/store.h"

/*
 * The first `limit` occurrences of the events of f (at most
 * EVENTS_PER_EVENT_MAX of one event) as a new JSON array (above), and in
 * *more whether the window held more.  limit is 1 to EVENTS_LIST_MAX.
 * Returns 0, or events_occurrences()'s error.
 */
int calendar_events(struct store_txn *t, const struct events_filter *f, size_t limit,
                    json_t **out, bool *more, struct gl_error *err);

/* What calendar_events_ics() wrote. */
struct calendar_ics {
	char *text;       /* the calendar, NUL-terminated; the caller frees it */
	unsigned events;  /* VEVENTs in it */
	unsigned skipped; /* events left out: libical refused their times */
};

/*
 * The first `limit` events of f that have an occurrence in the window (in
 * the order of their first one there) as one iCalendar text with its
 * texts in lang (ics_new()), into *out.  An event libical cannot hold
 * (ics_add_entry() refuses its times) is left out, and counted in
 * out->skipped; it still counts towards limit.  limit is 1 to
 * EVENTS_LIST_MAX.  Returns 0, ics_new()'s GL_ENOTFOUND (no timezone
 * data), GL_EIO if libical cannot write the text, or
 * events_occurrences()'s error.
 */
int calendar_events_ics(struct store_txn *t, const struct events_filter *f, size_t limit,
                        const char *lang, struct calendar_ics *out, struct gl_error *err);

/*
 * The event (author, id) alone as an iCalendar text in lang: the VEVENT
 * it has in calendar_events_ics(), with the same UID, SEQUENCE, RRULE and
 * EXDATEs, in a calendar of its own, whenever it starts and whether or
 * not it is cancelled.  Returns 0, GL_ENOTFOUND if author holds no live
 * event `id`, GL_EFORMAT if libical refuses its times (err says which),
 * GL_ECONFIG if libical has no data for Europe/Brussels (ics_new()'s
 * GL_ENOTFOUND, told apart from a missing event), or the store's error.
 */
int calendar_event_ics(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], const char *id,
                       const char *lang, char **text, struct gl_error *err);

#endif
