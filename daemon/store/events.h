/*
 * events.h — events in start order, from an index kept in step with the
 * records (store_int.h), not from a scan of the records.
 *
 * The index is the store's `events` database:
 *
 *   events  key  start u64 big-endian (seconds since the epoch, UTC) || rkey
 *           val  empty
 *
 * where start is the event body's "start" (RFC 3339 with an offset) as an
 * instant, and rkey is the record key (author || kind || id, store.h).
 *
 * Invariant, kept inside store_put()'s write transaction by daemon/store/index.c:
 * every live event record whose "start" parses to an instant at or after
 * the epoch has exactly one events entry, and nothing else has one.  An
 * update that moves the start moves the entry; a tombstone, an expiry or a
 * revocation removes it.
 *
 * Caveats: events starting before 1970-01-01 (which the schema's pattern
 * allows but no directory has a use for) and bodies without a parseable
 * "start" are simply not indexed, so events_scan() never visits them.
 */
#ifndef GILDE_EVENTS_H
#define GILDE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "record.h"
#include "store.h"

/*
 * Index hooks: daemon/store/index.c calls these inside the write transaction t,
 * add when the live event record r (key rkey, rlen bytes) enters the
 * store, remove before it leaves (r is then the held version, parsed).
 * Both find the start in r's body themselves, so remove deletes exactly
 * the entry add made.  Removing an entry that is not there is not an
 * error.  Return 0, or GL_ENOSPC / GL_EIO / GL_ESTORE with err filled in
 * (abort the transaction).
 */
int events_index_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                     const struct record *r, struct gl_error *err);
int events_index_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        const struct record *r, struct gl_error *err);

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

/*
 * The number of entries in the events index (for checks and tests: it
 * equals the number of live, indexable event records).  Returns 0 and
 * *out, or GL_EIO.
 */
int events_index_count(struct store_txn *t, uint64_t *out, struct gl_error *err);

#endif
