/*
 * store_int.h — the store's insides, shared by the files of daemon/store/ only
 * (store.c, records.c, map.c, reindex.c, items.c, apps.c, index.c and
 * the indexes).  Nothing outside store/
 * includes it.
 */
#ifndef GILDE_STORE_INT_H
#define GILDE_STORE_INT_H

#include <lmdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/bounds.h"
#include "store/paths.h"
#include "store/derived.h"
#include "store/store.h"
#include "store/text.h"

#define RKEY_MAX (RECORD_KEY_LEN + 1 + GL_ID_MAX)
#define VAL_HDR 64
#define FLAG_TOMBSTONE 1

struct store {
	MDB_env *env;
	MDB_dbi records, kinds, items, expiry, meta, apps, appstime;
	MDB_dbi fresh;   /* items not yet settled (store.h); see has_fresh */
	bool has_fresh;  /* false only reading a layout 2 store, which has none */
	MDB_dbi events, postings, docs, docnums, blocks; /* indexes (index.c) */
	MDB_dbi textqueue;  /* records indexed after their commit (textindex.h) */
	bool has_textqueue; /* false only reading a store of layout 4 or older */
	MDB_dbi derived;  /* derived values (derived.c); see has_derived */
	bool has_derived; /* false only reading a store made before them */
	const struct store_derive *derive; /* the writer's deriver; NULL: none */
	bool has_search; /* false only reading a store of layout 2 or 3 (search.h) */
	bool reindex;    /* a write open of layout 2 or 3, or of an index out of step:
	                  * store_open rebuilds search */
	bool reindexed;  /* store_open did */
	bool force_reindex; /* STORE_REINDEX */
	uint64_t reindex_skipped; /* records it left out: they do not parse */
	unsigned reindex_steps;   /* its transactions */
	bool rdonly;
	char *path;
	_Atomic uint64_t mapped_max;          /* store_set_mapped_max(); 0: no bound */
	_Atomic unsigned long long releases;  /* store_release_map() calls that worked */
	_Atomic uint64_t released_ms;         /* monotonic ms of the last; 0: none yet */
	_Atomic uint64_t read_checked_ms;     /* of a query's last look at statm (map.h) */
	store_items_hook items_hook;          /* store_set_items_hook(); NULL: none */
	void *items_hook_ctx;
};

/*
 * Reading and writing store pages maps them (store.h, store_set_mapped_max).
 * store_map_work() counts that work, an entry read as 1 and a record
 * written as 4 (its index entries land on pages all over the store), and
 * every MAP_WORK (64) of it checks the bound.  A unit may map 16 pages
 * (store.h), so the bound is overshot by at most 4 MiB between checks; a
 * check reads /proc/self/statm, about 1 us.  The count is the thread's own,
 * so scans on other threads share no counter and cost no atomic operation.
 */
void store_map_work(struct store *s, unsigned n);
/* The calling thread holds (true) or no longer holds (false) the store's
 * top-level write transaction: its checks of the bound are strict (map.h).
 * store_begin, store_commit and store_abort call it. */
void store_map_writing(bool on);

struct textindex_pending;

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	bool write;
	uint32_t run; /* of its fresh items (items.c); 0: not yet chosen */
	struct textindex_pending *pend; /* postings not yet written (textindex_pend.c); NULL: none */
	struct store_txn *parent;       /* of a nested transaction; NULL: top level */
	struct store_item_change *log;  /* its item changes, for items_hook (items.c) */
	size_t nlog, caplog;
	bool derived_moved;             /* it bumped the derived table's generation (derived.c) */
};

/* Note an item change in t's log (only while an items hook is set). */
void store_items_logged(struct store_txn *t, const uint8_t item[RECORD_ITEM_LEN], int sign);

/*
 * The postings a write transaction adds wait in t->pend and go into the
 * postings table in key order (textindex_pend.c): the writes of a thousand records
 * then walk the table once, page by page, instead of jumping to each term
 * of each record in turn.  textindex_flush() writes them: store_commit() calls
 * it, and so does whatever reads or deletes postings in the transaction.
 * textindex_pending_free() drops what waits (store_abort, and after a
 * commit).
 */
int textindex_flush(struct store_txn *t, struct gl_error *err);
void textindex_pending_free(struct store_txn *t);

/*
 * Reconciliation items (items.c).  These return LMDB's codes (MDB_CORRUPTED
 * for an entry of the wrong shape) for the caller to translate.
 *
 * store_items_put: add item (of the record at rkey) to the transaction's
 * run of fresh items.  store_items_del: remove it, settled or fresh
 * (MDB_NOTFOUND if held in neither).  store_items_find: the item held with
 * item's key hash, *held pointing at it and *rkey at its record's key
 * (valid while t is).  store_items_run: the run t puts its items in, chosen
 * on first use (a child takes its parent's).
 */
int store_items_put(struct store_txn *t, const uint8_t item[RECORD_ITEM_LEN],
                    const uint8_t *rkey, size_t rlen);
int store_items_del(struct store_txn *t, const uint8_t item[RECORD_ITEM_LEN]);
int store_items_find(struct store_txn *t, const uint8_t item[RECORD_ITEM_LEN],
                     const uint8_t **held, MDB_val *rkey);
int store_items_run(struct store_txn *t, uint32_t *run);

/* The one place LMDB's codes become ours (store.c). */
int store_mdb_fail(int rc, struct gl_error *err, const struct store *s, const char *what);

/* LMDB's data file in the store directory dir, into out (store.c). */
#define STORE_DATA_FILE_MAX (PATHS_MAX + 16)
const char *store_data_file(const char *dir, char out[STORE_DATA_FILE_MAX]);

/* Rebuild the search index in steps (reindex.c): store_open calls it for a
 * write open that set s->reindex.  Returns 0 or the error of a step. */
int store_reindex(struct store *s, struct gl_error *err);

static inline void store_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t store_get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline void store_put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline uint32_t store_get_be32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void store_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t store_get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Secondary indexes (index.c): called inside the write transaction when a
 * live record enters the store (added), and before a live entry leaves it
 * (removed; old's pointers are still valid).  Tombstones are not indexed.
 */
int store_index_added(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                      const struct record *r, const struct textindex_terms *cut,
                      struct gl_error *err);
int store_index_removed(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        const struct store_entry *old, struct gl_error *err);
/*
 * Open the indexes' databases in txn (flags: MDB_CREATE or 0) for a store
 * of the given layout.  A write open of layout 2 or 3, of a layout 4
 * store whose search index is out of step (textindex_check) or was cut by
 * other rules (TEXTINDEX_RULES_KEY in meta: textindex.h), or of one with
 * a rebuild's mark (REINDEX_MARK), sets s->reindex: store_open then
 * rebuilds the index in steps (reindex.c).  A read-only open of
 * layout 2 or 3, with other rules or with the mark, clears s->has_search.  Returns LMDB's
 * codes.
 */
int store_index_open(struct store *s, MDB_txn *txn, unsigned flags, unsigned layout);
/*
 * Derived values (derived.c): open the table (flags as store_index_open's;
 * LMDB's codes); put or delete a record's value in t (index.c calls these
 * beside the other indexes); and at a write open, make the table again if
 * the deriver is new, or forget its version if there is no deriver.
 */
int store_derived_open(struct store *s, MDB_txn *txn, unsigned flags);
int store_derived_put(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                      const struct record *r, struct gl_error *err);
int store_derived_del(struct store_txn *t, const uint8_t *rkey, size_t rlen, int kind,
                      struct gl_error *err);
int store_derived_settle(struct store *s, struct gl_error *err);
/* In meta while a rebuild of the search index is under way (reindex.c). */
#define REINDEX_MARK "reindex"
/*
 * Whether the index of a layout 4 store is out of step in a way a write
 * would make worse: statistics missing from a non-empty index, damaged,
 * or a next document number not after the last one given.  Sets
 * *rebuild; returns LMDB's codes.  Cheap: a few lookups.
 */
int textindex_check(MDB_txn *txn, const struct store *s, bool *rebuild);

/*
 * A write open: move recurring events that a store written before the
 * events index had its recurring section holds among the one-offs
 * (eventindex.h), once; meta "eventindex" records that it is done.  A
 * few lookups a held event, at most once.  Returns LMDB's codes.
 */
int eventindex_upgrade(struct store *s, MDB_txn *txn);

#endif
