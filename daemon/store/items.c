/*
 * items.c — the reconciliation items of the store: settled in `items`,
 * fresh in `fresh` (store.h says why two tables).
 *
 * fresh is keyed run(4, big-endian) || item(32), value the rkey.  A run is
 * the items of one write transaction (a writer group: store_begin_child
 * gives its children the parent's run), numbered one past the last run in
 * fresh.  So a transaction writes its items only to pages of its own at the
 * end of fresh, however random the items, and none of the pages earlier
 * transactions wrote is copied again.  Each run is in item order; readers
 * merge the runs and items into one order (at most SETTLE_RUNS + 1 cursors
 * while settling keeps up).  store_settle() moves every run into items in
 * one transaction, which copies each page of items at most once, and
 * empties fresh, so the runs start again from 1.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "store/store_int.h"

#define RUN_LEN 4
#define FRESH_KEY (RUN_LEN + RECORD_ITEM_LEN)

/* The first and last run in fresh; *first > *last (1 > 0) if it is empty. */
static int fresh_runs(struct store_txn *t, uint32_t *first, uint32_t *last)
{
	*first = 1;
	*last = 0;
	if (!t->s->has_fresh)
		return 0;
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->fresh, &c);
	if (rc)
		return rc;
	MDB_val k, v;
	if ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0 && k.mv_size == FRESH_KEY) {
		*first = store_get_be32(k.mv_data);
		if ((rc = mdb_cursor_get(c, &k, &v, MDB_LAST)) == 0 && k.mv_size == FRESH_KEY)
			*last = store_get_be32(k.mv_data);
	}
	mdb_cursor_close(c);
	/* runs start at 1: run 0 stands for the items table in struct src */
	if (rc == 0 && (k.mv_size != FRESH_KEY || *last < *first || *first == 0))
		rc = MDB_CORRUPTED;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_items_run(struct store_txn *t, uint32_t *run)
{
	if (!t->run) {
		uint32_t first, last;
		int rc = fresh_runs(t, &first, &last);
		if (rc)
			return rc;
		if (last == UINT32_MAX)
			return MDB_CORRUPTED;
		t->run = last + 1;
	}
	*run = t->run;
	return 0;
}

int store_items_put(struct store_txn *t, const uint8_t item[RECORD_ITEM_LEN],
                    const uint8_t *rkey, size_t rlen)
{
	uint8_t key[FRESH_KEY];
	uint32_t run;
	int rc = store_items_run(t, &run);
	if (rc)
		return rc;
	store_put_be32(key, run);
	memcpy(key + RUN_LEN, item, RECORD_ITEM_LEN);
	MDB_val k = { .mv_size = sizeof key, .mv_data = key };
	MDB_val v = { .mv_size = rlen, .mv_data = (void *)rkey };
	if ((rc = mdb_put(t->txn, t->s->fresh, &k, &v, 0)) == 0)
		store_items_logged(t, item, +1);
	return rc;
}

void store_items_logged(struct store_txn *t, const uint8_t item[RECORD_ITEM_LEN], int sign)
{
	if (!t->s->items_hook)
		return;
	if (t->nlog == t->caplog) {
		t->caplog = t->caplog ? 2 * t->caplog : 64;
		t->log = gl_xrealloc(t->log, t->caplog * sizeof *t->log);
	}
	memcpy(t->log[t->nlog].item, item, RECORD_ITEM_LEN);
	t->log[t->nlog++].sign = sign;
}

int store_items_del(struct store_txn *t, const uint8_t item[RECORD_ITEM_LEN])
{
	struct store *s = t->s;
	MDB_val k = { .mv_size = RECORD_ITEM_LEN, .mv_data = (void *)item };
	int rc = mdb_del(t->txn, s->items, &k, NULL);
	if (rc == 0)
		store_items_logged(t, item, -1);
	if (rc != MDB_NOTFOUND)
		return rc;
	uint32_t first, last;
	if ((rc = fresh_runs(t, &first, &last)))
		return rc;
	uint8_t key[FRESH_KEY];
	memcpy(key + RUN_LEN, item, RECORD_ITEM_LEN);
	k.mv_size = sizeof key;
	k.mv_data = key;
	for (uint32_t r = first; r <= last && r != 0; r++) {
		store_put_be32(key, r);
		if ((rc = mdb_del(t->txn, s->fresh, &k, NULL)) == 0)
			store_items_logged(t, item, -1);
		if (rc != MDB_NOTFOUND)
			return rc;
	}
	return MDB_NOTFOUND;
}

/*
 * One source of items in order: the items table (run 0) or one run of
 * fresh.  item points at the current item, NULL at the end.
 */
struct src {
	MDB_cursor *c;
	uint32_t run;
	const uint8_t *item;
	MDB_val v; /* its rkey */
};

/* Make s->item the cursor's current entry if it is still the source's. */
static int src_take(struct src *s, int rc, const MDB_val *k)
{
	s->item = NULL;
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc;
	if (s->run == 0) {
		if (k->mv_size != RECORD_ITEM_LEN)
			return MDB_CORRUPTED;
		s->item = k->mv_data;
	} else if (k->mv_size == FRESH_KEY && store_get_be32(k->mv_data) == s->run) {
		s->item = (const uint8_t *)k->mv_data + RUN_LEN;
	} else if (k->mv_size != FRESH_KEY) {
		return MDB_CORRUPTED;
	}
	return 0;
}

/* Position s at its first item >= from (NULL: its first). */
static int src_seek(struct store_txn *t, struct src *s, const uint8_t *from)
{
	uint8_t key[FRESH_KEY] = { 0 };
	MDB_val k;
	if (s->run == 0) {
		k.mv_size = RECORD_ITEM_LEN;
		k.mv_data = (void *)from;
	} else {
		store_put_be32(key, s->run);
		if (from)
			memcpy(key + RUN_LEN, from, RECORD_ITEM_LEN);
		k.mv_size = sizeof key;
		k.mv_data = key;
	}
	int rc = mdb_cursor_open(t->txn, s->run ? t->s->fresh : t->s->items, &s->c);
	if (rc)
		return rc;
	rc = mdb_cursor_get(s->c, &k, &s->v, s->run == 0 && !from ? MDB_FIRST : MDB_SET_RANGE);
	return src_take(s, rc, &k);
}

static int src_next(struct src *s)
{
	MDB_val k;
	return src_take(s, mdb_cursor_get(s->c, &k, &s->v, MDB_NEXT), &k);
}

/* Sources for items and every run, each at its first item >= from. */
static int srcs_open(struct store_txn *t, const uint8_t *from, struct src **out, size_t *n)
{
	uint32_t first, last;
	*out = NULL;
	*n = 0;
	int rc = fresh_runs(t, &first, &last);
	if (rc)
		return rc;
	size_t runs = last >= first ? (size_t)(last - first) + 1 : 0;
	struct src *v = gl_xcalloc(runs + 1, sizeof *v);
	*out = v;
	for (size_t i = 0; i <= runs; i++) {
		v[i].run = i ? first + (uint32_t)(i - 1) : 0;
		*n = i + 1;
		if ((rc = src_seek(t, &v[i], from)))
			return rc;
	}
	return 0;
}

static void srcs_close(struct src *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].c)
			mdb_cursor_close(v[i].c);
	free(v);
}

int store_items_scan(struct store_txn *t, const uint8_t *lo, const uint8_t *hi,
                     int (*fn)(void *arg, const uint8_t item[RECORD_ITEM_LEN]), void *arg,
                     struct gl_error *err)
{
	struct store *s = t->s;
	struct src *v;
	size_t n;
	int rc = srcs_open(t, lo, &v, &n), out = 0;
	while (rc == 0) {
		/* no item is in two sources (store.h), so the least is the next */
		struct src *next = NULL;
		for (size_t i = 0; i < n; i++)
			if (v[i].item && (!next || memcmp(v[i].item, next->item, RECORD_ITEM_LEN) < 0))
				next = &v[i];
		if (!next || (hi && memcmp(next->item, hi, RECORD_ITEM_LEN) >= 0))
			break;
		store_map_work(s, 1);
		if ((out = fn(arg, next->item)) != 0)
			break;
		rc = src_next(next);
	}
	srcs_close(v, n);
	if (out)
		return out;
	if (rc == MDB_CORRUPTED)
		return gl_errorf(err, GL_ESTORE, "%s: damaged item index", s->path);
	return rc ? store_mdb_fail(rc, err, s, "scan items") : 0;
}

/* The item in one source whose key hash is item's, if any (*held NULL if none). */
static int find_in(struct store_txn *t, uint32_t run, const uint8_t item[RECORD_ITEM_LEN],
                   const uint8_t **held, MDB_val *rkey)
{
	uint8_t lo[RECORD_ITEM_LEN] = { 0 };
	memcpy(lo, item, RECORD_KEYHASH_LEN);
	struct src one = { .run = run };
	int rc = src_seek(t, &one, lo);
	if (rc == 0 && one.item && memcmp(one.item, item, RECORD_KEYHASH_LEN) == 0) {
		*held = one.item; /* in a page: valid while t is */
		*rkey = one.v;
	}
	if (one.c)
		mdb_cursor_close(one.c);
	return rc;
}

int store_items_find(struct store_txn *t, const uint8_t item[RECORD_ITEM_LEN],
                     const uint8_t **held, MDB_val *rkey)
{
	/* settled first, where most items are, then each run, stopping at the
	 * first hit: the runs are looked up only when the settled items miss */
	*held = NULL;
	int rc = find_in(t, 0, item, held, rkey);
	if (rc || *held)
		return rc;
	uint32_t first, last;
	if ((rc = fresh_runs(t, &first, &last)))
		return rc;
	for (uint32_t r = first; r <= last && r != 0 && !*held && !rc; r++)
		rc = find_in(t, r, item, held, rkey);
	return rc ? rc : *held ? 0 : MDB_NOTFOUND;
}

int store_settle(struct store_txn *t, uint64_t due, uint64_t *moved, struct gl_error *err)
{
	struct store *s = t->s;
	*moved = 0;
	if (!t->write)
		return gl_errorf(err, GL_EINVAL, "store_settle in a read transaction");
	MDB_stat st;
	uint32_t first, last;
	int rc;
	if ((rc = mdb_stat(t->txn, s->fresh, &st)) || (rc = fresh_runs(t, &first, &last)))
		return store_mdb_fail(rc, err, s, "count fresh items");
	if (st.ms_entries == 0 || (st.ms_entries < due && last - first + 1 < STORE_SETTLE_RUNS))
		return 0;
	MDB_cursor *c;
	if ((rc = mdb_cursor_open(t->txn, s->fresh, &c)))
		return store_mdb_fail(rc, err, s, "cursor");
	MDB_val k, v;
	uint64_t n = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != FRESH_KEY) {
			rc = MDB_CORRUPTED;
			break;
		}
		/* fresh's pages stay as they are until the drop below */
		store_map_work(s, 2);
		MDB_val ik = { .mv_size = RECORD_ITEM_LEN, .mv_data = (uint8_t *)k.mv_data + RUN_LEN };
		if ((rc = mdb_put(t->txn, s->items, &ik, &v, MDB_NOOVERWRITE)))
			break;
		n++;
	}
	mdb_cursor_close(c);
	if (rc == MDB_KEYEXIST)
		return gl_errorf(err, GL_ESTORE, "%s: an item both fresh and settled", s->path);
	if (rc == MDB_CORRUPTED)
		return gl_errorf(err, GL_ESTORE, "%s: damaged item index", s->path);
	if (rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, s, "settle items");
	if ((rc = mdb_drop(t->txn, s->fresh, 0)))
		return store_mdb_fail(rc, err, s, "empty fresh items");
	*moved = n;
	return 0;
}

int store_settle_alone(struct store *s, uint64_t due, uint64_t *moved, struct gl_error *err)
{
	struct store_txn *t;
	*moved = 0;
	int rc = store_begin(s, true, &t, err);
	if (rc)
		return rc;
	if ((rc = store_settle(t, due, moved, err)) || !*moved) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, err);
}
