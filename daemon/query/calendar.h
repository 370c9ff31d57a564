/*
 * calendar.h — events as a reader takes them away: a list of records in
 * start order, or an iCalendar file (ics.h) of such a list or of one
 * event.  The answers of the web API's GET /api/v1/events and
 * /events.ics (proto/API.md); the same events events_scan() (events.h)
 * visits, the same VEVENTs ics_add() writes.
 *
 * Caveats: the iCalendar functions use libical, which keeps global state:
 * the caller runs at most one of them at a time (ics.h).  Each writes its
 * out-parameters only on success.
 */
#ifndef GILDE_QUERY_CALENDAR_H
#define GILDE_QUERY_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "proto/record.h"
#include "query/events.h"
#include "store/store.h"

/*
 * The first `limit` events of f in start order, as a new JSON array of
 * records (view.h).  Returns 0, or events_scan()'s error.
 */
int calendar_events(struct store_txn *t, const struct events_filter *f, size_t limit,
                    json_t **out, struct gl_error *err);

/*
 * The first `limit` events of f as one iCalendar text with its texts in
 * lang (ics_new()), NUL-terminated, in *text (the caller frees it).
 * An event libical cannot hold (ics_add() refuses its times) is left out,
 * as `gilde events --ics` leaves it out, and counted in *skipped; it still
 * counts towards limit.  Returns 0, ics_new()'s GL_ENOTFOUND (no timezone
 * data), or events_scan()'s error.
 */
int calendar_events_ics(struct store_txn *t, const struct events_filter *f, size_t limit,
                        const char *lang, char **text, unsigned *skipped,
                        struct gl_error *err);

/*
 * The event (author, id) alone as an iCalendar text in lang: the VEVENT
 * it has in calendar_events_ics(), with the same UID and SEQUENCE, in a
 * calendar of its own, whenever it starts and whether or not it is
 * cancelled.  Returns 0, GL_ENOTFOUND if author holds no live event `id`,
 * GL_EFORMAT if libical refuses its times (err says which), GL_ECONFIG if
 * libical has no data for Europe/Brussels (ics_new()'s GL_ENOTFOUND, told
 * apart from a missing event), or the store's error.
 */
int calendar_event_ics(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], const char *id,
                       const char *lang, char **text, struct gl_error *err);

#endif
