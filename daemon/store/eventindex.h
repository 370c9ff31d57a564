/*
 * eventindex.h — events in start order: an index kept in step with the
 * records (store_int.h), in their write transaction.  Listing events
 * (filters, the records themselves) is query/events.h's.
 *
 * The index is the store's `events` database:
 *
 *   events  key  start u64 big-endian (seconds since the epoch, UTC) || rkey
 *           val  empty
 *
 * where start is the event body's "start" (RFC 3339 with an offset) as an
 * instant, and rkey is the record key (author || kind || id, store.h).
 *
 * Invariant, kept inside store_put()'s write transaction by store/index.c:
 * every live event record whose "start" parses to an instant at or after
 * the epoch has exactly one events entry, and nothing else has one.  An
 * update that moves the start moves the entry; a tombstone, an expiry or a
 * revocation removes it.
 *
 * Caveats: events starting before 1970-01-01 (which the schema's pattern
 * allows but no directory has a use for) and bodies without a parseable
 * "start" are simply not indexed, so eventindex_walk() never visits them.
 */
#ifndef GILDE_STORE_EVENTINDEX_H
#define GILDE_STORE_EVENTINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"
#include "proto/record.h"
#include "store/store.h"

/*
 * Index hooks: store/index.c calls these inside the write transaction t,
 * add when the live event record r (key rkey, rlen bytes) enters the
 * store, remove before it leaves (r is then the held version, parsed).
 * Both find the start in r's body themselves, so remove deletes exactly
 * the entry add made.  Removing an entry that is not there is not an
 * error.  Return 0, or GL_ENOSPC / GL_EIO / GL_ESTORE with err filled in
 * (abort the transaction).
 */
int eventindex_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                   const struct record *r, struct gl_error *err);
int eventindex_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                      const struct record *r, struct gl_error *err);

/*
 * Called for each index entry in [from, to): rkey (rlen bytes, pointing
 * into the store, valid until t ends or is written to) and the start in
 * seconds since the epoch.  Return 0 to go on, non-zero to stop.
 */
typedef int (*eventindex_fn)(void *ctx, const uint8_t *rkey, size_t rlen, int64_t start);

/*
 * Walk the entries whose start is in [from, to) in start order (equal
 * starts in record-key order); from < 0 counts as 0.  Returns 0, fn's
 * non-zero value, or GL_ESTORE (a damaged entry) / GL_EIO.
 */
int eventindex_walk(struct store_txn *t, int64_t from, int64_t to, eventindex_fn fn,
                    void *ctx, struct gl_error *err);

/*
 * The number of entries in the events index (for checks and tests: it
 * equals the number of live, indexable event records).  Returns 0 and
 * *out, or GL_EIO.
 */
int eventindex_count(struct store_txn *t, uint64_t *out, struct gl_error *err);

#endif
