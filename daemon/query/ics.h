/*
 * ics.h — events as an iCalendar file (RFC 5545), built with libical 3.
 *
 * The calendar is
 *
 *   VCALENDAR  VERSION:2.0, PRODID:-//gilde//gilde 0.1//EN,
 *              CALSCALE:GREGORIAN, METHOD:PUBLISH
 *     VTIMEZONE  TZID:Europe/Brussels (libical's builtin zone, renamed and
 *                trimmed to start in the year of the earliest event)
 *     VEVENT     one per event, in the order they were added
 *
 * and each VEVENT carries
 *
 *   UID          ID@HEX.gilde, HEX the first 16 hex digits of the author's
 *                key: the same record key always gives the same UID, so a
 *                calendar that imports the file again updates its copy
 *   SEQUENCE     ics_sequence(version): grows with every update
 *   DTSTAMP      the record's issued time (UTC)
 *   DTSTART, DTEND  local time in Europe/Brussels, TZID=Europe/Brussels
 *   RRULE        a recurring event's rule (schemas/recurrence.h), UNTIL in
 *                UTC; DTSTART is its first occurrence, and a subscriber's
 *                calendar expands it with this file's VTIMEZONE
 *   EXDATE       one per exdate, local time with TZID=Europe/Brussels
 *   SUMMARY, DESCRIPTION (the description, a blank line, the url),
 *   LOCATION (venue, street, postal code and locality, "online"), URL,
 *   STATUS       CONFIRMED, or CANCELLED for "status": "cancelled"
 *
 * libical does the text format: CRLF line ends, folding at 75 octets,
 * escaping of backslash, comma, semicolon and newline in TEXT values.
 *
 * Invariant: an ics_calendar always holds a complete calendar; ics_text()
 * may be called at any time.  Not thread-safe (libical's timezone cache
 * and error state are global).
 */
#ifndef GILDE_ICS_H
#define GILDE_ICS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "schemas/recurrence.h"
#include "store/store.h"

/* The timezone of every DTSTART and DTEND: the one events recur in. */
#define ICS_TZID RECURRENCE_TZID

struct ics_calendar;

/*
 * Begin an empty calendar whose texts are in lang ("nl" or "en"; other
 * languages fall back as view_text() does).  Returns 0 and *out (free it
 * with ics_free), or GL_ENOTFOUND if libical has no data for Europe/Brussels
 * (install the tzdata package).
 */
int ics_new(const char *lang, struct ics_calendar **out, struct gl_error *err);
void ics_free(struct ics_calendar *c);

/*
 * Add the event e (a live event record), its fields read from its body
 * (proto/body.h).  Returns 0, or GL_EFORMAT if it has no start or its
 * start or end is not an RFC 3339 date-time; then nothing was added.
 */
int ics_add_entry(struct ics_calendar *c, const struct store_entry *e, struct gl_error *err);

/*
 * The same, for callers that hold the event's JSON form too: doc is not
 * read (the body is e's).  It stays until daemon/web.c, its last caller,
 * moves to ics_add_entry.
 */
int ics_add(struct ics_calendar *c, const struct store_entry *e, json_t *doc,
            struct gl_error *err);

/* "ID@HEX.gilde": the UID of event e (above). */
#define ICS_UID_MAX (GL_ID_MAX + 32)
char *ics_uid(const struct store_entry *e, char out[ICS_UID_MAX]);

/* How many events were added. */
unsigned ics_count(const struct ics_calendar *c);

/*
 * The calendar as iCalendar text, NUL-terminated; the caller frees it with
 * free().
 */
char *ics_text(struct ics_calendar *c);

/*
 * Write text to path: "-" is stdout; otherwise path.part is written,
 * flushed to disk and renamed to path, so a reader never sees half a file.
 * Returns 0 or GL_EIO (err names the file).
 */
int ics_write(const char *path, const char *text, struct gl_error *err);

/*
 * SEQUENCE for a record version (an int, RFC 5545; never decreasing as the
 * version grows).  See ics.c for why it is what it is.
 */
int ics_sequence(uint64_t version);

/*
 * A one-line place for an event body's "location": venue, street, postal
 * code and locality, and "online" for an online event; NULL if it has
 * none.  The caller frees the result with free().
 */
char *ics_location_text(const uint8_t *body, size_t len);

#endif
