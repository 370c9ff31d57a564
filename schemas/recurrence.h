/*
 * recurrence.h — an event's "recurrence" (event.schema.json): its RRULE
 * and EXDATEs read with libical, checked beyond what the schema's pattern
 * can say, and stepped through in Europe/Brussels wall-clock time.  The
 * one place gilde reads a recurrence rule: doc.c checks every event body
 * with it (what a person publishes and what a peer sends alike), and
 * query/events.h expands listings with its iterator.
 *
 * What the pattern admits but this module refuses, each with a message
 * that names the field (/recurrence/rrule, /recurrence/exdates/N):
 *   - a part given twice; COUNT together with UNTIL (RFC 5545 3.3.10);
 *   - an ordinal BYDAY (2TU, -1FR) in a DAILY or WEEKLY rule: RFC 5545
 *     allows it only in MONTHLY and YEARLY rules, and libical 3.0 spends
 *     half a second on DAILY;BYDAY=2MO before it finds nothing;
 *   - what libical cannot read or expand: BYMONTHDAY in a WEEKLY rule,
 *     BYSETPOS alone, BYSETPOS=366 in a year of Mondays, ...;
 *   - an UNTIL before the start;
 *   - (recurrence_check only) a rule whose first occurrence is not the
 *     event's start (RFC 5545 leaves such a set undefined; the schema says
 *     start is the first occurrence), and an exdate that is not an
 *     occurrence (an offset of +01:00 on a summer date, say, which would
 *     otherwise leave the occurrence in without a word).
 *
 * Times.  A rule recurs in Europe/Brussels wall-clock time: the start (an
 * instant) is read as Brussels local time, the rule steps through local
 * dates and times (floating, so a step across a DST change keeps the hour:
 * libical's zoned stepping carries a shifted hour into later weeks), and
 * each occurrence becomes an instant again as RFC 5545 3.3.5 says: a local
 * time that does not exist (the hour skipped in March) is read with the
 * offset before the gap, one that comes twice (October) as the first.  A
 * date UNTIL (20271221) means the end of that day in Brussels (libical
 * alone would stop at its midnight and drop that day's occurrence); an
 * UNTIL date-time is UTC.  Either way it becomes recurrence.until.
 *
 * Caveats: libical is called with errors not fatal; its timezone cache
 * and error state are guarded by its own locks and thread-local storage
 * (libical 3.0 built with pthreads), so readers on several threads are
 * safe.  A rule that passes recurrence_read() but not recurrence_check()
 * (a store filled before the check existed) can make one libical step
 * take half a second: callers bound their steps, not libical's.
 */
#ifndef GILDE_SCHEMAS_RECURRENCE_H
#define GILDE_SCHEMAS_RECURRENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libical/ical.h>

#include "proto/err.h"

/* The zone every rule recurs in (and every DTSTART of ics.h is in). */
#define RECURRENCE_TZID "Europe/Brussels"
/* event.schema.json: exdates' maxItems and the rrule's maxLength. */
#define RECURRENCE_EXDATES_MAX 100
#define RECURRENCE_RULE_MAX 300
/* How many occurrences recurrence_check() walks to find the exdates: a
 * weekly event's 190 years, a daily one's 27.  An exdate further on is
 * refused (it names the limit). */
#define RECURRENCE_CHECK_MAX 10000
/* "2027-03-29T09:00:00+02:00" and its NUL. */
#define RECURRENCE_TIME_TEXT 32
/* A RECURRENCE-ID value in Brussels time, "20270329T090000", and its NUL. */
#define RECURRENCE_ID_TEXT 16
/* No UNTIL. */
#define RECURRENCE_NO_UNTIL INT64_MAX

/*
 * RECURRENCE_TZID as libical knows it, for every thread of the process:
 * looked up and its rules loaded once, since libical does both unlocked
 * the first time (two threads at once crashed gilded).  NULL if libical
 * has no zone data.  Every lookup of the zone goes through here (ics.c
 * too).  The zone is libical's: never freed.
 */
icaltimezone *recurrence_zone(void);

/* An event's recurrence, read. */
struct recurrence {
	struct icalrecurrencetype rule; /* as libical read it, but until: null */
	int64_t start;                  /* the event's start, its first occurrence */
	int64_t until;                  /* no occurrence starts after it; RECURRENCE_NO_UNTIL */
	unsigned nexdates;
	int64_t exdates[RECURRENCE_EXDATES_MAX]; /* ascending, no two alike */
};

/*
 * Read the "recurrence" and "start" of an event body (proto/body.h) into
 * *out.  Returns 0; 1 if the body has no "recurrence" (*out untouched);
 * GL_ESCHEMA with err naming the field (see the top) if it is not one
 * gilde expands, or "start" or an exdate is missing or not an RFC 3339
 * date-time; GL_ECONFIG if libical has no data for Europe/Brussels
 * (install tzdata).  Costs a parse and one libical iterator, no steps.
 */
int recurrence_read(const uint8_t *body, size_t len, struct recurrence *out,
                    struct gl_error *err);

/*
 * recurrence_read(), then: the rule's first occurrence is the event's
 * start, and each exdate is an occurrence among the first
 * RECURRENCE_CHECK_MAX.  Returns 0 (also for a body without
 * "recurrence"), or recurrence_read()'s errors.  Used on every event body
 * a node accepts (schemas/doc.h).
 */
int recurrence_check(const uint8_t *body, size_t len, struct gl_error *err);

/* Whether instant t is one of r's exdates. */
bool recurrence_excluded(const struct recurrence *r, int64_t t);

/* One occurrence: its start, and its RECURRENCE-ID (the local time the
 * rule gave, in Brussels: for the skipped hour, not quite the start). */
struct recurrence_occurrence {
	int64_t start;
	char id[RECURRENCE_ID_TEXT];
};

struct recurrence_iter;

/*
 * An iterator over r's occurrences (exdates included: the caller decides)
 * that start at or after `from`, in order.  A rule without COUNT is
 * entered near `from` at once (libical's set_start); one with COUNT
 * (at most 999, the schema's pattern) is stepped from its start.  r must
 * outlive the iterator.  Returns 0 and *out (free it with
 * recurrence_iter_free), GL_EFORMAT if libical refuses the rule (err
 * says so), or GL_ECONFIG (no Europe/Brussels).
 */
int recurrence_iter_new(const struct recurrence *r, int64_t from, struct recurrence_iter **out,
                        struct gl_error *err);
/* The next occurrence into *o: true, or false when the rule has no more
 * (COUNT, UNTIL, or libical's last year, 2582). */
bool recurrence_iter_next(struct recurrence_iter *it, struct recurrence_occurrence *o);
void recurrence_iter_free(struct recurrence_iter *it);

/*
 * Instant t as Brussels local time: RFC 3339 with its offset
 * ("2027-06-17T18:00:00+02:00") into out.  Returns out, or NULL (out "")
 * if libical has no Europe/Brussels.
 */
char *recurrence_local_text(int64_t t, char out[RECURRENCE_TIME_TEXT]);

#endif
