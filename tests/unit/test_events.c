/* Unit tests: the events index, events_scan and the occurrences of
 * recurring events (daemon/store/eventindex.c, daemon/query/events.c,
 * schemas/recurrence.c and its check in schemas/doc.c). */
#include "testutil.h"

#include <lmdb.h>
#include <time.h>
#include <unistd.h>

#include "proto/body.h"
#include "proto/clock.h"
#include "query/events.h"
#include "schemas/doc.h"
#include "schemas/recurrence.h"
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
	const char *sectors[4]; /* NULL-terminated */
	const char *phases[4];
	const char *status;
	bool tomb;
	const char *end;
	const char *rrule;      /* with it, a "recurrence" */
	const char *exdates[4]; /* NULL-terminated */
};

static void pack_list(msgpack_packer *p, const char *key, const char *const *items)
{
	uint32_t n = 0;
	while (n < 4 && items[n])
		n++;
	tu_str(p, key);
	msgpack_pack_array(p, n);
	for (uint32_t i = 0; i < n; i++)
		tu_str(p, items[i]);
}

/* The body of ev, into body. */
static void pack_body(struct gl_buf *body, const struct ev *ev)
{
	msgpack_packer p;
	tu_packer(&p, body);
	uint32_t n = 1 + !!ev->start + !!ev->sectors[0] + !!ev->phases[0] + !!ev->status +
	             !!ev->end + !!ev->rrule;
	msgpack_pack_map(&p, n);
	tu_str(&p, "url");
	tu_str(&p, "https://example.org/");
	if (ev->start) {
		tu_str(&p, "start");
		tu_str(&p, ev->start);
	}
	if (ev->end) {
		tu_str(&p, "end");
		tu_str(&p, ev->end);
	}
	if (ev->rrule) {
		tu_str(&p, "recurrence");
		msgpack_pack_map(&p, 1 + !!ev->exdates[0]);
		tu_str(&p, "rrule");
		tu_str(&p, ev->rrule);
		if (ev->exdates[0])
			pack_list(&p, "exdates", ev->exdates);
	}
	if (ev->sectors[0])
		pack_list(&p, "sectors", ev->sectors);
	if (ev->phases[0])
		pack_list(&p, "phases", ev->phases);
	if (ev->status) {
		tu_str(&p, "status");
		tu_str(&p, ev->status);
	}
}

/* Sign an event record by key; tomb makes a tombstone. */
static void make(struct gl_buf *env, const uint8_t *key, const struct ev *ev)
{
	struct gl_buf body = { 0 };
	pack_body(&body, ev);
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

/* ---- recurring events ---------------------------------------------------- */

/* What events_occurrences visited: "id" or "id@RECURRENCE-ID" joined by
 * spaces, and each occurrence's start and end. */
struct occs {
	char text[16384];
	int64_t start[EVENTS_LIST_MAX], end[EVENTS_LIST_MAX];
	unsigned n;
	bool more;
};

static int collect_occ(void *ctx, const struct events_occurrence *o)
{
	struct occs *oc = ctx;
	assert_false(o->e->tombstone);
	assert_int_equal(o->recurring, o->id[0] != '\0');
	size_t l = strlen(oc->text);
	snprintf(oc->text + l, sizeof oc->text - l, "%s%.*s%s%s", l ? " " : "", (int)o->e->id_len,
	         o->e->id, o->recurring ? "@" : "", o->id);
	assert_true(oc->n < EVENTS_LIST_MAX);
	oc->start[oc->n] = o->start;
	oc->end[oc->n++] = o->end;
	return 0;
}

/* The occurrences in [from, to), at most limit, per_event of one event. */
static struct occs *occurrences(struct store *s, int64_t from, int64_t to, size_t limit,
                                size_t per_event)
{
	struct occs *oc = gl_xcalloc(1, sizeof *oc);
	struct store_txn *t;
	struct gl_error err = { 0 };
	struct events_filter f = { .from = from, .to = to };
	assert_int_equal(store_begin(s, false, &t, &err), 0);
	int rc = events_occurrences(t, &f, limit, per_event, collect_occ, oc, &oc->more, &err);
	if (rc)
		fail_msg("events_occurrences: %d %s", rc, err.msg);
	store_abort(t);
	return oc;
}

/* The same with the default limits. */
static struct occs *all_in(struct store *s, int64_t from, int64_t to)
{
	return occurrences(s, from, to, EVENTS_LIST_MAX, EVENTS_PER_EVENT_MAX);
}

static const struct ev spreekuur = {
	/* the Ondernemerspunt's Monday mornings (contrib/ghent), holidays left out */
	.id = "spreekuur", .version = 1, .start = "2027-01-04T09:00:00+01:00",
	.end = "2027-01-04T12:00:00+01:00", .rrule = "FREQ=WEEKLY;BYDAY=MO;UNTIL=20271220T230000Z",
	.exdates = { "2027-03-29T09:00:00+02:00", "2027-05-17T09:00:00+02:00",
	             "2027-11-01T09:00:00+01:00" },
};

static void test_recurring_index(void **state)
{
	(void)state;
	struct store *s = open_store("recurring");
	struct seen sn;
	put(s, sk, &spreekuur);
	put(s, sk, &(struct ev){ .id = "oneoff", .version = 1, .start = "2027-03-10T10:00:00+01:00" });
	assert_int_equal(index_count(s), 2);
	/* the one-off walk passes the series by; the listing finds it, though it began in January */
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "oneoff");
	struct occs *oc = all_in(s, at("2027-03-01"), at("2027-03-16"));
	assert_string_equal(oc->text, "spreekuur@20270301T090000 spreekuur@20270308T090000 oneoff "
	                              "spreekuur@20270315T090000");
	assert_int_equal(oc->start[0], at("2027-03-01T08:00:00Z"));
	assert_int_equal(oc->end[0], at("2027-03-01T11:00:00Z"));
	assert_int_equal(oc->end[2], EVENTS_NO_END);
	assert_false(oc->more);
	free(oc);
	/* a series whose first start is after the window's end is not walked into it */
	oc = all_in(s, at("2026-12-01"), at("2027-01-04"));
	assert_string_equal(oc->text, "");
	free(oc);

	/* dropping the rule moves the entry to the one-off section, adding it moves it back */
	put(s, sk, &(struct ev){ .id = "spreekuur", .version = 2, .start = "2027-01-04T09:00:00+01:00" });
	assert_int_equal(index_count(s), 2);
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "spreekuur oneoff");
	oc = all_in(s, at("2027-03-01"), at("2027-03-16"));
	assert_string_equal(oc->text, "oneoff");
	free(oc);
	struct ev again = spreekuur;
	again.version = 3;
	put(s, sk, &again);
	assert_int_equal(index_count(s), 2);
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "oneoff");
	/* a tombstone takes the series out */
	put(s, sk, &(struct ev){ .id = "spreekuur", .version = 4, .tomb = true });
	assert_int_equal(index_count(s), 1);
	oc = all_in(s, 0, EVENTS_OPEN_END);
	assert_string_equal(oc->text, "oneoff");
	free(oc);
	store_close(s);
}

/* The starts of one series in [from, to), as UTC texts joined by spaces. */
static const char *series(const struct ev *ev, int64_t from, int64_t to, char *out, size_t n)
{
	static unsigned serial;
	char name[32];
	snprintf(name, sizeof name, "series%u", serial++);
	struct store *s = open_store(name);
	put(s, sk, ev);
	struct occs *oc = all_in(s, from, to);
	out[0] = '\0';
	for (unsigned i = 0; i < oc->n; i++) {
		char when[32];
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s%s", l ? " " : "", clock_format((uint64_t)oc->start[i], when));
	}
	free(oc);
	store_close(s);
	return out;
}

static void test_dst(void **state)
{
	(void)state;
	char got[2048];
	/* 09:00 in Brussels stays 09:00 across the change of 28 March 2027: 08:00Z, then 07:00Z */
	struct ev ev = { .id = "ma", .version = 1, .start = "2027-03-15T09:00:00+01:00",
	                 .rrule = "FREQ=WEEKLY;COUNT=4" };
	assert_string_equal(series(&ev, 0, EVENTS_OPEN_END, got, sizeof got),
	                    "2027-03-15T08:00:00Z 2027-03-22T08:00:00Z 2027-03-29T07:00:00Z "
	                    "2027-04-05T07:00:00Z");
	/* and back on 31 October */
	ev.start = "2027-10-18T09:00:00+02:00";
	ev.rrule = "FREQ=WEEKLY;COUNT=3";
	assert_string_equal(series(&ev, 0, EVENTS_OPEN_END, got, sizeof got),
	                    "2027-10-18T07:00:00Z 2027-10-25T07:00:00Z 2027-11-01T08:00:00Z");
	/* 02:30 does not exist on 28 March: read with the offset before the gap (RFC 5545
	 * 3.3.5), and the next week is 02:30 again, not 03:30 as libical's zoned stepping says */
	ev.start = "2027-03-21T02:30:00+01:00";
	assert_string_equal(series(&ev, 0, EVENTS_OPEN_END, got, sizeof got),
	                    "2027-03-21T01:30:00Z 2027-03-28T01:30:00Z 2027-04-04T00:30:00Z");
	/* 02:30 comes twice on 31 October: the first */
	ev.start = "2027-10-24T02:30:00+02:00";
	ev.rrule = "FREQ=WEEKLY;COUNT=2";
	assert_string_equal(series(&ev, 0, EVENTS_OPEN_END, got, sizeof got),
	                    "2027-10-24T00:30:00Z 2027-10-31T00:30:00Z");
}

static void test_exdate(void **state)
{
	(void)state;
	struct store *s = open_store("exdate");
	put(s, sk, &spreekuur);
	struct occs *oc = all_in(s, at("2027-01-01"), at("2028-01-01"));
	/* 51 Mondays from 4 January to 20 December, less Easter and Whit Monday and All Saints */
	assert_int_equal(oc->n, 48);
	assert_false(oc->more);
	assert_int_equal(oc->start[0], at("2027-01-04T08:00:00Z"));
	assert_int_equal(oc->start[47], at("2027-12-20T08:00:00Z"));
	for (unsigned i = 0; i < oc->n; i++) {
		assert_int_not_equal(oc->start[i], at("2027-03-29T07:00:00Z"));
		assert_int_not_equal(oc->start[i], at("2027-05-17T07:00:00Z"));
		assert_int_not_equal(oc->start[i], at("2027-11-01T08:00:00Z"));
		assert_int_equal(oc->end[i] - oc->start[i], 3 * 3600);
	}
	free(oc);
	oc = all_in(s, at("2027-03-22"), at("2027-04-06"));
	assert_string_equal(oc->text, "spreekuur@20270322T090000 spreekuur@20270405T090000");
	free(oc);
	store_close(s);
}

static void test_count_until(void **state)
{
	(void)state;
	char got[2048];
	/* Level Up (contrib/ghent): the third Thursday of every third month, four times */
	struct ev ev = { .id = "levelup", .version = 1, .start = "2027-03-18T18:00:00+01:00",
	                 .rrule = "FREQ=MONTHLY;INTERVAL=3;BYDAY=3TH;COUNT=4" };
	assert_string_equal(series(&ev, 0, EVENTS_OPEN_END, got, sizeof got),
	                    "2027-03-18T17:00:00Z 2027-06-17T16:00:00Z 2027-09-16T16:00:00Z "
	                    "2027-12-16T17:00:00Z");
	/* a COUNT is counted from the start, whatever the window */
	assert_string_equal(series(&ev, at("2027-07-01"), EVENTS_OPEN_END, got, sizeof got),
	                    "2027-09-16T16:00:00Z 2027-12-16T17:00:00Z");
	/* a date UNTIL takes in that whole day in Brussels */
	ev = (struct ev){ .id = "daily", .version = 1, .start = "2027-01-01T20:00:00+01:00",
	                  .rrule = "FREQ=DAILY;UNTIL=20270103" };
	assert_string_equal(series(&ev, 0, EVENTS_OPEN_END, got, sizeof got),
	                    "2027-01-01T19:00:00Z 2027-01-02T19:00:00Z 2027-01-03T19:00:00Z");
	/* a UTC UNTIL is an instant, and takes in an occurrence at it */
	ev.rrule = "FREQ=DAILY;UNTIL=20270103T190000Z";
	assert_string_equal(series(&ev, 0, EVENTS_OPEN_END, got, sizeof got),
	                    "2027-01-01T19:00:00Z 2027-01-02T19:00:00Z 2027-01-03T19:00:00Z");
	ev.rrule = "FREQ=DAILY;UNTIL=20270103T185959Z";
	assert_string_equal(series(&ev, 0, EVENTS_OPEN_END, got, sizeof got),
	                    "2027-01-01T19:00:00Z 2027-01-02T19:00:00Z");
}

static void test_bysetpos(void **state)
{
	(void)state;
	char got[2048];
	/* the last weekday of each month */
	struct ev ev = { .id = "last", .version = 1, .start = "2027-01-29T16:00:00+01:00",
	                 .rrule = "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1" };
	assert_string_equal(series(&ev, 0, at("2027-06-01"), got, sizeof got),
	                    "2027-01-29T15:00:00Z 2027-02-26T15:00:00Z 2027-03-31T14:00:00Z "
	                    "2027-04-30T14:00:00Z 2027-05-31T14:00:00Z");
	/* the second of a month's Tuesdays and Thursdays */
	ev.start = "2027-01-07T12:00:00+01:00";
	ev.rrule = "FREQ=MONTHLY;BYDAY=TU,TH;BYSETPOS=2;COUNT=4";
	assert_string_equal(series(&ev, 0, EVENTS_OPEN_END, got, sizeof got),
	                    "2027-01-07T11:00:00Z 2027-02-04T11:00:00Z 2027-03-04T11:00:00Z "
	                    "2027-04-06T10:00:00Z");
	/* the sample's starters' day: the second Saturday of March and September */
	ev.start = "2027-03-13T10:00:00+01:00";
	ev.rrule = "FREQ=MONTHLY;INTERVAL=6;BYDAY=2SA;COUNT=2";
	assert_string_equal(series(&ev, 0, EVENTS_OPEN_END, got, sizeof got),
	                    "2027-03-13T09:00:00Z 2027-09-11T08:00:00Z");
}

static void test_caps(void **state)
{
	(void)state;
	struct store *s = open_store("caps");
	/* no COUNT, no UNTIL, no end to the window: the caps end it */
	put(s, sk, &(struct ev){ .id = "daily", .version = 1, .start = "2027-01-01T12:00:00+01:00",
	                         .rrule = "FREQ=DAILY" });
	put(s, sk2, &(struct ev){ .id = "same", .version = 1, .start = "2027-01-03T11:00:00Z" });
	struct occs *oc = all_in(s, 0, EVENTS_OPEN_END);
	assert_int_equal(oc->n, EVENTS_PER_EVENT_MAX + 1);
	assert_true(oc->more);
	int64_t last = oc->start[oc->n - 1];
	assert_int_equal(last, at("2028-01-01T11:00:00Z")); /* 2027 has 365 days: the 366th */
	/* a one-off at the same second as an occurrence: record-key order */
	bool sk_first = memcmp(pk, pk2, sizeof pk) < 0;
	assert_int_equal(oc->start[2], oc->start[3]);
	assert_string_equal(strstr(oc->text, sk_first ? "daily@20270103T120000 same"
	                                               : "same daily@20270103T120000") ? "ok" : "no",
	                    "ok");
	free(oc);
	/* the listing's limit */
	oc = occurrences(s, at("2027-02-01"), EVENTS_OPEN_END, 10, EVENTS_PER_EVENT_MAX);
	assert_int_equal(oc->n, 10);
	assert_true(oc->more);
	assert_int_equal(oc->start[0], at("2027-02-01T11:00:00Z"));
	free(oc);
	/* per event 1: each event once, at its first occurrence in the window */
	oc = occurrences(s, at("2027-01-02"), EVENTS_OPEN_END, EVENTS_LIST_MAX, 1);
	assert_string_equal(oc->text, "daily@20270102T120000 same");
	assert_true(oc->more);
	free(oc);
	/* a window that holds it all says so */
	oc = all_in(s, at("2027-01-02"), at("2027-01-04"));
	assert_int_equal(oc->n, 3);
	assert_false(oc->more);
	free(oc);
	/* limits out of range */
	struct store_txn *t;
	struct gl_error err = { 0 };
	struct events_filter f = { .to = EVENTS_OPEN_END };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(events_occurrences(t, &f, 0, 1, collect_occ, NULL, NULL, &err), GL_EINVAL);
	assert_int_equal(events_occurrences(t, &f, EVENTS_LIST_MAX + 1, 1, collect_occ, NULL, NULL,
	                                    &err), GL_EINVAL);
	assert_int_equal(events_occurrences(t, &f, 1, EVENTS_PER_EVENT_MAX + 1, collect_occ, NULL,
	                                    NULL, &err), GL_EINVAL);
	assert_int_equal(events_occurrences(t, &f, 1, 0, collect_occ, NULL, NULL, &err), GL_EINVAL);
	assert_int_equal(events_occurrences(t, NULL, 1, 1, collect_occ, NULL, NULL, &err), GL_EINVAL);
	store_abort(t);
	store_close(s);
}

/* Entering a rule at a later start (libical's set_start) gives what stepping from its start does. */
static void test_enter_late(void **state)
{
	(void)state;
	static const struct {
		const char *start, *rrule;
	} rules[] = {
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20271220T230000Z" },
		{ "2027-02-10T14:00:00+01:00", "FREQ=WEEKLY;BYDAY=WE" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH" },
		{ "2027-03-13T10:00:00+01:00", "FREQ=MONTHLY;INTERVAL=6;BYDAY=2SA" },
		{ "2027-01-29T16:00:00+01:00", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1" },
		{ "2027-01-31T09:00:00+01:00", "FREQ=MONTHLY;BYMONTHDAY=-1;INTERVAL=5" },
		{ "2027-01-01T09:00:00+01:00", "FREQ=DAILY;INTERVAL=3" },
		{ "2027-03-13T10:00:00+01:00", "FREQ=YEARLY;BYMONTH=3,9;BYDAY=2SA" },
	};
	int64_t froms[] = { at("2027-03-28T00:30:00Z"), at("2027-07-01"), at("2027-10-31T01:30:00Z"),
	                    at("2029-02-03T10:00:00+01:00") };
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		struct gl_buf body = { 0 };
		pack_body(&body, &(struct ev){ .start = rules[i].start, .rrule = rules[i].rrule });
		struct recurrence *r = gl_xcalloc(1, sizeof *r);
		struct gl_error err = { 0 };
		assert_int_equal(recurrence_check(body.data, body.len, &err), 0);
		assert_int_equal(recurrence_read(body.data, body.len, r, &err), 0);
		for (size_t k = 0; k < sizeof froms / sizeof froms[0]; k++) {
			struct recurrence_iter *step, *late;
			struct recurrence_occurrence a, b;
			assert_int_equal(recurrence_iter_new(r, r->start, &step, &err), 0);
			assert_int_equal(recurrence_iter_new(r, froms[k], &late, &err), 0);
			bool more_a;
			while ((more_a = recurrence_iter_next(step, &a)) && a.start < froms[k])
				;
			for (int n = 0; n < 20; n++) {
				bool more_b = recurrence_iter_next(late, &b);
				assert_int_equal(more_a, more_b);
				if (!more_a)
					break;
				assert_int_equal(a.start, b.start);
				assert_string_equal(a.id, b.id);
				more_a = recurrence_iter_next(step, &a);
			}
			recurrence_iter_free(step);
			recurrence_iter_free(late);
		}
		free(r);
		gl_buf_free(&body);
	}
}

/* recurrence_check's answer for a rule: "" if accepted, else its message. */
static const char *check_rule(const char *start, const char *rrule, const char *ex0,
                              const char *ex1, struct gl_error *err)
{
	struct gl_buf body = { 0 };
	pack_body(&body, &(struct ev){ .start = start, .rrule = rrule, .exdates = { ex0, ex1 } });
	memset(err, 0, sizeof *err);
	int rc = recurrence_check(body.data, body.len, err);
	gl_buf_free(&body);
	assert_true(rc == 0 || rc == GL_ESCHEMA);
	assert_int_equal(rc == 0, err->msg[0] == '\0');
	return err->msg;
}

static void test_bad_rules(void **state)
{
	(void)state;
	static const struct {
		const char *start, *rrule, *ex0, *ex1, *want;
	} cases[] = {
		/* the sample's rules pass, with their exdates (one written in UTC) */
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20271220T230000Z",
		  "2027-03-29T09:00:00+02:00", "2027-05-17T07:00:00Z", "" },
		{ "2027-02-10T14:00:00+01:00", "FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630T215959Z", NULL,
		  NULL, "" },
		{ "2027-03-18T18:00:00+01:00", "FREQ=MONTHLY;INTERVAL=3;BYDAY=3TH;COUNT=4", NULL, NULL,
		  "" },
		{ "2027-03-13T10:00:00+01:00", "FREQ=MONTHLY;INTERVAL=6;BYDAY=2SA;COUNT=2", NULL, NULL,
		  "" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;BYDAY=MO;BYDAY=TU", NULL, NULL,
		  "/recurrence/rrule: BYDAY is given twice" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;COUNT=3;UNTIL=20270201T000000Z", NULL, NULL,
		  "/recurrence/rrule: COUNT and UNTIL together" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;UNTIL=20270201;COUNT=3", NULL, NULL,
		  "/recurrence/rrule: COUNT and UNTIL together" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;INTERVAL=0", NULL, NULL,
		  "/recurrence/rrule: libical cannot read" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;BYHOUR=9", NULL, NULL,
		  "/recurrence/rrule: \"BYHOUR\" is not a part gilde reads" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;BYMONTHDAY=3", NULL, NULL,
		  "/recurrence/rrule: libical cannot expand" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=MONTHLY;BYSETPOS=2", NULL, NULL,
		  "/recurrence/rrule: libical cannot expand" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", NULL, NULL,
		  "/recurrence/rrule: libical cannot expand" },
		{ "2027-01-05T09:00:00+01:00", "FREQ=WEEKLY;BYDAY=2TU", NULL, NULL,
		  "/recurrence/rrule: a BYDAY with a number" },
		{ "2027-01-11T09:00:00+01:00", "FREQ=DAILY;BYDAY=2MO", NULL, NULL,
		  "/recurrence/rrule: a BYDAY with a number" },
		{ "2027-01-05T09:00:00+01:00", "FREQ=WEEKLY;BYDAY=MO", NULL, NULL,
		  "/recurrence/rrule: its first occurrence is 2027-01-11T09:00:00+01:00, not the "
		  "event's start 2027-01-05T09:00:00+01:00" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;UNTIL=20261231", NULL, NULL,
		  "/recurrence/rrule: UNTIL is before the event's start" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;BYDAY=MO", "2027-03-22T09:00:00+01:00",
		  "2027-03-29T09:00:00+01:00",
		  "/recurrence/exdates/1: 2027-03-29T10:00:00+02:00 is not an occurrence" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=WEEKLY;COUNT=3", "2027-01-25T09:00:00+01:00", NULL,
		  "/recurrence/exdates/0: 2027-01-25T09:00:00+01:00 is not an occurrence" },
		{ "2027-01-04T09:00:00+01:00", "FREQ=DAILY", "2055-01-04T09:00:00+01:00", NULL,
		  "/recurrence/exdates/0: more than 10000 occurrences" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct gl_error err;
		const char *got = check_rule(cases[i].start, cases[i].rrule, cases[i].ex0, cases[i].ex1,
		                             &err);
		if (strncmp(got, cases[i].want, strlen(cases[i].want)) || (!*cases[i].want && *got))
			fail_msg("%s: \"%s\", want \"%s\"", cases[i].rrule, got, cases[i].want);
	}
	/* a body without "recurrence" passes; a recurring one needs its start */
	struct gl_error err = { 0 };
	assert_string_equal(check_rule("2027-01-04T09:00:00+01:00", NULL, NULL, NULL, &err), "");
	assert_string_equal(check_rule(NULL, "FREQ=WEEKLY", NULL, NULL, &err),
	                    "/start: a recurring event needs its start, an RFC 3339 date-time");
}

/* A record a person publishes is refused with the file and the field named. */
static void test_publish_refuses(void **state)
{
	(void)state;
	struct schema_set *set;
	struct gl_error err = { 0 };
	assert_int_equal(schema_set_load(&set, &err), 0);
	const char *fmt = "{\"kind\": \"event\", \"id\": \"x\", \"name\": {\"nl\": \"X\", \"en\": \"X\"}, "
	                  "\"description\": {\"nl\": \"X\", \"en\": \"X\"}, \"url\": \"https://example.org/\", "
	                  "\"start\": \"2027-01-04T09:00:00+01:00\", \"recurrence\": {\"rrule\": "
	                  "\"%s\"}}";
	char text[512];
	struct doc d;
	snprintf(text, sizeof text, fmt, "FREQ=WEEKLY;COUNT=3;UNTIL=20270201T000000Z");
	assert_int_equal(doc_parse(set, text, strlen(text), "x.json", &d, &err), GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "x.json: /recurrence/rrule: COUNT and UNTIL together"));
	snprintf(text, sizeof text, fmt, "FREQ=WEEKLY;BYDAY=MO;COUNT=3");
	assert_int_equal(doc_parse(set, text, strlen(text), "x.json", &d, &err), 0);
	/* and a peer's record is checked by the same code */
	assert_int_equal(doc_check_body(set, RK_EVENT, d.id, strlen(d.id), d.body.data, d.body.len,
	                                &err), 0);
	doc_free(&d);
	struct gl_buf body = { 0 };
	msgpack_packer p;
	tu_packer(&p, &body);
	msgpack_pack_map(&p, 5);
	const char *langmap[] = { "name", "description" };
	for (int i = 0; i < 2; i++) {
		tu_str(&p, langmap[i]);
		msgpack_pack_map(&p, 2);
		tu_str(&p, "nl");
		tu_str(&p, "X");
		tu_str(&p, "en");
		tu_str(&p, "X");
	}
	tu_str(&p, "url");
	tu_str(&p, "https://example.org/");
	tu_str(&p, "start");
	tu_str(&p, "2027-01-04T09:00:00+01:00");
	tu_str(&p, "recurrence");
	msgpack_pack_map(&p, 1);
	tu_str(&p, "rrule");
	tu_str(&p, "FREQ=WEEKLY;BYDAY=MO;BYDAY=MO");
	assert_int_equal(doc_check_body(set, RK_EVENT, "x", 1, body.data, body.len, &err),
	                 GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "event/x: /recurrence/rrule: BYDAY is given twice"));
	gl_buf_free(&body);
	schema_set_free(set);
}

/* A store whose index held a recurring event among the one-offs (before the
 * recurring section) is mended at the first write open. */
static void test_upgrade(void **state)
{
	(void)state;
	struct store *s = open_store("upgrade");
	put(s, sk, &spreekuur);
	store_close(s);
	/* put it back where an older gilded kept it: the key without the section bit */
	char path[128];
	snprintf(path, sizeof path, "%s/upgrade", dir);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi events, meta;
	MDB_cursor *c;
	MDB_val k, v, mk = { .mv_size = 10, .mv_data = "eventindex" };
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 1 << 24), 0);
	assert_int_equal(mdb_env_open(env, path, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "events", 0, &events), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_cursor_open(txn, events, &c), 0);
	assert_int_equal(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
	uint8_t key[256];
	size_t kl = k.mv_size;
	memcpy(key, k.mv_data, kl);
	mdb_cursor_close(c);
	assert_true(key[0] & 0x80); /* the recurring section */
	assert_int_equal(mdb_del(txn, events, &k, NULL), 0);
	key[0] &= 0x7f;
	k = (MDB_val){ .mv_size = kl, .mv_data = key };
	assert_int_equal(mdb_put(txn, events, &k, &(MDB_val){ 0, "" }, 0), 0);
	assert_int_equal(mdb_del(txn, meta, &mk, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	/* read-only, before a write open: a one-off, as the caveat says */
	assert_int_equal(store_open(path, STORE_RDONLY, 1 << 24, &s, NULL), 0);
	struct seen sn;
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "spreekuur");
	store_close(s);
	s = open_store("upgrade");
	assert_string_equal(ids_in(s, 0, EVENTS_OPEN_END, &sn), "");
	assert_int_equal(index_count(s), 1);
	struct occs *oc = all_in(s, at("2027-12-01"), EVENTS_OPEN_END);
	assert_string_equal(oc->text, "spreekuur@20271206T090000 spreekuur@20271213T090000 "
	                              "spreekuur@20271220T090000");
	free(oc);
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
		cmocka_unit_test(test_recurring_index),
		cmocka_unit_test(test_dst),
		cmocka_unit_test(test_exdate),
		cmocka_unit_test(test_count_until),
		cmocka_unit_test(test_bysetpos),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_enter_late),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_publish_refuses),
		cmocka_unit_test(test_upgrade),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
