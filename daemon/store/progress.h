/*
 * progress.h — the progress events starters agreed to send (issue 26:
 * opt-in, anonymous), kept apart from the directory.
 *
 * One LMDB environment of its own, DATA/insight/ (paths.h), not the
 * store's: the events are never records, never items, never gossiped,
 * exported or reconciled, and deleting the directory erases them all.
 * Its named databases (integers big-endian in keys, little-endian in
 * values):
 *
 *   events  key  tokhash(16) || seq u32            val  week u32, then the event
 *   weeks   key  week u32 || tokhash(16) || seq    val  empty
 *   meta    key  a name ("layout", "release", …)    val  bytes
 *
 * tokhash is what the caller makes of the starter's random token (a keyed
 * hash, query/insight.h): the token itself, which lets its holder read
 * and withdraw what it sent, is never stored.  week is a week number
 * (query/insight.h: weeks since Monday 1969-12-29), never a time.  The
 * event is opaque bytes here (query/insight.h writes them).
 *
 * Invariants, kept by the functions below in one transaction: every event
 * has exactly one weeks entry; a token's events are numbered from 1 in
 * the order they came, and a token holds at most PROGRESS_TOKEN_EVENTS_MAX;
 * a token never holds two events with the same bytes.
 *
 * Many processes may read while one writes (LMDB); gilded writes (its web
 * threads and its control socket), gilde reads.  A write transaction
 * belongs to the thread that began it.  LMDB's codes become ours through
 * the store's one adapter (store_mdb_fail).
 *
 * Caveats: nothing here checks an event; the caller must (query/insight.h).
 * Pointers in a struct progress_event are valid until the transaction ends.
 */
#ifndef GILDE_STORE_PROGRESS_H
#define GILDE_STORE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"

#define PROGRESS_TOKHASH_LEN 16
/* The largest event in bytes: a checked event is about 200. */
#define PROGRESS_VALUE_MAX 512
/* Events one token may hold: a plan of 32 steps, each listed, chosen,
 * done, dropped or found wanting a few times, fits many times over. */
#define PROGRESS_TOKEN_EVENTS_MAX 256
/* The most the environment may grow to: a million events of 200 bytes
 * with their index take about 400 MiB. */
#define PROGRESS_MAP_SIZE (1ull << 30)
/* 1: this layout. */
#define PROGRESS_LAYOUT 1

struct progress;
struct progress_txn;

/*
 * Open the environment in directory dir (created, mode 0700, unless
 * rdonly).  Returns 0 and *out, GL_ENOTFOUND if a read-only open finds no
 * environment there, GL_ESTORE for one of another layout, GL_EPERM or
 * GL_EIO; err names dir.
 */
int progress_open(const char *dir, bool rdonly, struct progress **out, struct gl_error *err);
void progress_close(struct progress *p);
const char *progress_path(const struct progress *p);

/* Begin a transaction (a read one sees one snapshot).  GL_EINVAL for a
 * write on a read-only open; else as LMDB fails. */
int progress_begin(struct progress *p, bool write, struct progress_txn **out,
                   struct gl_error *err);
/* Commit (or end a read) and free t.  On failure (GL_ENOSPC, GL_EIO)
 * nothing was written. */
int progress_commit(struct progress_txn *t, struct gl_error *err);
void progress_abort(struct progress_txn *t);

struct progress_event {
	const uint8_t *tokhash; /* PROGRESS_TOKHASH_LEN bytes */
	uint32_t seq;           /* from 1, in the order the token's events came */
	uint32_t week;
	const uint8_t *val;
	size_t len;
};

/*
 * Add an event of len bytes for tokhash in week.  *added is false if the
 * token holds an event with the same bytes already (whatever its week):
 * nothing is written then.  Returns 0, GL_EINVAL (len 0 or over
 * PROGRESS_VALUE_MAX), GL_ELIMIT (the token holds
 * PROGRESS_TOKEN_EVENTS_MAX events), GL_ENOSPC or GL_EIO.
 */
int progress_add(struct progress_txn *t, const uint8_t tokhash[PROGRESS_TOKHASH_LEN],
                 uint32_t week, const void *val, size_t len, bool *added,
                 struct gl_error *err);

/* Called for each event; non-zero stops the scan, which returns it. */
typedef int (*progress_visit_fn)(void *ctx, const struct progress_event *e);

/* One token's events, in the order they came.  0, the visitor's value, or an error. */
int progress_scan_token(struct progress_txn *t, const uint8_t tokhash[PROGRESS_TOKHASH_LEN],
                        progress_visit_fn fn, void *ctx, struct gl_error *err);
/* Every event, token by token (in tokhash order), each token's in the
 * order they came.  0, the visitor's value, or an error. */
int progress_scan(struct progress_txn *t, progress_visit_fn fn, void *ctx, struct gl_error *err);

/* Delete every event of tokhash; *removed says how many (0: none held). */
int progress_delete_token(struct progress_txn *t, const uint8_t tokhash[PROGRESS_TOKHASH_LEN],
                          unsigned *removed, struct gl_error *err);

/* Delete up to limit events of a week before `before`; *removed says how many. */
int progress_expire(struct progress_txn *t, uint32_t before, unsigned limit, unsigned *removed,
                    struct gl_error *err);

/* How many events are held. */
int progress_count(struct progress_txn *t, uint64_t *events, struct gl_error *err);

/* A meta value: GL_ENOTFOUND if absent; *val valid until the transaction ends. */
int progress_meta_get(struct progress_txn *t, const char *name, const void **val, size_t *len);
int progress_meta_put(struct progress_txn *t, const char *name, const void *val, size_t len,
                      struct gl_error *err);
/* Delete a meta value; absent is no error. */
int progress_meta_del(struct progress_txn *t, const char *name, struct gl_error *err);

#endif
