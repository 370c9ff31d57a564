/* Unit tests: store semantics (daemon/store/store.c, records.c, items.c). */
#include "testutil.h"

#include <lmdb.h>
#include <unistd.h>

#include "store/store.h"

static uint8_t pk[32], sk[64], pk2[32], sk2[64];
static char dir[64];

static int setup(void **state)
{
	(void)state;
	return tu_tmpdir(dir, "store");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(dir);
}

/* Sign a record; body NULL makes a tombstone. */
static void make(struct gl_buf *env, const uint8_t *key, int kind, const char *id,
                 uint64_t version, uint64_t expires, bool tomb)
{
	struct gl_buf body = { 0 };
	msgpack_packer p;
	tu_packer(&p, &body);
	msgpack_pack_map(&p, 1);
	tu_str(&p, "v");
	msgpack_pack_uint64(&p, version);
	struct record_draft d = { .kind = kind, .id = id, .id_len = strlen(id), .version = version,
	                          .issued = 100, .expires = expires,
	                          .body = tomb ? NULL : body.data, .body_len = tomb ? 0 : body.len };
	env->len = 0;
	assert_int_equal(record_sign(&d, key, env, NULL), 0);
	gl_buf_free(&body);
}

static enum store_outcome put(struct store *s, const struct gl_buf *env)
{
	struct store_txn *t;
	struct record r;
	enum store_outcome oc;
	struct gl_error err = { 0 };
	assert_int_equal(record_open(env->data, env->len, &r, NULL), 0);
	assert_int_equal(store_begin(s, true, &t, &err), 0);
	assert_int_equal(store_put(t, &r, &oc, &err), 0);
	assert_int_equal(store_commit(t, &err), 0);
	return oc;
}

static void check_invariants(struct store *s, uint64_t records, uint64_t live)
{
	struct store_txn *t;
	struct store_stats st;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(store_stats(t, STORE_COUNT_READ, &st, NULL), 0);
	struct store_stats fast;
	assert_int_equal(store_stats(t, STORE_COUNT_FAST, &fast, NULL), 0);
	store_abort(t);
	/* the two counts agree while the indexes are in step */
	assert_memory_equal(fast.live, st.live, sizeof st.live);
	assert_int_equal(fast.live_total, st.live_total);
	assert_int_equal(fast.tombstones, st.tombstones);
	assert_int_equal(st.n_records, records);
	assert_int_equal(st.n_items, records);
	assert_int_equal(st.n_expiry, records);
	assert_int_equal(st.n_kinds, live);
	assert_int_equal(st.live_total, live);
	assert_int_equal(st.tombstones, records - live);
}

static uint64_t held_version(struct store *s, const uint8_t *key, int kind, const char *id,
                             bool *tomb)
{
	struct store_txn *t;
	struct store_entry e;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	int rc = store_get(t, key, kind, id, strlen(id), &e, NULL);
	uint64_t v = rc ? 0 : e.version;
	if (tomb)
		*tomb = rc ? false : e.tombstone;
	store_abort(t);
	return v;
}

static int count_visit(void *ctx, const struct store_entry *e)
{
	(void)e;
	(*(unsigned *)ctx)++;
	return 0;
}

static unsigned count(struct store *s, int kind, const uint8_t *author, bool tombs)
{
	struct store_txn *t;
	unsigned n = 0;
	struct store_filter f = { .kind = kind, .author = author, .tombstones = tombs };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(store_scan(t, &f, count_visit, &n, NULL), 0);
	store_abort(t);
	return n;
}

static void test_versions(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/v", dir);
	struct store *s;
	struct gl_error err = { 0 };
	assert_int_equal(store_open(path, 0, 1 << 24, &s, &err), 0);
	struct gl_buf e = { 0 };

	make(&e, sk, RK_OFFER, "a", 5, 1000, false);
	assert_int_equal(put(s, &e), STORE_NEW);
	assert_int_equal(put(s, &e), STORE_SAME);
	make(&e, sk, RK_OFFER, "a", 4, 1000, false);
	assert_int_equal(put(s, &e), STORE_OLDER);
	assert_int_equal(held_version(s, pk, RK_OFFER, "a", NULL), 5);
	make(&e, sk, RK_OFFER, "a", 6, 1000, false);
	assert_int_equal(put(s, &e), STORE_REPLACED);
	assert_int_equal(held_version(s, pk, RK_OFFER, "a", NULL), 6);
	check_invariants(s, 1, 1);

	/* equal versions, different content: the greater content id wins, on every order */
	struct gl_buf x = { 0 }, y = { 0 };
	make(&x, sk, RK_OFFER, "tie", 9, 1000, false);
	make(&y, sk, RK_OFFER, "tie", 9, 1001, false);
	uint8_t cx[32], cy[32];
	record_cid(x.data, x.len, cx);
	record_cid(y.data, y.len, cy);
	const struct gl_buf *hi = memcmp(cx, cy, 32) > 0 ? &x : &y, *lo = hi == &x ? &y : &x;
	assert_int_equal(put(s, lo), STORE_NEW);
	assert_int_equal(put(s, hi), STORE_REPLACED);
	assert_int_equal(put(s, lo), STORE_OLDER);
	check_invariants(s, 2, 2);

	/* the same id by another author, or of another kind, is another record */
	make(&e, sk2, RK_OFFER, "a", 1, 1000, false);
	assert_int_equal(put(s, &e), STORE_NEW);
	make(&e, sk, RK_EVENT, "a", 1, 1000, false);
	assert_int_equal(put(s, &e), STORE_NEW);
	check_invariants(s, 4, 4);
	assert_int_equal(count(s, RK_OFFER, NULL, false), 3);
	assert_int_equal(count(s, 0, pk, false), 3);
	assert_int_equal(count(s, RK_OFFER, pk, false), 2);
	assert_int_equal(count(s, 0, NULL, false), 4);

	/* a tombstone hides the record from lists; an older version cannot revive it */
	make(&e, sk, RK_OFFER, "a", 7, 1000, true);
	assert_int_equal(put(s, &e), STORE_REPLACED);
	bool tomb;
	assert_int_equal(held_version(s, pk, RK_OFFER, "a", &tomb), 7);
	assert_true(tomb);
	make(&e, sk, RK_OFFER, "a", 6, 1000, false);
	assert_int_equal(put(s, &e), STORE_OLDER);
	assert_int_equal(count(s, RK_OFFER, NULL, false), 2);
	assert_int_equal(count(s, RK_OFFER, NULL, true), 3);
	check_invariants(s, 4, 3);
	/* a newer version after the tombstone brings it back */
	make(&e, sk, RK_OFFER, "a", 8, 1000, false);
	assert_int_equal(put(s, &e), STORE_REPLACED);
	check_invariants(s, 4, 4);

	store_close(s);
	/* read-only reopen sees the same */
	assert_int_equal(store_open(path, STORE_RDONLY, 0, &s, &err), 0);
	assert_int_equal(held_version(s, pk, RK_OFFER, "a", NULL), 8);
	struct store_txn *t;
	assert_int_equal(store_begin(s, true, &t, &err), GL_EINVAL);
	store_close(s);
	gl_buf_free(&e);
	gl_buf_free(&x);
	gl_buf_free(&y);
}

static void test_expire(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/x", dir);
	struct store *s;
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	struct gl_buf e = { 0 };
	for (int i = 0; i < 10; i++) {
		char id[8];
		snprintf(id, sizeof id, "r%d", i);
		make(&e, sk, RK_NEWS, id, 1, 200 + (uint64_t)i * 10, i % 3 == 0);
		put(s, &e);
	}
	check_invariants(s, 10, 6);
	struct store_txn *t;
	unsigned removed = 99;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	/* expires 200..290: before 245 are r0..r4 */
	assert_int_equal(store_expire(t, 245, 100, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(removed, 5);
	check_invariants(s, 5, 3);
	assert_int_equal(held_version(s, pk, RK_NEWS, "r4", NULL), 0);
	assert_int_equal(held_version(s, pk, RK_NEWS, "r5", NULL), 1);
	/* bounded work per call */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_expire(t, 10000, 2, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(removed, 2);
	check_invariants(s, 3, 2);
	store_close(s);
	gl_buf_free(&e);
}

/* Every record of one author goes, tombstones too; the others' stay. */
static void test_delete_author(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/da", dir);
	struct store *s;
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	struct gl_buf e = { 0 };
	for (int i = 0; i < 6; i++) {
		char id[8];
		snprintf(id, sizeof id, "d%d", i);
		make(&e, i < 4 ? sk : sk2, i % 2 ? RK_OFFER : RK_EVENT, id, 1, 5000, i == 1);
		put(s, &e);
	}
	check_invariants(s, 6, 5);
	struct store_txn *t;
	unsigned removed = 99;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_delete_author(t, pk, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(removed, 4);
	check_invariants(s, 2, 2);
	assert_int_equal(count(s, 0, pk, true), 0);
	assert_int_equal(count(s, 0, pk2, true), 2);
	/* nothing left to delete is no error */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_delete_author(t, pk, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(removed, 0);
	store_close(s);
	gl_buf_free(&e);
}

/* ---- the items hook (the daemon's v2 sketch follows it) ------------------ */

struct seen {
	uint8_t v[64][RECORD_ITEM_LEN];
	size_t n;
	uint64_t last_id;
	unsigned calls;
};

static void on_items(void *ctx, uint64_t id, const struct store_item_change *c, size_t n)
{
	struct seen *s = ctx;
	s->calls++;
	assert_true(id >= s->last_id);
	s->last_id = id;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < s->n && memcmp(s->v[j], c[i].item, RECORD_ITEM_LEN))
			j++;
		if (c[i].sign > 0) {
			assert_int_equal(j, s->n); /* never added twice */
			assert_true(s->n < 64);
			memcpy(s->v[s->n++], c[i].item, RECORD_ITEM_LEN);
		} else {
			assert_true(j < s->n); /* never removed unless held */
			memmove(s->v[j], s->v[j + 1], (s->n - j - 1) * RECORD_ITEM_LEN);
			s->n--;
		}
	}
}

static int seen_has(void *arg, const uint8_t item[RECORD_ITEM_LEN])
{
	struct seen *s = arg;
	for (size_t j = 0; j < s->n; j++)
		if (!memcmp(s->v[j], item, RECORD_ITEM_LEN))
			return 0;
	return 1; /* an item the hook never reported */
}

/* What the hook reported is exactly the items held, and its last id is
 * the snapshot a reader sees. */
static void check_seen(struct store *s, const struct seen *seen, uint64_t items)
{
	struct store_txn *t;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(store_items_scan(t, NULL, NULL, seen_has, (void *)seen, NULL), 0);
	assert_int_equal(store_txn_id(t), seen->last_id);
	store_abort(t);
	assert_int_equal(seen->n, items);
}

static void test_items_hook(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/hook", dir);
	struct store *s;
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	struct seen seen = { 0 };
	store_set_items_hook(s, on_items, &seen);
	struct gl_buf e = { 0 };
	for (int i = 0; i < 6; i++) {
		char id[8];
		snprintf(id, sizeof id, "h%d", i);
		make(&e, i < 4 ? sk : sk2, RK_NEWS, id, 1, 200 + (uint64_t)i * 10, false);
		assert_int_equal(put(s, &e), STORE_NEW);
	}
	check_seen(s, &seen, 6);
	/* a newer version: the old item out, the new in; the same again: nothing */
	make(&e, sk, RK_NEWS, "h0", 2, 5000, true);
	assert_int_equal(put(s, &e), STORE_REPLACED);
	unsigned calls = seen.calls;
	assert_int_equal(put(s, &e), STORE_SAME);
	assert_int_equal(seen.calls, calls + 1);
	check_seen(s, &seen, 6);
	/* a nested transaction: an aborted child's items never reported, a
	 * committed child's once its parent commits */
	struct store_txn *t, *child;
	struct record r;
	enum store_outcome oc;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	make(&e, sk, RK_NEWS, "lost", 1, 5000, false);
	assert_int_equal(record_open(e.data, e.len, &r, NULL), 0);
	assert_int_equal(store_begin_child(t, &child, NULL), 0);
	assert_int_equal(store_put(child, &r, &oc, NULL), 0);
	store_abort(child);
	make(&e, sk, RK_NEWS, "kept", 1, 5000, false);
	assert_int_equal(record_open(e.data, e.len, &r, NULL), 0);
	assert_int_equal(store_begin_child(t, &child, NULL), 0);
	assert_int_equal(store_put(child, &r, &oc, NULL), 0);
	assert_int_equal(store_commit(child, NULL), 0);
	calls = seen.calls;
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(seen.calls, calls + 1);
	check_seen(s, &seen, 7);
	/* expiry, an author's records deleted, settling: all followed */
	unsigned removed;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_expire(t, 225, 100, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(removed, 2); /* h1, h2 (h0 is now a tombstone of 5000) */
	check_seen(s, &seen, 5);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_delete_author(t, pk2, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(removed, 2);
	check_seen(s, &seen, 3);
	uint64_t moved;
	assert_int_equal(store_settle_alone(s, 1, &moved, NULL), 0);
	assert_true(moved > 0);
	check_seen(s, &seen, 3);
	store_set_items_hook(s, NULL, NULL);
	store_close(s);
	gl_buf_free(&e);
}

static void test_open_errors(void **state)
{
	(void)state;
	char path[128];
	struct store *s;
	struct gl_error err = { 0 };
	snprintf(path, sizeof path, "%s/none", dir);
	assert_int_equal(store_open(path, STORE_RDONLY, 0, &s, &err), GL_ENOTFOUND);
	assert_non_null(strstr(err.msg, path));
	/* a store of another layout is refused, not misread */
	snprintf(path, sizeof path, "%s/l", dir);
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	struct store_txn *t;
	uint8_t other = STORE_LAYOUT + 1;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_meta_put(t, "layout", &other, 1, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	store_close(s);
	assert_int_equal(store_open(path, 0, 1 << 24, &s, &err), GL_ESTORE);
	char want[32];
	snprintf(want, sizeof want, "layout %d", STORE_LAYOUT + 1);
	assert_non_null(strstr(err.msg, want));
}

static void test_map_full(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/full", dir);
	struct store *s;
	struct gl_error err = { 0 };
	/* a 1 MiB map fills after a few hundred records: the error says what to raise */
	assert_int_equal(store_open(path, 0, 1 << 20, &s, &err), 0);
	struct gl_buf e = { 0 };
	int rc = 0;
	for (int i = 0; i < 5000 && rc == 0; i++) {
		char id[16];
		snprintf(id, sizeof id, "r%d", i);
		make(&e, sk, RK_NEWS, id, 1, 1000, false);
		struct record r;
		struct store_txn *t;
		enum store_outcome oc;
		assert_int_equal(record_open(e.data, e.len, &r, NULL), 0);
		assert_int_equal(store_begin(s, true, &t, &err), 0);
		rc = store_put(t, &r, &oc, &err);
		if (rc)
			store_abort(t);
		else
			rc = store_commit(t, &err);
	}
	assert_int_equal(rc, GL_ENOSPC);
	assert_non_null(strstr(err.msg, "map_size"));
	store_close(s);
	gl_buf_free(&e);
}

/* ---- reconciliation items, settled and fresh ---- */

struct items {
	uint8_t (*v)[RECORD_ITEM_LEN];
	size_t n, cap;
};

static void items_add(struct items *l, const uint8_t x[RECORD_ITEM_LEN])
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * RECORD_ITEM_LEN);
		assert_non_null(l->v);
	}
	memcpy(l->v[l->n++], x, RECORD_ITEM_LEN);
}

static int item_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RECORD_ITEM_LEN);
}

/* What the items should be: one per held record, from its key, version and cid. */
static int expect_visit(void *ctx, const struct store_entry *e)
{
	uint8_t x[RECORD_ITEM_LEN];
	record_keyhash(e->author, e->kind, e->id, e->id_len, x);
	for (int i = 0; i < 8; i++)
		x[16 + i] = (uint8_t)(e->version >> (56 - 8 * i));
	memcpy(x + 24, e->cid, 8);
	items_add(ctx, x);
	return 0;
}

static int scan_visit(void *ctx, const uint8_t x[RECORD_ITEM_LEN])
{
	items_add(ctx, x);
	return 0;
}

/* store_items_scan(lo, hi) gives exactly the expected items in [lo, hi), in order. */
static void check_scan(struct store *s, const uint8_t *lo, const uint8_t *hi)
{
	struct items want = { 0 }, got = { 0 };
	struct store_txn *t;
	struct store_filter f = { .tombstones = true };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(store_scan(t, &f, expect_visit, &want, NULL), 0);
	assert_int_equal(store_items_scan(t, lo, hi, scan_visit, &got, NULL), 0);
	store_abort(t);
	qsort(want.v, want.n, RECORD_ITEM_LEN, item_cmp);
	size_t k = 0;
	for (size_t i = 0; i < want.n; i++)
		if ((!lo || memcmp(want.v[i], lo, RECORD_ITEM_LEN) >= 0) &&
		    (!hi || memcmp(want.v[i], hi, RECORD_ITEM_LEN) < 0))
			memcpy(want.v[k++], want.v[i], RECORD_ITEM_LEN);
	assert_int_equal(got.n, k);
	if (k)
		assert_memory_equal(got.v, want.v, k * RECORD_ITEM_LEN);
	free(want.v);
	free(got.v);
}

static struct store_stats stats(struct store *s)
{
	struct store_txn *t;
	struct store_stats st;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_stats(t, STORE_COUNT_FAST, &st, NULL), 0);
	store_abort(t);
	return st;
}

static uint64_t settle(struct store *s, uint64_t due)
{
	uint64_t moved = 99;
	assert_int_equal(store_settle_alone(s, due, &moved, NULL), 0);
	return moved;
}

/* Put news records id-from .. id-to-1 of version v, in one transaction:
 * directly, or (children) each in a nested transaction of it, as the writer does. */
static void put_range(struct store *s, int from, int to, uint64_t v, bool children)
{
	struct store_txn *t, *c;
	struct gl_buf e = { 0 };
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	for (int i = from; i < to; i++) {
		char id[16];
		snprintf(id, sizeof id, "n%d", i);
		make(&e, sk, RK_NEWS, id, v, 100000, false);
		struct record r;
		enum store_outcome oc;
		assert_int_equal(record_open(e.data, e.len, &r, NULL), 0);
		if (children)
			assert_int_equal(store_begin_child(t, &c, NULL), 0);
		assert_int_equal(store_put(children ? c : t, &r, &oc, NULL), 0);
		assert_int_equal(oc, v == 1 ? STORE_NEW : STORE_REPLACED);
		if (children)
			assert_int_equal(store_commit(c, NULL), 0);
	}
	assert_int_equal(store_commit(t, NULL), 0);
	gl_buf_free(&e);
}

static void test_items(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/items", dir);
	struct store *s;
	assert_int_equal(store_open(path, 0, 1 << 26, &s, NULL), 0);

	/* three transactions, one with nested ones: three runs of fresh items */
	put_range(s, 0, 100, 1, false);
	put_range(s, 100, 200, 1, true);
	put_range(s, 200, 300, 1, false);
	check_invariants(s, 300, 300);
	assert_int_equal(stats(s).n_fresh, 300);
	check_scan(s, NULL, NULL);
	/* not due: too few items and too few runs */
	assert_int_equal(settle(s, 1000), 0);
	assert_int_equal(stats(s).n_fresh, 300);

	/* settled, in order, and fresh is empty */
	assert_int_equal(settle(s, 300), 300);
	assert_int_equal(stats(s).n_fresh, 0);
	check_invariants(s, 300, 300);
	check_scan(s, NULL, NULL);

	/* now some settled, some fresh: new records, and new versions of
	 * settled records (their old items leave items) and of fresh ones */
	put_range(s, 300, 400, 1, true);
	put_range(s, 0, 50, 2, false);
	put_range(s, 320, 340, 2, true);
	check_invariants(s, 400, 400);
	assert_int_equal(stats(s).n_fresh, 150);
	check_scan(s, NULL, NULL);

	/* a range scan merges both tables inside its bounds */
	uint8_t lo[RECORD_ITEM_LEN], hi[RECORD_ITEM_LEN];
	memset(lo, 0x40, sizeof lo);
	memset(hi, 0xc0, sizeof hi);
	check_scan(s, lo, hi);
	check_scan(s, lo, NULL);
	check_scan(s, NULL, hi);

	/* lookups by key hash find fresh and settled items, any version */
	struct store_txn *t;
	struct store_entry en;
	uint8_t held[RECORD_ITEM_LEN], x[RECORD_ITEM_LEN];
	bool exact;
	const char *ids[] = { "n10", "n99", "n330", "n390" }; /* fresh, settled, fresh v2, fresh */
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(store_begin(s, false, &t, NULL), 0);
		assert_int_equal(store_get(t, pk, RK_NEWS, ids[i], strlen(ids[i]), &en, NULL), 0);
		uint64_t version = en.version;
		record_keyhash(pk, RK_NEWS, ids[i], strlen(ids[i]), x);
		for (int b = 0; b < 8; b++)
			x[16 + b] = (uint8_t)(version >> (56 - 8 * b));
		memcpy(x + 24, en.cid, 8);
		assert_int_equal(store_get_by_item(t, x, &en, held, &exact, NULL), 0);
		assert_true(exact);
		assert_memory_equal(held, x, RECORD_ITEM_LEN);
		assert_int_equal(en.id_len, strlen(ids[i]));
		assert_memory_equal(en.id, ids[i], en.id_len);
		x[23] ^= 1; /* another version of the same key */
		assert_int_equal(store_get_by_item(t, x, &en, held, &exact, NULL), 0);
		assert_false(exact);
		x[0] ^= 0xff; /* no such key */
		assert_int_equal(store_get_by_item(t, x, &en, held, &exact, NULL), GL_ENOTFOUND);
		store_abort(t);
	}

	/* expiry takes items from both tables */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	unsigned removed;
	assert_int_equal(store_expire(t, 200000, 1000, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(removed, 400);
	check_invariants(s, 0, 0);
	assert_int_equal(stats(s).n_fresh, 0);

	/* many runs are due however few their items */
	for (int i = 0; i < STORE_SETTLE_RUNS; i++)
		put_range(s, 1000 + i, 1001 + i, 1, false);
	assert_int_equal(stats(s).n_fresh, STORE_SETTLE_RUNS);
	assert_int_equal(settle(s, STORE_SETTLE_DUE), STORE_SETTLE_RUNS);
	check_invariants(s, STORE_SETTLE_RUNS, STORE_SETTLE_RUNS);
	check_scan(s, NULL, NULL);
	store_close(s);
}

/* A layout 2 store has no fresh table: read as it is, upgraded by a write open. */
static void test_layout_upgrade(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/old", dir);
	struct store *s;
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	put_range(s, 0, 20, 1, false);
	assert_int_equal(settle(s, 1), 20);
	store_close(s);
	/* make it what layout 2 wrote */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi fresh, meta;
	uint8_t two = 2;
	MDB_val k = { .mv_size = 6, .mv_data = "layout" }, v = { .mv_size = 1, .mv_data = &two };
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, path, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "fresh", 0, &fresh), 0);
	assert_int_equal(mdb_drop(txn, fresh, 1), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	/* read-only: every item is settled, and read */
	assert_int_equal(store_open(path, STORE_RDONLY, 0, &s, NULL), 0);
	check_invariants(s, 20, 20);
	check_scan(s, NULL, NULL);
	store_close(s);
	/* a write open adds fresh and says layout 3 */
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	put_range(s, 20, 30, 1, false);
	check_invariants(s, 30, 30);
	assert_int_equal(stats(s).n_fresh, 10);
	check_scan(s, NULL, NULL);
	struct store_txn *t;
	const void *val;
	size_t len;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(store_meta_get(t, "layout", &val, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(*(const uint8_t *)val, STORE_LAYOUT);
	store_abort(t);
	store_close(s);
}

struct key_walk {
	struct gl_buf prev;
	unsigned n;
};

static int key_order_visit(void *ctx, const struct store_entry *e)
{
	struct key_walk *w = ctx;
	struct record_key k, pk_;
	assert_int_equal(record_peek_key(e->env, e->env_len, &k), 0);
	if (w->n++) {
		assert_int_equal(record_peek_key(w->prev.data, w->prev.len, &pk_), 0);
		assert_true(record_key_cmp(&pk_, &k) < 0);
	}
	w->prev.len = 0;
	gl_buf_append(&w->prev, e->env, e->env_len);
	return 0;
}

/* record_key_cmp (what gilde import sorts by) is the order of the records
 * table: ids that are prefixes of others, kinds, two authors */
static void test_key_order(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/order", dir);
	struct store *s;
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	static const char *ids[] = { "ab", "a", "a0", "b", "a-b", "a.b", "aa", "0", "z9", "a_" };
	static const int kinds[] = { RK_NEWS, RK_OFFER, RK_EVENT, RK_PARTNER };
	struct gl_buf env = { 0 };
	unsigned n = 0;
	for (unsigned i = 0; i < 2 * 4 * 10; i++) {
		/* in an order of its own: neither by author, kind nor id */
		unsigned j = (i * 37) % 80;
		make(&env, j % 2 ? sk : sk2, kinds[(j / 2) % 4], ids[j / 8], 1, 1000, j % 5 == 0);
		assert_int_equal(put(s, &env), STORE_NEW);
		n++;
	}
	struct store_txn *t;
	struct key_walk w = { 0 };
	struct store_filter f = { .tombstones = true };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(store_scan(t, &f, key_order_visit, &w, NULL), 0);
	store_abort(t);
	assert_int_equal(w.n, n);
	/* and a key compares equal to itself, and is read from every record */
	struct record_key a, b;
	assert_int_equal(record_peek_key(env.data, env.len, &a), 0);
	assert_int_equal(record_peek_key(env.data, env.len, &b), 0);
	assert_int_equal(record_key_cmp(&a, &b), 0);
	gl_buf_free(&env);
	gl_buf_free(&w.prev);
	store_close(s);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	tu_keypair(1, pk, sk);
	tu_keypair(2, pk2, sk2);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_delete_author),
		cmocka_unit_test(test_items_hook),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_map_full),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_layout_upgrade),
		cmocka_unit_test(test_key_order),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
