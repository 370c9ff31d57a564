/*
 * events.h — events in start order, from the store's events index
 * (store/eventindex.h), not from a scan of the records: one-off events as
 * they are (events_scan), and every event's occurrences in a window, a
 * recurring event's expanded by libical (events_occurrences).  The one
 * expansion of gilde: `gilde events`, GET /api/v1/events, the page's
 * calendar and the .ics feed (query/calendar.h) all list what
 * events_occurrences() gives.
 *
 * A recurring event (one whose body has "recurrence", event.schema.json)
 * occurs at its start and then as its RRULE says, stepped in
 * Europe/Brussels wall-clock time (schemas/recurrence.h: 10:00 stays 10:00
 * across DST), minus its exdates; each occurrence lasts as long as the
 * event's first (end - start).  A rule gilde cannot read (a record held
 * from before the check at publish, schemas/doc.h) counts as no rule: the
 * event is its first occurrence alone, everywhere.
 *
 * Bounds: a listing holds at most EVENTS_LIST_MAX occurrences, one event
 * at most EVENTS_PER_EVENT_MAX of them, so a rule without COUNT or UNTIL
 * and a window without an end still end; libical is stepped at most
 * per-event + 100 (exdates) + 999 (a COUNT entered from its start) times
 * per event, and is entered at the window's start without stepping when
 * the rule has no COUNT.
 *
 * Caveats: events starting before 1970-01-01 and bodies without a
 * parseable "start" are not in the index, so neither function visits
 * them.
 */
#ifndef GILDE_QUERY_EVENTS_H
#define GILDE_QUERY_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"
#include "proto/record.h"
#include "schemas/recurrence.h"
#include "store/store.h"

/* No bound: pass as events_filter.to for "no end". */
#define EVENTS_OPEN_END INT64_MAX
/* The most occurrences one listing holds (events_occurrences' limit). */
#define EVENTS_LIST_MAX 1000
/* The most occurrences of one event in one listing: a year of a daily
 * event, seven of a weekly one. */
#define EVENTS_PER_EVENT_MAX 366
/* events_occurrence.end of an event without "end". */
#define EVENTS_NO_END INT64_MIN

/* What events_scan() and events_occurrences() visit. */
struct events_filter {
	int64_t from, to;       /* seconds since the epoch: starts in [from, to);
	                         * from < 0 counts as 0; to EVENTS_OPEN_END: no end */
	const char *sector;     /* NULL: any; else events listing this sector, or none */
	const char *phase;      /* NULL: any; else events listing this phase, or none */
	bool include_cancelled; /* also events with "status": "cancelled" */
};

/*
 * Called for each matching one-off event: e is the held record (never a
 * tombstone), start its start in seconds since the epoch.  e's pointers
 * are valid until t ends or is written to.  Return 0 to go on, non-zero
 * to stop.
 */
typedef int (*events_visit_fn)(void *ctx, const struct store_entry *e, int64_t start);

/*
 * Visit the one-off events (no "recurrence") of filter f in the order of
 * their start (events that start at the same second: in record-key order)
 * by walking the index from f->from; records are looked up one by one, so
 * the cost grows with the number of events in the range, not with the
 * size of the store.  An event without "sectors" matches every sector,
 * one without "phases" every phase.  Recurring events are not visited
 * (events_occurrences() lists them).
 *
 * t may be a read or a write transaction; fn must not write to it.
 * Returns 0, fn's non-zero value, GL_EINVAL for f NULL, or GL_ESTORE /
 * GL_EIO (err says which) if the index and the records disagree or LMDB
 * fails.
 */
int events_scan(struct store_txn *t, const struct events_filter *f, events_visit_fn fn,
                void *ctx, struct gl_error *err);

/* One occurrence of an event. */
struct events_occurrence {
	const struct store_entry *e; /* the event: never a tombstone; valid as in events_scan */
	int64_t start;               /* this occurrence's start */
	int64_t end;                 /* start + the event's length, or EVENTS_NO_END */
	bool recurring;              /* e has a rule gilde expands */
	char id[RECURRENCE_ID_TEXT]; /* recurring: the RECURRENCE-ID (Brussels time); else "" */
};

typedef int (*events_occurrence_fn)(void *ctx, const struct events_occurrence *o);

/*
 * Visit the first `limit` occurrences that start in [f->from, f->to) of
 * the events of filter f, in start order (equal starts in record-key
 * order), at most per_event of any one event: one-off events once, at
 * their start; recurring events (found through the index's recurring
 * section, however long ago they began) at each occurrence of their rule
 * in the window that is not an exdate.  per_event 1 gives each event once,
 * at its first occurrence in the window (the .ics feed, whose VEVENTs
 * carry the rule).  The answer is gathered before fn is called: memory
 * grows with limit, not with the events in the window.
 *
 * *more (if not NULL) says whether the window held more than was visited
 * (past limit, or past per_event of an event).  limit is 1 to
 * EVENTS_LIST_MAX, per_event 1 to EVENTS_PER_EVENT_MAX.  Returns 0, fn's
 * non-zero value, GL_EINVAL (no filter or visitor, a limit out of range),
 * GL_ECONFIG (libical has no Europe/Brussels), or events_scan()'s store
 * errors.
 */
int events_occurrences(struct store_txn *t, const struct events_filter *f, size_t limit,
                       size_t per_event, events_occurrence_fn fn, void *ctx, bool *more,
                       struct gl_error *err);

#endif
