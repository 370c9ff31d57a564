/* Unit tests: the events index and events_scan (daemon/store/eventindex.c, daemon/query/events.c). */
#include "testutil.h"

#include <unistd.h>

#include "proto/clock.h"
#include "query/events.h"
#include "store/eventindex.h"
#include "store/store.h"

static uint8_t pk[32], sk[64], pk2[32], sk2[64];
static char dir[64];

static int setup(void **state)
{
	(void)state;
	return tu_tmpdir(dir, "events");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(dir);
}

/* What goes into one test event; NULL fields are left out of the body. */
struct ev {
	const char *id;
	uint64_t version, expires;
	const char *start;
	const char *sectors[3]; /* NULL-terminated */
	const char *phases[3];
	const char *status;
	bool tomb;
};

static void pack_list(msgpack_packer *p, const char *key, const char *const *items)
{
	uint32_t n = 0;
	while (n < 3 && items[n])
		n++;
	tu_str(p, key);
	msgpack_pack_array(p, n);
	for (uint32_t i = 0; i < n; i++)
		tu_str(p, items[i]);
}

/* Sign an event record by key; tomb makes a tombstone. */
static void make(struct gl_buf *env, const uint8_t *key, const struct ev *ev)
{
	struct gl_buf body = { 0 };
	msgpack_packer p;
	tu_packer(&p, &body);
	uint32_t n = 1 + !!ev->start + !!ev->sectors[0] + !!ev->phases[0] + !!ev->status;
	msgpack_pack_map(&p, n);
	tu_str(&p, "url");
	tu_str(&p, "https://example.org/");
	if (ev->start) {
		tu_str(&p, "start");
		tu_str(&p, ev->start);
	}
	if (ev->sectors[0])
		pack_list(&p, "sectors", ev->sectors);
	if (ev->phases[0])
		pack_list(&p, "phases", ev->phases);
	if (ev->status) {
		tu_str(&p, "status");
		tu_str(&p, ev->status);
	}
	struct record_draft d = { .kind = RK_EVENT, .id = ev->id, .id_len = strlen(ev->id),
	                          .version = ev->version, .issued = 100,
	                          .expires = ev->expires ? ev->expires : 4000000000u,
	                          .body = ev->tomb ? NULL : body.data,
	                          .body_len = ev->tomb ? 0 : body.len };
	env->len = 0;
	assert_int_equal(record_sign(&d, key, env, NULL), 0);
	gl_buf_free(&body);
}

static enum store_outcome put(struct store *s, const uint8_t *key, const struct ev *ev)
{
	struct gl_buf env = { 0 };
	struct store_txn *t;
	struct record r;
	enum store_outcome oc;
	struct gl_error err = { 0 };
	make(&env, key, ev);
	assert_int_equal(record_open(env.data, env.len, &r, NULL), 0);
	assert_int_equal(store_begin(s, true, &t, &err), 0);
	assert_int_equal(store_put(t, &r, &oc, &err), 0);
	assert_int_equal(store_commit(t, &err), 0);
	gl_buf_free(&env);
	return oc;
}

static struct store *open_store(const char *name)
{
	char path[128];
	struct store *s;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	return s;
}

/* What a scan saw: ids joined by spaces, and the starts in order. */
struct seen {
	char ids[512];
	int64_t starts[16];
	unsigned n;
	unsigned stop_after; /* 0: never stop */
};

static int collect(void *ctx, const struct store_entry *e, int64_t start)
{
	struct seen *sn = ctx;
	assert_false(e->tombstone);
	assert_int_equal(e->kind, RK_EVENT);
	size_t l = strlen(sn->ids);
	snprintf(sn->ids + l, sizeof sn->ids - l, "%s%.*s", l ? " " : "", (int)e->id_len, e->id);
	if (sn->n < 16)
		sn->starts[sn->n] = start;
	sn->n++;
	return sn->stop_after && sn->n == sn->stop_after ? 7 : 0;
}

static int scan(struct store *s, const struct events_filter *f, struct seen *sn)
{
	struct store_txn *t;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, false, &t, &err), 0);
	int rc = events_scan(t, f, collect, sn, &err);
	store_abort(t);
	return rc;
}

/* The ids events_scan visits in [from, to) with no other filter. */
static const char *ids_in(struct store *s, int64_t from, int64_t to, struct seen *sn)
{
	memset(sn, 0, sizeof *sn);
	struct events_filter f = { .from = from, .to = to };
	assert_int_equal(scan(s, &f, sn), 0);
	return sn->ids;
}

static uint64_t index_count(struct store *s)
{
	struct store_txn *t;
	uint64_t n = 0;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(eventindex_count(t, &n, NULL), 0);
	store_abort(t);
	return n;
}

static int64_t at(const char *text)
{
	int64_t v;
	assert_int_equal(clock_parse(text, &v), 0);
	return v;
}

static void test_order_and_bounds(void **state)
{
	(void)state;
	struct store *s = open_store("order");
	/* out of order, mixed offsets: c (08:00Z) is before b (10:00+01 = 09:00Z) */
	put(s, sk, &(struct ev){ .id = "d", .version = 1, .start = "2027-05-01T10:00:00+02:00" });
	put(s, sk, &(struct ev){ .id = "b", .version = 1, .start = "2027-03-01T10:00:00+01:00" });
	put(s, sk2, &(struct ev){ .id = "e", .version = 1, .start = "2027-06-30T23:59:59Z" });
	put(s, sk, &(struct ev){ .id = "c", .version = 1, .start = "2027-03-01T08:00:00Z" });
	put(s, sk2, &(struct ev){ .id = "a", .version = 1, .start = "2027-01-10T12:00:00+01:00" });
	/* no start: stored, but not indexed */
	put(s, sk, &(struct ev){ .id = "nostart", .version = 1 });
	assert_int_equal(index_count(s), 5);

	struct seen sn;
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "a c b d e");
	for (unsigned i = 1; i < sn.n; i++)
		assert_true(sn.starts[i - 1] < sn.starts[i]);
	assert_int_equal(sn.starts[0], at("2027-01-10T11:00:00Z"));
	/* from is inclusive, to exclusive */
	int64_t b = at("2027-03-01T09:00:00Z");
	assert_string_equal(ids_in(s, b, EVENTS_OPEN_END, &sn), "b d e");
	assert_string_equal(ids_in(s, b + 1, EVENTS_OPEN_END, &sn), "d e");
	assert_string_equal(ids_in(s, 0, b, &sn), "a c");
	assert_string_equal(ids_in(s, 0, b + 1, &sn), "a c b");
	assert_string_equal(ids_in(s, at("2027-02-01"), at("2027-06-01"), &sn), "c b d");
	assert_string_equal(ids_in(s, at("2028-01-01"), EVENTS_OPEN_END, &sn), "");
	assert_string_equal(ids_in(s, b, b, &sn), "");
	assert_string_equal(ids_in(s, -5, at("2027-02-01"), &sn), "a");

	/* the visitor's non-zero value stops the scan and is returned */
	memset(&sn, 0, sizeof sn);
	sn.stop_after = 2;
	struct events_filter f = { .from = 0, .to = EVENTS_OPEN_END };
	assert_int_equal(scan(s, &f, &sn), 7);
	assert_string_equal(sn.ids, "a c");
	store_close(s);
}

static void test_update_moves(void **state)
{
	(void)state;
	struct store *s = open_store("update");
	struct seen sn;
	put(s, sk, &(struct ev){ .id = "x", .version = 1, .start = "2027-04-01T10:00:00+02:00" });
	put(s, sk, &(struct ev){ .id = "y", .version = 1, .start = "2027-05-01T10:00:00+02:00" });
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "x y");
	/* x moves after y: one entry, at the new start */
	assert_int_equal(put(s, sk, &(struct ev){ .id = "x", .version = 2,
	                                          .start = "2027-06-01T10:00:00+02:00" }),
	                 STORE_REPLACED);
	assert_int_equal(index_count(s), 2);
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "y x");
	assert_int_equal(sn.starts[1], at("2027-06-01T08:00:00Z"));
	assert_string_equal(ids_in(s, 0, at("2027-05-01"), &sn), "");
	/* an older version changes nothing */
	assert_int_equal(put(s, sk, &(struct ev){ .id = "x", .version = 1,
	                                          .start = "2027-01-01T10:00:00+01:00" }),
	                 STORE_OLDER);
	assert_int_equal(index_count(s), 2);
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "y x");
	/* the same start again (a text change): still one entry */
	put(s, sk, &(struct ev){ .id = "x", .version = 3, .start = "2027-06-01T10:00:00+02:00",
	                         .status = "scheduled" });
	assert_int_equal(index_count(s), 2);
	/* an update that drops the start leaves the index */
	put(s, sk, &(struct ev){ .id = "y", .version = 2 });
	assert_int_equal(index_count(s), 1);
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "x");
	store_close(s);
}

static void test_retract_expire_revoke(void **state)
{
	(void)state;
	struct store *s = open_store("gone");
	struct seen sn;
	put(s, sk, &(struct ev){ .id = "keep", .version = 1, .start = "2027-02-01T10:00:00Z" });
	put(s, sk, &(struct ev){ .id = "retracted", .version = 1, .start = "2027-02-02T10:00:00Z" });
	put(s, sk, &(struct ev){ .id = "expiring", .version = 1, .expires = 500,
	                         .start = "2027-02-03T10:00:00Z" });
	put(s, sk2, &(struct ev){ .id = "revoked", .version = 1, .start = "2027-02-04T10:00:00Z" });
	assert_int_equal(index_count(s), 4);

	put(s, sk, &(struct ev){ .id = "retracted", .version = 2, .tomb = true });
	assert_int_equal(index_count(s), 3);
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "keep expiring revoked");
	/* a tombstone replaced by a live version comes back */
	put(s, sk, &(struct ev){ .id = "retracted", .version = 3, .start = "2027-02-02T10:00:00Z" });
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "keep retracted expiring revoked");
	put(s, sk, &(struct ev){ .id = "retracted", .version = 4, .tomb = true });

	struct store_txn *t;
	unsigned removed = 0;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_expire(t, 1000, 100, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(index_count(s), 2);
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "keep revoked");

	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_delete_author(t, pk2, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(index_count(s), 1);
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "keep");
	store_close(s);
}

static void test_filters(void **state)
{
	(void)state;
	struct store *s = open_store("filters");
	put(s, sk, &(struct ev){ .id = "bio", .version = 1, .start = "2027-03-01T10:00:00Z",
	                         .sectors = { "biotech", "agrofood" }, .phases = { "start" } });
	put(s, sk, &(struct ev){ .id = "any", .version = 1, .start = "2027-03-02T10:00:00Z" });
	put(s, sk, &(struct ev){ .id = "retail", .version = 1, .start = "2027-03-03T10:00:00Z",
	                         .sectors = { "retail" }, .phases = { "idea", "prestart" } });
	put(s, sk, &(struct ev){ .id = "off", .version = 1, .start = "2027-03-04T10:00:00Z",
	                         .phases = { "start" }, .status = "cancelled" });
	put(s, sk, &(struct ev){ .id = "on", .version = 1, .start = "2027-03-05T10:00:00Z",
	                         .status = "scheduled" });
	struct {
		const char *sector, *phase;
		bool cancelled;
		const char *want;
	} cases[] = {
		{ NULL, NULL, false, "bio any retail on" },
		{ NULL, NULL, true, "bio any retail off on" },
		{ "biotech", NULL, false, "bio any on" },
		{ "agrofood", NULL, false, "bio any on" },
		{ "retail", NULL, false, "any retail on" },
		{ "digital", NULL, false, "any on" },
		{ NULL, "start", false, "bio any on" },
		{ NULL, "start", true, "bio any off on" },
		{ NULL, "idea", false, "any retail on" },
		{ "retail", "start", false, "any on" },
		{ "biotech", "start", true, "bio any off on" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct seen sn = { 0 };
		struct events_filter f = { .from = 0, .to = EVENTS_OPEN_END, .sector = cases[i].sector,
		                           .phase = cases[i].phase,
		                           .include_cancelled = cases[i].cancelled };
		assert_int_equal(scan(s, &f, &sn), 0);
		assert_string_equal(sn.ids, cases[i].want);
	}
	store_close(s);
}

static void test_bad_args(void **state)
{
	(void)state;
	struct store *s = open_store("args");
	struct store_txn *t;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(events_scan(t, NULL, collect, NULL, &err), GL_EINVAL);
	struct events_filter f = { .to = EVENTS_OPEN_END };
	assert_int_equal(events_scan(t, &f, NULL, NULL, &err), GL_EINVAL);
	/* an empty store: nothing, no error */
	struct seen sn = { 0 };
	assert_int_equal(events_scan(t, &f, collect, &sn, &err), 0);
	assert_int_equal(sn.n, 0);
	store_abort(t);
	store_close(s);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	tu_keypair(1, pk, sk);
	tu_keypair(2, pk2, sk2);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_bounds),
		cmocka_unit_test(test_update_moves),
		cmocka_unit_test(test_retract_expire_revoke),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
