/*
 * events.h — events in start order, from the store's events index
 * (store/eventindex.h), not from a scan of the records.
 *
 * Caveats: events starting before 1970-01-01 and bodies without a
 * parseable "start" are not in the index, so events_scan() never visits
 * them.
 */
#ifndef GILDE_QUERY_EVENTS_H
#define GILDE_QUERY_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"
#include "proto/record.h"
#include "store/store.h"

/* No bound: pass as events_filter.to for "no end". */
#define EVENTS_OPEN_END INT64_MAX

/* What events_scan() visits. */
struct events_filter {
	int64_t from, to;       /* seconds since the epoch: starts in [from, to);
	                         * from < 0 counts as 0; to EVENTS_OPEN_END: no end */
	const char *sector;     /* NULL: any; else events listing this sector, or none */
	const char *phase;      /* NULL: any; else events listing this phase, or none */
	bool include_cancelled; /* also events with "status": "cancelled" */
};

/*
 * Called for each matching event: e is the held record (never a tombstone),
 * start its start in seconds since the epoch.  e's pointers are valid until
 * t ends or is written to.  Return 0 to go on, non-zero to stop.
 */
typedef int (*events_visit_fn)(void *ctx, const struct store_entry *e, int64_t start);

/*
 * Visit the events of filter f in the order of their start (events that
 * start at the same second: in record-key order) by walking the index from
 * f->from; records are looked up one by one, so the cost grows with the
 * number of events in the range, not with the size of the store.  An event
 * without "sectors" matches every sector, one without "phases" every phase.
 *
 * t may be a read or a write transaction; fn must not write to it.
 * Returns 0, fn's non-zero value, GL_EINVAL for f NULL, or GL_ESTORE /
 * GL_EIO (err says which) if the index and the records disagree or LMDB
 * fails.
 */
int events_scan(struct store_txn *t, const struct events_filter *f, events_visit_fn fn,
                void *ctx, struct gl_error *err);

#endif
