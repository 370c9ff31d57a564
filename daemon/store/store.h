/*
 * store.h — the LMDB store of one node.
 *
 * One LMDB environment in the directory given to store_open(), with these
 * named databases (all integers big-endian in keys, little-endian in
 * values):
 *
 *   records  key  author(32) || kind(1) || id        "rkey"
 *            val  layout(1)=1, flags(1) (bit 0: tombstone), 6 zero bytes,
 *                 version u64, issued u64, expires u64, cid(32),
 *                 then the signed envelope, verbatim
 *   kinds    key  kind(1) || author(32) || id        live records only
 *   items    key  reconciliation item (record_item)  val rkey   settled
 *   fresh    key  run u32 || item                    val rkey   not yet settled
 *   expiry   key  expires u64 || rkey                 val empty
 *   meta     key  a name ("layout", "textrules", …)   val bytes
 *   apps     key  author(32)                          val received_ms u64, then an envelope
 *   appstime key  received_ms u64 || author           val empty
 *
 * apps holds applications: partner records from keys no curator has
 * endorsed, kept (only on curator nodes) outside the directory, at most
 * STORE_APPS_MAX of them and STORE_APPS_BYTES in all, the oldest dropped
 * first.  They are not items: nobody reconciles or forwards them.
 *
 * Invariants, kept by store_put() in the same transaction: every record
 * has exactly one item, in items or in fresh, and one expiry entry; it has
 * a kinds entry iff it is not a tombstone.  Only one version per key is
 * ever held: the winner by record_wins().
 *
 * Why two tables of items: items are ordered by key hash, so the items of
 * one commit would land on pages all over the table, and a commit copies
 * and writes every page it touches.  store_put() writes a transaction's
 * items to a run of fresh of its own, after every earlier run, so it
 * touches only new pages; store_settle() moves all runs into items in one
 * transaction, which touches each page of items once for many items.
 * Readers merge items and the runs into one order (store_items_scan,
 * store_get_by_item); settling keeps the runs few.  The layout of fresh
 * is in items.c.
 *
 * Many processes may read while one writes (LMDB).  The daemon is the only
 * writer; gilde opens the store read-only.  A write transaction belongs to
 * the thread that began it.  Every error from LMDB is translated here, and
 * only here, into the project's codes.
 *
 * Caveats: the caller must have verified a record's signature (and applied
 * its acceptance policy) before store_put(); the store trusts what it is
 * given.  Pointers in a struct store_entry are valid until the transaction
 * ends.
 */
#ifndef GILDE_STORE_H
#define GILDE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/bounds.h"
#include "proto/err.h"
#include "proto/record.h"
#include "store/map.h" /* the bound on the store's mapped memory */

/* 6: each term's block maxima beside its postings (textindex.h), so that
 * a query with a limit passes over blocks that cannot make its page; a
 * write open of layout 4 or 5 rebuilds the index, as for other rules,
 * and a read-only one does not search it until then;
 * 5: records indexed after their commit wait in a queue (textindex.h);
 * 4: postings by document number (search.h); 3: fresh items; 2: events
 * and full-text indexes.  A write open of layout 4 adds the queue, empty,
 * and says layout 5 (an older gilde would not see what waits).  A
 * read-only open of layout 4 reads it as it is: nothing waits.  Layouts 2 and 3 are read as they are, without
 * search; the first write open adds fresh, empty, and rebuilds the search
 * index (textindex_rebuild), which takes about as long as indexing every
 * record again, in steps (reindex.c).  A write open of layout 4
 * rebuilds it too when it finds the index out of step (textindex_check in
 * store_int.h), cut by other rules ("textrules" in meta: textindex.h) or
 * a rebuild cut short. */
#define STORE_LAYOUT 6
#define STORE_LAYOUT_OLDEST 2
#define STORE_DEFAULT_MAP_SIZE (4ull << 30)
#define STORE_APPS_MAX 256
#define STORE_APPS_BYTES (4u << 20)

struct store;
struct store_txn;

enum store_open_flags {
	STORE_RDONLY = 1,  /* open an existing store for reading only */
	STORE_REINDEX = 2, /* a write open rebuilds the search index, whatever its state */
};

/*
 * Open (and, unless STORE_RDONLY, create) the store in directory dir.
 * map_size is the most the store may grow to (0: STORE_DEFAULT_MAP_SIZE;
 * for STORE_RDONLY, the size its writer last set, so store_stats() reports
 * the bound the daemon works under).  Returns 0, GL_ENOTFOUND if a read-only store does not exist, GL_ESTORE
 * for a store of another layout, GL_EPERM or GL_EIO; err says which file.
 */
int store_open(const char *dir, unsigned flags, uint64_t map_size,
               struct store **out, struct gl_error *err);
/* The same, with the bound on mapped memory (store_set_mapped_max) in
 * force from the start: a rebuild of the search index at open reads the
 * whole store. */
struct store_derive;
struct store_options {
	unsigned flags;      /* enum store_open_flags */
	uint64_t map_size;   /* as store_open's */
	uint64_t mapped_max; /* as store_set_mapped_max's; 0: no bound */
	/* a writer's table of derived values (store/derived.h); NULL: none.
	 * Must outlive the store. */
	const struct store_derive *derive;
};
int store_open_with(const char *dir, const struct store_options *o, struct store **out,
                    struct gl_error *err);
void store_close(struct store *s);
/* Whether store_open rebuilt the search index (an older layout, an index
 * out of step, or a rebuild cut short), how many held records it left out
 * because they do not parse, and in how many transactions. */
bool store_reindexed(const struct store *s, uint64_t *skipped, unsigned *steps);

/* Begin a transaction.  A read transaction sees one snapshot. */
int store_begin(struct store *s, bool write, struct store_txn **out,
                struct gl_error *err);
/*
 * Begin a transaction nested in the write transaction parent: its writes
 * become part of parent if it commits, and vanish alone if it aborts.
 * The parent must not be used until the child ends.
 */
int store_begin_child(struct store_txn *parent, struct store_txn **out, struct gl_error *err);

/* Commit a write transaction (or end a read one) and free t.  On failure
 * (GL_ENOSPC, GL_EIO) nothing was written. */
int store_commit(struct store_txn *t, struct gl_error *err);
/* Abandon t and free it. */
void store_abort(struct store_txn *t);

enum store_outcome {
	STORE_NEW,      /* no record with this key was held */
	STORE_REPLACED, /* it replaced an older version */
	STORE_OLDER,    /* the held version wins; nothing changed */
	STORE_SAME,     /* this exact record is already held */
};

/* Offer a parsed, verified record.  Returns 0 with *outcome, or
 * GL_ENOSPC / GL_EIO (then abort the transaction).  store_put_hashed takes
 * the record's content id and item computed already (record_cid,
 * record_item) and, unless cut is NULL, its search terms
 * (textindex_cut), as ingest did on the threads that check
 * signatures, or the flag that defers them (textindex.h: the queue), as
 * ingest does now. */
struct textindex_terms;
int store_put_hashed(struct store_txn *t, const struct record *r,
                     const uint8_t cid[RECORD_CID_LEN], const uint8_t item[RECORD_ITEM_LEN],
                     const struct textindex_terms *cut, enum store_outcome *outcome,
                     struct gl_error *err);
int store_put(struct store_txn *t, const struct record *r,
              enum store_outcome *outcome, struct gl_error *err);

struct store_entry {
	const uint8_t *author; /* RECORD_KEY_LEN bytes */
	int kind;
	const char *id;        /* id_len bytes, not NUL-terminated */
	size_t id_len;
	uint64_t version, issued, expires;
	const uint8_t *cid;    /* RECORD_CID_LEN bytes */
	bool tombstone;
	const uint8_t *env;    /* the signed envelope */
	size_t env_len;
};

/* Look up a key.  Returns 0, or GL_ENOTFOUND (also for nothing held);
 * a tombstone is returned as such. */
int store_get(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], int kind,
              const char *id, size_t id_len, struct store_entry *out,
              struct gl_error *err);

/*
 * A reader of many records by key, for keys asked for in rising order (a
 * search's hits by their key_rank): one cursor, which finds a key on the
 * page it stands on without a descent from the root, and walks the pages
 * in order.  Any order gives the same answers, as store_get's.  Open it
 * in t and close it (NULL: nothing) before t ends.  store_reader_open
 * returns 0 or GL_ESTORE/GL_EIO (*out set only on success);
 * store_reader_get returns as store_get.
 */
struct store_reader;
int store_reader_open(struct store_txn *t, struct store_reader **out, struct gl_error *err);
int store_reader_get(struct store_reader *r, const uint8_t author[RECORD_KEY_LEN], int kind,
                     const char *id, size_t id_len, struct store_entry *out,
                     struct gl_error *err);
void store_reader_close(struct store_reader *r);

/*
 * The state of the store a read transaction reads: the id of the last
 * write committed before it began, the same for every read of one state
 * (what a cache of answers is kept by); 0 for a write transaction, whose
 * state changes as it writes.
 */
uint64_t store_txn_snapshot(const struct store_txn *t);

/* What store_scan() visits.  kind 0 and author NULL mean any. */
struct store_filter {
	int kind;
	const uint8_t *author;
	bool tombstones; /* visit tombstones too */
};

/* Called for each entry; return non-zero to stop (store_scan returns it). */
typedef int (*store_visit_fn)(void *ctx, const struct store_entry *e);

/*
 * Visit entries in key order (by author, kind, id; with only a kind given,
 * by kind, author, id).  Returns 0, the visitor's non-zero value, or an
 * error.
 */
int store_scan(struct store_txn *t, const struct store_filter *f,
               store_visit_fn fn, void *ctx, struct gl_error *err);

/* The longest record key: author, kind, id. */
#define STORE_KEY_MAX (RECORD_KEY_LEN + 1 + GL_ID_MAX)

/* e's key in the order store_scan_from() visits; returns its length. */
size_t store_entry_key(const struct store_entry *e, uint8_t out[STORE_KEY_MAX]);

/*
 * Visit every entry, tombstones too, in key order, starting after the key
 * `after` (after_len bytes, from store_entry_key; NULL: from the first).
 * For a scan resumed in later transactions.  Returns 0, the visitor's
 * non-zero value, or an error.
 */
int store_scan_from(struct store_txn *t, const uint8_t *after, size_t after_len,
                    store_visit_fn fn, void *ctx, struct gl_error *err);

/*
 * Visit reconciliation items x with lo <= x < hi in ascending order (lo
 * NULL: from the first; hi NULL: to the last).  fn returns non-zero to
 * stop, and store_items_scan returns that value.
 */
int store_items_scan(struct store_txn *t, const uint8_t *lo, const uint8_t *hi,
                     int (*fn)(void *arg, const uint8_t item[RECORD_ITEM_LEN]), void *arg,
                     struct gl_error *err);

/*
 * The record held for the key hash of `item` (the first 16 bytes), whatever
 * its version; *exact says whether it is that very item.  GL_ENOTFOUND if
 * no version of that key is held.
 */
int store_get_by_item(struct store_txn *t, const uint8_t item[RECORD_ITEM_LEN],
                      struct store_entry *out, uint8_t held_item[RECORD_ITEM_LEN],
                      bool *exact, struct gl_error *err);

/*
 * Settle items: if fresh holds at least `due` items (STORE_SETTLE_DUE, say)
 * or STORE_SETTLE_RUNS runs, move them all into items and empty fresh.
 * *moved says how many moved (0: not due).  Best in a write transaction of
 * its own: it may touch every page of items.
 */
#define STORE_SETTLE_DUE 16384
#define STORE_SETTLE_RUNS 16 /* or when fresh holds this many runs */
int store_settle(struct store_txn *t, uint64_t due, uint64_t *moved, struct gl_error *err);
/* The same in a write transaction of its own, committed if anything moved. */
int store_settle_alone(struct store *s, uint64_t due, uint64_t *moved, struct gl_error *err);

/*
 * Watching the set of reconciliation items (the daemon's v2 sketch,
 * PROTOCOL.md 6.7.2): once set, every top-level write transaction that
 * commits calls fn(ctx, id, changes, n) on the committing thread, after
 * the commit, with its transaction id (store_txn_id) and the items it
 * added (+1) and removed (-1), in order, a nested transaction's only if
 * it committed into its parent (n may be 0).  Set it before any write
 * transaction runs on another thread.  Settling moves items, it neither
 * adds nor removes them.
 */
struct store_item_change {
	uint8_t item[RECORD_ITEM_LEN];
	int sign; /* +1 added, -1 removed */
};
typedef void (*store_items_hook)(void *ctx, uint64_t txn_id, const struct store_item_change *v,
                                 size_t n);
void store_set_items_hook(struct store *s, store_items_hook fn, void *ctx);
/* The id of t's snapshot (a read transaction: the last commit it sees)
 * or of the commit t will be (a top-level write transaction). */
uint64_t store_txn_id(const struct store_txn *t);

/* Read a meta value; returns GL_ENOTFOUND if absent.  *val is valid until
 * the transaction ends. */
int store_meta_get(struct store_txn *t, const char *name, const void **val,
                   size_t *len);
int store_meta_put(struct store_txn *t, const char *name, const void *val,
                   size_t len, struct gl_error *err);

struct store_stats {
	uint64_t live[RK_LAST + 1]; /* live records by kind */
	uint64_t live_total;
	uint64_t tombstones;
	uint64_t map_size;          /* bytes the map may grow to */
	uint64_t used;              /* bytes in use (pages * page size) */
	uint64_t page_size;
	unsigned depth;             /* B-tree depth of records */
	/* entries in each database (the invariants say how they relate);
	 * n_items counts items and fresh, n_fresh fresh alone */
	uint64_t n_records, n_kinds, n_items, n_expiry, n_fresh;
	bool facts_packed;          /* the derived table's packed copy is in step (derived.h) */
	uint64_t text_behind; /* records not yet searchable (textindex.h: textindex_behind) */
};
/*
 * How store_stats() counts live records and tombstones: FAST from the kinds
 * index (its keys; every record not in it is a tombstone), a few ms for
 * 100,000 records; READ by reading every record, as gilde doctor does to
 * check the indexes against the records themselves.
 */
enum store_count { STORE_COUNT_FAST, STORE_COUNT_READ };
int store_stats(struct store_txn *t, enum store_count how, struct store_stats *out,
                struct gl_error *err);

/*
 * Delete up to `limit` records whose expiry lies before `now` (seconds);
 * *removed says how many.  Expiry is part of the signed record, so every
 * node forgets the same records.
 */
int store_expire(struct store_txn *t, uint64_t now, unsigned limit,
                 unsigned *removed, struct gl_error *err);

/*
 * Delete the record (or tombstone) held for author, kind, id, with its
 * index entries; *removed says whether one was held.  Nothing replaces
 * it: a peer may offer it again (a key rotation refuses it, self.h).
 * Returns 0 or a store error.
 */
int store_delete(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], int kind,
                 const char *id, size_t id_len, bool *removed, struct gl_error *err);

/*
 * Delete every record (tombstones too) by author; *removed says how many.
 * Used when a curator revokes a key: nothing of it stays or is forwarded.
 */
int store_delete_author(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN],
                        unsigned *removed, struct gl_error *err);

/* ---- applications ---- */

struct store_app {
	const uint8_t *author;
	uint64_t received_ms;
	const uint8_t *env;
	size_t env_len;
};

/* Keep (or replace) author's application, dropping the oldest ones while
 * over STORE_APPS_MAX or STORE_APPS_BYTES. */
int store_app_put(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN],
                  uint64_t received_ms, const uint8_t *env, size_t len, struct gl_error *err);
/* GL_ENOTFOUND if author has no application. */
int store_app_get(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN],
                  struct store_app *out, struct gl_error *err);
int store_app_del(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN],
                  struct gl_error *err);
/* Visit applications, newest first. */
int store_app_scan(struct store_txn *t, int (*fn)(void *ctx, const struct store_app *a),
                   void *ctx, struct gl_error *err);

/* Path of the environment's directory (for messages). */
const char *store_path(const struct store *s);
/* The store a transaction belongs to. */
struct store *store_of(const struct store_txn *t);

#endif
