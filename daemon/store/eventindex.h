/*
 * eventindex.h — events by start: an index kept in step with the records
 * (store_int.h), in their write transaction.  Listing events (filters,
 * the records themselves, the occurrences of recurring ones) is
 * query/events.h's.
 *
 * The index is the store's `events` database, in two sections:
 *
 *   events  key  start u64 big-endian || rkey            one-off events
 *                (2^63 | start) u64 big-endian || rkey   recurring events
 *           val  empty
 *
 * where start is the event body's "start" (RFC 3339 with an offset) as an
 * instant in seconds since the epoch, UTC — for a recurring event (one
 * whose body has "recurrence") that is its first occurrence — and rkey is
 * the record key (author || kind || id, store.h).
 *
 * Why recurring events have a section of their own.  "Upcoming events"
 * must find a weekly office hour that began last year: keyed by its first
 * start, a walk from now would pass it by.  Keying it by its last
 * occurrence instead would need the rule expanded here (libical, which the
 * store does not link, and query code, which it never calls), and an
 * open-ended rule has no last occurrence.  So a recurring event is kept
 * apart, by its first start, and a listing walks that section whole up to
 * its window's end (eventindex_walk_recurring), expanding each rule in
 * query/events.c.  They are few — office hours, a yearly fair — and each
 * one's record expires with the rest, so the walk stays short; a series
 * that has ended is read and passed over, one lookup.  One-off events
 * are walked from the window's start as before (eventindex_walk).
 *
 * Invariant, kept inside store_put()'s write transaction by store/index.c:
 * every live event record whose "start" parses to an instant at or after
 * the epoch has exactly one events entry — in the recurring section if
 * its body has "recurrence" (readable or not: the store does not read
 * rules), in the one-off section otherwise — and nothing else has one.
 * An update that moves the start, or adds or drops the recurrence, moves
 * the entry; a tombstone, an expiry or a revocation removes it.  A store
 * written before the sections existed held recurring events in the one-off
 * section; the first write open moves them (eventindex_upgrade in
 * store_int.h, once: meta "eventindex" says 2 after it).
 *
 * Caveats: events starting before 1970-01-01 (which the schema's pattern
 * allows but no directory has a use for) and bodies without a parseable
 * "start" are simply not indexed, so no walk visits them.  A read-only
 * open of a store no gilded has opened since the sections came sees its
 * recurring events as one-offs until gilded starts once.
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
 * Both find the start and whether it recurs in r's body themselves, so
 * remove deletes exactly the entry add made.  Removing an entry that is
 * not there is not an error.  Return 0, or GL_ENOSPC / GL_EIO / GL_ESTORE
 * with err filled in (abort the transaction).
 */
int eventindex_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                   const struct record *r, struct gl_error *err);
int eventindex_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                      const struct record *r, struct gl_error *err);

/*
 * Called for each index entry walked: rkey (rlen bytes, pointing into the
 * store, valid until t ends or is written to) and the start in seconds
 * since the epoch (a recurring event's first start).  Return 0 to go on,
 * non-zero to stop.
 */
typedef int (*eventindex_fn)(void *ctx, const uint8_t *rkey, size_t rlen, int64_t start);

/*
 * Walk the one-off events whose start is in [from, to) in start order
 * (equal starts in record-key order); from < 0 counts as 0.  Recurring
 * events are not visited.  Returns 0, fn's non-zero value, or GL_ESTORE
 * (a damaged entry) / GL_EIO.
 */
int eventindex_walk(struct store_txn *t, int64_t from, int64_t to, eventindex_fn fn,
                    void *ctx, struct gl_error *err);

/*
 * Walk the recurring events whose first start is before `before`, in
 * first-start order (then record-key order): every series that may have
 * an occurrence before it.  Returns as eventindex_walk().
 */
int eventindex_walk_recurring(struct store_txn *t, int64_t before, eventindex_fn fn, void *ctx,
                              struct gl_error *err);

/*
 * The number of entries in the events index, both sections (for checks
 * and tests: it equals the number of live, indexable event records).
 * Returns 0 and *out, or GL_EIO.
 */
int eventindex_count(struct store_txn *t, uint64_t *out, struct gl_error *err);

#endif
