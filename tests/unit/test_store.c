/* Unit tests: store semantics (daemon/store/store.c). */
#include "testutil.h"

#include <unistd.h>

#include "store.h"

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
	assert_int_equal(store_stats(t, &st, NULL), 0);
	store_abort(t);
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

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	tu_keypair(1, pk, sk);
	tu_keypair(2, pk2, sk2);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_map_full),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
