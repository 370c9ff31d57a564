/*
 * Unit tests: the bound on the store's mapped pages (daemon/store/map.c).
 * The writer lets go of the mapping as soon as it finds the bound passed;
 * a query (any thread without the write transaction) at most once per
 * STORE_MAP_READ_INTERVAL_MS.  A bound of 1 byte is always passed (the
 * program's own pages are file-backed), so every check wants a release
 * and the count says which rule was applied.
 */
#include "testutil.h"

#include <pthread.h>
#include <time.h>

#include "store/store.h"

#define RECORDS 1000
#define SCANS 40 /* each reads RECORDS entries: 625 checks of the bound */

static uint8_t pk[32], sk[64];
static char dir[64];
static struct store *st;
static uint64_t version = 1;

/* Sign and store n records in one transaction. */
static void put_many(struct store *s, int n)
{
	struct store_txn *t;
	struct gl_buf body = { 0 }, env = { 0 };
	msgpack_packer p;
	tu_packer(&p, &body);
	msgpack_pack_map(&p, 1);
	tu_str(&p, "v");
	msgpack_pack_uint64(&p, 1);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	for (int i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "r%06llu", (unsigned long long)version);
		struct record_draft d = { .kind = RK_NEWS, .id = id, .id_len = strlen(id),
		                          .version = version++, .issued = 100, .expires = 4000000000u,
		                          .body = body.data, .body_len = body.len };
		struct record r;
		enum store_outcome oc;
		env.len = 0;
		assert_int_equal(record_sign(&d, sk, &env, NULL), 0);
		assert_int_equal(record_open(env.data, env.len, &r, NULL), 0);
		assert_int_equal(store_put(t, &r, &oc, NULL), 0);
	}
	assert_int_equal(store_commit(t, NULL), 0);
	gl_buf_free(&body);
	gl_buf_free(&env);
}

static int setup(void **state)
{
	(void)state;
	if (tu_tmpdir(dir, "storemap") || store_open(dir, 0, 0, &st, NULL))
		return -1;
	put_many(st, RECORDS); /* no bound yet: no release, none remembered */
	return store_map_releases(st) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	st = NULL;
	return tu_rmtree(dir);
}

static int count(void *ctx, const struct store_entry *e)
{
	(void)e;
	++*(unsigned long *)ctx;
	return 0;
}

/* Read every record SCANS times, each scan in a read transaction. */
static void *scan_all(void *arg)
{
	unsigned long *seen = arg;
	for (int i = 0; i < SCANS; i++) {
		struct store_txn *t;
		assert_int_equal(store_begin(st, false, &t, NULL), 0);
		assert_int_equal(store_scan(t, &(struct store_filter){ 0 }, count, seen, NULL), 0);
		store_abort(t);
	}
	return NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Releases a query thread may make in elapsed ms: the first at once, then
 * one per interval. */
static unsigned long long read_allowance(uint64_t elapsed)
{
	return 1 + elapsed / STORE_MAP_READ_INTERVAL_MS;
}

/* Queries over the bound let go once, then not again within the interval. */
static void test_queries_rate_limited(void **state)
{
	(void)state;
	store_set_mapped_max(st, 1);
	unsigned long seen = 0;
	uint64_t t0 = now_ms();
	scan_all(&seen);
	unsigned long long n = store_map_releases(st);
	uint64_t elapsed = now_ms() - t0;
	assert_int_equal(seen, (unsigned long)RECORDS * SCANS);
	print_message("%llu releases over %lu entries read in %llu ms\n", n, seen,
	              (unsigned long long)elapsed);
	/* the bound still holds for queries: the first check let go */
	assert_true(n >= 1);
	assert_true(n <= read_allowance(elapsed));
}

/* The writer lets go each time it finds the bound passed: a record written
 * counts 4 (store_int.h), so 640 records are 40 checks. */
static void test_writer_strict(void **state)
{
	(void)state;
	store_set_mapped_max(st, 1);
	put_many(st, 640);
	unsigned long long n = store_map_releases(st);
	print_message("%llu releases writing 640 records\n", n);
	assert_true(n >= 39);
}

/* A query on another thread while this one holds the write transaction is
 * still held to the interval: being the writer is a thread's, not the
 * store's. */
static void test_reader_beside_writer(void **state)
{
	(void)state;
	struct store_txn *w;
	assert_int_equal(store_begin(st, true, &w, NULL), 0);
	store_set_mapped_max(st, 1);
	unsigned long seen = 0;
	pthread_t th;
	uint64_t t0 = now_ms();
	assert_int_equal(pthread_create(&th, NULL, scan_all, &seen), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	unsigned long long n = store_map_releases(st);
	assert_true(n >= 1);
	assert_true(n <= read_allowance(now_ms() - t0));
	store_abort(w);
	/* the write transaction ended: this thread is held to the interval too */
	scan_all(&seen);
	assert_int_equal(seen, 2ul * RECORDS * SCANS);
	assert_true(store_map_releases(st) <= read_allowance(now_ms() - t0));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	tu_keypair(1, pk, sk);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queries_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_strict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_beside_writer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
