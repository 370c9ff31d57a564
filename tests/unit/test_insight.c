/* Unit tests: progress events (store/progress.c, query/insight.c), their
 * figures (query/trajectory.c), the release that suppresses them
 * (query/release.c) and the gaps weighed by demand (query/gaps.c). */
#include "testutil.h"

#include <jansson.h>

#include "proto/clock.h"
#include "proto/ident.h"
#include "proto/record.h"
#include "schemas/jsonmp.h"
#include "query/gaps.h"
#include "query/insight.h"
#include "query/release.h"
#include "query/trajectory.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
#include "store/progress.h"
#include "store/store.h"

#define K 10
/* 2026-03-11, a Wednesday of week 2026-W11 */
#define NOW 1773223200ull

static char dir[64];
static struct schema_set *set;
static struct taxonomy *tax;
static struct progress *pg;
static unsigned opened;

static int setup(void **state)
{
	(void)state;
	if (tu_tmpdir(dir, "insight") || schema_set_load(&set, NULL) || taxonomy_load(set, &tax, NULL))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	taxonomy_free(tax);
	schema_set_free(set);
	return tu_rmtree(dir);
}

/* A fresh, empty environment for one test. */
static int fresh(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/p%u", dir, opened++);
	return progress_open(path, false, &pg, NULL);
}

static int close_it(void **state)
{
	(void)state;
	progress_close(pg);
	pg = NULL;
	return 0;
}

static const char *week_now(void)
{
	static char w[INSIGHT_WEEK_TEXT];
	insight_week_format(insight_week_of(NOW), w);
	return w;
}

/* A token made from a number: 22 characters of base64url. */
static const char *token(unsigned n)
{
	static char t[INSIGHT_TOKEN_LEN + 1];
	snprintf(t, sizeof t, "tok%019u", n);
	return t;
}

/* Take and keep an event: JSON text with %s for the token and the week. */
static int put_event_at(unsigned tok, const char *bucket, const char *step, const char *need,
                   const char *extra, uint32_t week)
{
	char text[1024], w[INSIGHT_WEEK_TEXT];
	insight_week_format(week, w);
	snprintf(text, sizeof text, "{\"token\":\"%s\",\"week\":\"%s\",\"bucket\":%s,\"step\":\"%s\","
	         "\"need\":\"%s\"%s}", token(tok), w, bucket, step, need, extra ? extra : "");
	struct insight_taken tk;
	struct gl_error err = { 0 };
	/* taken as if sent in that week */
	int rc = insight_take(set, text, strlen(text), (uint64_t)week * 7 * 86400, &tk, &err);
	if (rc) {
		print_error("%s\n", err.msg);
		return rc;
	}
	struct progress_txn *t;
	bool added;
	assert_int_equal(progress_begin(pg, true, &t, NULL), 0);
	rc = progress_add(t, tk.tokhash, tk.week, tk.val, tk.vlen, &added, &err);
	free(tk.val);
	if (rc) {
		progress_abort(t);
		return rc;
	}
	assert_int_equal(progress_commit(t, NULL), 0);
	return added ? 0 : 1;
}

static int put_event(unsigned tok, const char *bucket, const char *step, const char *need,
                const char *extra)
{
	return put_event_at(tok, bucket, step, need, extra, insight_week_of(NOW));
}

#define SHOP "{\"phase\":\"prestart\",\"sector\":\"retail\",\"activity\":\"shop\"," \
             "\"student\":false,\"international\":false,\"side_activity\":false}"
#define SHOP_STUDENT "{\"phase\":\"prestart\",\"sector\":\"retail\",\"activity\":\"shop\"," \
                     "\"student\":true,\"international\":false,\"side_activity\":false}"
#define SERVICES "{\"phase\":\"prestart\",\"sector\":\"retail\",\"activity\":\"services\"}"
#define PARTNER ",\"partner\":{\"author\":\"ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"," \
                "\"id\":\"stad-gent\"}"

/* ---- weeks and tokens ---------------------------------------------------------- */

static void test_weeks(void **state)
{
	(void)state;
	char w[INSIGHT_WEEK_TEXT];
	int64_t t;
	struct { const char *day, *week; } cases[] = {
		{ "2026-01-01", "2026-W01" }, /* a Thursday */
		{ "2026-03-11", "2026-W11" },
		{ "2027-01-01", "2026-W53" }, /* 2026 has 53 weeks */
		{ "2021-01-03", "2020-W53" }, /* a Sunday */
		{ "2021-01-04", "2021-W01" }, /* the Monday after */
		{ "2024-12-30", "2025-W01" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(clock_parse(cases[i].day, &t), 0);
		insight_week_format(insight_week_of((uint64_t)t), w);
		assert_string_equal(w, cases[i].week);
		uint32_t n;
		assert_int_equal(insight_week_parse(cases[i].week, &n), 0);
		assert_int_equal(n, insight_week_of((uint64_t)t));
	}
	uint32_t n;
	assert_int_equal(insight_week_parse("2025-W53", &n), GL_EFORMAT); /* 52 weeks */
	assert_int_equal(insight_week_parse("2026-W00", &n), GL_EFORMAT);
	assert_int_equal(insight_week_parse("2026-11", &n), GL_EFORMAT);
	assert_int_equal(insight_week_parse("2026-W1x", &n), GL_EFORMAT);
	/* every week of twenty years reads back as itself, one after another */
	for (uint32_t k = 2700; k < 2700 + 52 * 20; k++) {
		insight_week_format(k, w);
		assert_int_equal(insight_week_parse(w, &n), 0);
		assert_int_equal(n, k);
	}
}

static void test_tokens(void **state)
{
	(void)state;
	uint8_t a[PROGRESS_TOKHASH_LEN], b[PROGRESS_TOKHASH_LEN];
	assert_int_equal(insight_token_hash("abcdefghijklmnopqrstu-", a), 0);
	assert_int_equal(insight_token_hash("abcdefghijklmnopqrstu_", b), 0);
	assert_memory_not_equal(a, b, sizeof a);
	assert_int_equal(insight_token_hash("abcdefghijklmnopqrstu", a), GL_EFORMAT);   /* 21 */
	assert_int_equal(insight_token_hash("abcdefghijklmnopqrstu=", a), GL_EFORMAT);
	assert_int_equal(insight_token_hash(NULL, a), GL_EFORMAT);
}

/* ---- taking an event: only the fields of the schema, never the token -------------- */

static int take(const char *text, struct insight_taken *tk, struct gl_error *err)
{
	return insight_take(set, text, strlen(text), NOW, tk, err);
}

static void test_take(void **state)
{
	(void)state;
	char text[1400];
	struct insight_taken tk;
	struct gl_error err = { 0 };
	snprintf(text, sizeof text, "{\"token\":\"%s\",\"week\":\"%s\",\"bucket\":" SHOP ","
	         "\"step\":\"chosen\",\"need\":\"administration\"" PARTNER "}", token(1), week_now());
	assert_int_equal(take(text, &tk, &err), 0);
	assert_null(strstr(tk.val, token(1)));
	assert_null(strstr(tk.val, "token"));
	assert_null(strstr(tk.val, "week"));
	assert_non_null(strstr(tk.val, "\"step\":\"chosen\""));
	assert_true(tk.has_partner);
	assert_string_equal(tk.partner_id, "stad-gent");
	assert_int_equal(tk.week, insight_week_of(NOW));
	free(tk.val);
	/* a field the schema does not name is refused, not dropped */
	static const char *const extras[] = { ",\"ip\":\"192.0.2.1\"", ",\"time\":\"12:00\"",
	                                      ",\"user_agent\":\"x\"", ",\"name\":\"An\"" };
	for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
		snprintf(text, sizeof text, "{\"token\":\"%s\",\"week\":\"%s\",\"bucket\":" SHOP ","
		         "\"step\":\"listed\",\"need\":\"administration\"%s}", token(1), week_now(),
		         extras[i]);
		assert_int_equal(take(text, &tk, &err), GL_ESCHEMA);
	}
	snprintf(text, sizeof text, "{\"token\":\"%s\",\"week\":\"%s\",\"bucket\":{\"phase\":"
	         "\"prestart\",\"email\":\"a@b.be\"},\"step\":\"listed\",\"need\":\"legal\"}",
	         token(1), week_now());
	assert_int_equal(take(text, &tk, &err), GL_ESCHEMA);
	/* a chosen step names its partner, and only it does */
	snprintf(text, sizeof text, "{\"token\":\"%s\",\"week\":\"%s\",\"bucket\":" SHOP ","
	         "\"step\":\"chosen\",\"need\":\"legal\"}", token(1), week_now());
	assert_int_equal(take(text, &tk, &err), GL_ESCHEMA);
	snprintf(text, sizeof text, "{\"token\":\"%s\",\"week\":\"%s\",\"bucket\":" SHOP ","
	         "\"step\":\"done\",\"need\":\"legal\"" PARTNER "}", token(1), week_now());
	assert_int_equal(take(text, &tk, &err), GL_ESCHEMA);
	/* a week two away from the node's */
	char far[INSIGHT_WEEK_TEXT];
	insight_week_format(insight_week_of(NOW) + 2, far);
	snprintf(text, sizeof text, "{\"token\":\"%s\",\"week\":\"%s\",\"bucket\":" SHOP ","
	         "\"step\":\"done\",\"need\":\"legal\"}", token(1), far);
	assert_int_equal(take(text, &tk, &err), GL_ETIME);
	/* unknown terms, a bad token, not JSON, too long */
	snprintf(text, sizeof text, "{\"token\":\"%s\",\"week\":\"%s\",\"bucket\":{\"phase\":\"later\"},"
	         "\"step\":\"done\",\"need\":\"legal\"}", token(1), week_now());
	assert_int_equal(take(text, &tk, &err), GL_ESCHEMA);
	snprintf(text, sizeof text, "{\"token\":\"short\",\"week\":\"%s\",\"bucket\":" SHOP ","
	         "\"step\":\"done\",\"need\":\"legal\"}", week_now());
	assert_int_equal(take(text, &tk, &err), GL_ESCHEMA);
	assert_int_equal(take("{\"token\":", &tk, &err), GL_EJSON);
	memset(text, ' ', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	text[0] = '{';
	text[sizeof text - 2] = '}';
	assert_int_equal(take(text, &tk, &err), GL_ELIMIT);
}

/* ---- the store ------------------------------------------------------------------- */

struct seen {
	unsigned n;
	uint32_t last_seq;
	bool ordered;
};

static int count_visit(void *ctx, const struct progress_event *e)
{
	struct seen *s = ctx;
	s->ordered = s->ordered && (s->n == 0 || e->seq > s->last_seq);
	s->last_seq = e->seq;
	s->n++;
	return 0;
}

static unsigned events_of(unsigned tok)
{
	uint8_t h[PROGRESS_TOKHASH_LEN];
	insight_token_hash(token(tok), h);
	struct progress_txn *t;
	struct seen s = { .ordered = true };
	assert_int_equal(progress_begin(pg, false, &t, NULL), 0);
	assert_int_equal(progress_scan_token(t, h, count_visit, &s, NULL), 0);
	progress_abort(t);
	assert_true(s.ordered);
	return s.n;
}

static void test_store(void **state)
{
	(void)state;
	assert_int_equal(put_event(1, SHOP, "listed", "administration", NULL), 0);
	assert_int_equal(put_event(1, SHOP, "listed", "administration", NULL), 1); /* held already */
	assert_int_equal(put_event(1, SHOP, "done", "administration", NULL), 0);
	assert_int_equal(put_event(2, SHOP, "listed", "legal", NULL), 0);
	assert_int_equal(events_of(1), 2);
	assert_int_equal(events_of(2), 1);
	/* withdrawn: that token's events, and no other's */
	uint8_t h[PROGRESS_TOKHASH_LEN];
	insight_token_hash(token(1), h);
	struct progress_txn *t;
	unsigned removed;
	assert_int_equal(progress_begin(pg, true, &t, NULL), 0);
	assert_int_equal(progress_delete_token(t, h, &removed, NULL), 0);
	assert_int_equal(progress_commit(t, NULL), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(events_of(1), 0);
	assert_int_equal(events_of(2), 1);
	/* expiry by week: an event of three weeks ago goes, this week's stays */
	uint32_t now = insight_week_of(NOW);
	assert_int_equal(put_event_at(3, SHOP, "listed", "legal", NULL, now - 3), 0);
	assert_int_equal(events_of(3), 1);
	assert_int_equal(progress_begin(pg, true, &t, NULL), 0);
	assert_int_equal(progress_expire(t, now - 1, 1000, &removed, NULL), 0);
	uint64_t left;
	assert_int_equal(progress_count(t, &left, NULL), 0);
	assert_int_equal(progress_commit(t, NULL), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(left, 1);
	assert_int_equal(events_of(3), 0);
	assert_int_equal(events_of(2), 1);
}

static void test_token_cap(void **state)
{
	(void)state;
	uint8_t h[PROGRESS_TOKHASH_LEN];
	insight_token_hash(token(9), h);
	struct progress_txn *t;
	bool added;
	struct gl_error err = { 0 };
	assert_int_equal(progress_begin(pg, true, &t, NULL), 0);
	for (int i = 0; i < PROGRESS_TOKEN_EVENTS_MAX; i++) {
		char v[32];
		snprintf(v, sizeof v, "{\"n\":%d}", i);
		assert_int_equal(progress_add(t, h, 1, v, strlen(v), &added, NULL), 0);
		assert_true(added);
	}
	assert_int_equal(progress_add(t, h, 1, "{\"n\":-1}", 8, &added, &err), GL_ELIMIT);
	assert_int_equal(progress_add(t, h, 1, "", 0, &added, &err), GL_EINVAL);
	progress_abort(t);
}

/* ---- figures, partition, suppression -------------------------------------------------- */

static struct figures count(void)
{
	struct progress_txn *t;
	struct figures f;
	assert_int_equal(progress_begin(pg, false, &t, NULL), 0);
	assert_int_equal(trajectory_count(t, tax, K, insight_week_of(NOW), &f, NULL), 0);
	progress_abort(t);
	return f;
}

static uint32_t figure(const struct figures *f, const char *bucket, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].bucket, bucket) && !strcmp(f->v[i].key, key))
			return f->v[i].n;
	return 0;
}

/* The release's count for a bucket and a field (a need row's step when
 * need is given); -1 if it shows none. */
static json_int_t shown(const json_t *rel, const char *bucket, const char *need, const char *field)
{
	size_t i, j;
	json_t *b, *r;
	json_array_foreach(json_object_get(rel, "buckets"), i, b) {
		if (strcmp(json_string_value(json_object_get(b, "id")), bucket))
			continue;
		if (!need)
			return json_is_integer(json_object_get(b, field))
			       ? json_integer_value(json_object_get(b, field)) : -1;
		json_array_foreach(json_object_get(b, "needs"), j, r)
			if (!strcmp(json_string_value(json_object_get(r, "need")), need))
				return json_is_integer(json_object_get(r, field))
				       ? json_integer_value(json_object_get(r, field)) : -1;
	}
	return -1;
}

static json_t *release(const json_t *prev)
{
	struct figures f = count();
	json_t *r = release_make(prev, &f, tax, K, insight_week_of(NOW));
	figures_free(&f);
	return r;
}

static void test_below_k(void **state)
{
	(void)state;
	for (unsigned i = 0; i < K - 1; i++)
		assert_int_equal(put_event(100 + i, SHOP, "listed", "administration", NULL), 0);
	struct figures f = count();
	assert_int_equal(f.tokens, K - 1);
	assert_int_equal(f.outside, K - 1); /* nine starters make no bucket at any level */
	figures_free(&f);
	json_t *r = release(NULL);
	assert_int_equal(json_array_size(json_object_get(r, "buckets")), 0);
	json_decref(r);
	/* the tenth makes one, and every figure in it counts ten */
	assert_int_equal(put_event(100 + K - 1, SHOP, "listed", "administration", NULL), 0);
	assert_int_equal(put_event(100, SHOP, "done", "administration", NULL), 0);
	r = release(NULL);
	assert_int_equal(shown(r, "prestart.retail.shop.nnm", NULL, "starters"), K);
	assert_int_equal(shown(r, "prestart.retail.shop.nnm", "administration", "listed"), K);
	assert_int_equal(shown(r, "prestart.retail.shop.nnm", "administration", "done"), -1); /* 1 < k */
	char *text = json_dumps(r, 0);
	assert_null(strstr(text, "\"done\""));
	free(text);
	json_decref(r);
}

static void test_partition(void **state)
{
	(void)state;
	/* 12 at level 4; 6 other students and 5 of another activity: together 11
	 * at level 2; 3 of another phase, outside every bucket */
	for (unsigned i = 0; i < 12; i++)
		put_event(200 + i, SHOP, "listed", "location-shop", NULL);
	for (unsigned i = 0; i < 6; i++)
		put_event(300 + i, SHOP_STUDENT, "listed", "location-shop", NULL);
	for (unsigned i = 0; i < 5; i++)
		put_event(400 + i, SERVICES, "listed", "location-shop", NULL);
	for (unsigned i = 0; i < 3; i++)
		put_event(500 + i, "{\"phase\":\"growth\"}", "listed", "location-shop", NULL);
	struct figures f = count();
	assert_int_equal(figure(&f, "prestart.retail.shop.nnm", "starters"), 12);
	assert_int_equal(figure(&f, "prestart.retail", "starters"), 11);
	assert_int_equal(figure(&f, "prestart.retail.shop", "starters"), 0); /* 6 < k */
	assert_int_equal(figure(&f, "prestart", "starters"), 0);
	assert_int_equal(figure(&f, "all", "starters"), 0);                 /* 3 < k */
	assert_int_equal(f.tokens, 26);
	assert_int_equal(f.outside, 3);
	/* disjoint: the level-2 bucket does not hold the level-4 one */
	assert_int_equal(figure(&f, "prestart.retail", "need/location-shop/listed"), 11);
	figures_free(&f);
	json_t *fields = trajectory_bucket_fields(tax, "prestart.retail.shop.yns");
	assert_int_equal(json_integer_value(json_object_get(fields, "level")), 4);
	assert_true(json_is_true(json_object_get(fields, "student")));
	assert_true(json_is_false(json_object_get(fields, "international")));
	assert_true(json_is_true(json_object_get(fields, "side_activity")));
	json_decref(fields);
	fields = trajectory_bucket_fields(tax, "idea.u.u.uuu");
	assert_int_equal(json_integer_value(json_object_get(fields, "level")), 4);
	assert_null(json_object_get(fields, "sector"));
	assert_null(json_object_get(fields, "student"));
	json_decref(fields);
	assert_null(trajectory_bucket_fields(tax, "later"));
	assert_null(trajectory_bucket_fields(tax, "u.retail"));
	assert_null(trajectory_bucket_fields(tax, "prestart.retail.shop.nnm.x"));
}

/* The same question before and after one event gets the same answer; a
 * figure moves only once k starters moved it. */
static void test_differencing_in_time(void **state)
{
	(void)state;
	const char *b = "prestart.retail.shop.nnm";
	for (unsigned i = 0; i < K; i++)
		put_event(600 + i, SHOP, "listed", "financing-loan", NULL);
	json_t *r1 = release(NULL);
	assert_int_equal(shown(r1, b, NULL, "starters"), K);
	/* one more starter, and one who says nothing fits */
	put_event(600 + K, SHOP, "listed", "financing-loan", NULL);
	put_event(600, SHOP, "nofit", "financing-loan", NULL);
	json_t *r2 = release(r1);
	/* not even the release's number moves: it would tell that events came */
	assert_int_equal(json_integer_value(json_object_get(r2, "release")), 1);
	json_t *b1 = json_deep_copy(json_object_get(r1, "buckets")), *b2 = json_object_get(r2, "buckets");
	assert_true(json_equal(b1, b2));
	/* a starter withdraws: still the same answer */
	uint8_t h[PROGRESS_TOKHASH_LEN];
	insight_token_hash(token(601), h);
	struct progress_txn *t;
	unsigned removed;
	assert_int_equal(progress_begin(pg, true, &t, NULL), 0);
	assert_int_equal(progress_delete_token(t, h, &removed, NULL), 0);
	assert_int_equal(progress_commit(t, NULL), 0);
	json_t *r3 = release(r2);
	assert_true(json_equal(b1, json_object_get(r3, "buckets")));
	/* k - 1 more: still nothing; the k-th moves it to what is live */
	for (unsigned i = 0; i < K - 1; i++)
		put_event(700 + i, SHOP, "listed", "financing-loan", NULL);
	json_t *r4 = release(r3);
	assert_true(json_equal(b1, json_object_get(r4, "buckets")));
	put_event(700 + K - 1, SHOP, "listed", "financing-loan", NULL);
	put_event(700 + K, SHOP, "listed", "financing-loan", NULL);
	json_t *r5 = release(r4);
	assert_int_equal(shown(r5, b, NULL, "starters"), 2 * K + 1);
	assert_int_equal(json_integer_value(json_object_get(r5, "release")), 2);
	assert_int_equal(shown(r5, b, "financing-loan", "listed"), 2 * K + 1);
	/* and back down: k starters gone makes the figure follow */
	for (unsigned i = 0; i < K + 1; i++) {
		insight_token_hash(token(700 + i), h);
		assert_int_equal(progress_begin(pg, true, &t, NULL), 0);
		assert_int_equal(progress_delete_token(t, h, &removed, NULL), 0);
		assert_int_equal(progress_commit(t, NULL), 0);
	}
	json_t *r6 = release(r5);
	assert_int_equal(shown(r6, b, NULL, "starters"), K);
	json_decref(b1);
	for (json_t **r = (json_t *[]){ r1, r2, r3, r4, r5, r6, NULL }; *r; r++)
		json_decref(*r);
}

/* A bucket and its sub-bucket: the coarser one never holds the finer one's
 * starters, so their difference is no group of starters; a figure for a
 * coarser cell (the gaps) is the sum of shown figures only. */
/* A new directory store NAME under dir, and a transaction in it. */
static struct store *open_store(const char *name, bool write, struct store_txn **t)
{
	struct store *s;
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	assert_int_equal(store_begin(s, write, t, NULL), 0);
	return s;
}

static void test_differencing_nested(void **state)
{
	(void)state;
	uint32_t now = insight_week_of(NOW);
	/* 12 shop starters found no shop premises (listed five weeks ago, nothing chosen) */
	for (unsigned i = 0; i < 12; i++)
		put_event_at(800 + i, SHOP, "listed", "location-shop", NULL, now - 5);
	/* 9 students too: a group under k, in no bucket of its own */
	for (unsigned i = 0; i < 9; i++)
		put_event_at(900 + i, SHOP_STUDENT, "listed", "location-shop", NULL, now - 5);
	json_t *r = release(NULL);
	assert_int_equal(shown(r, "prestart.retail.shop.nnm", "location-shop", "unmet"), 12);
	assert_int_equal(shown(r, "prestart.retail.shop.nnm", NULL, "starters"), 12);
	/* the nine reach no bucket: not at level 3 (9), 2, 1 or 0 (still 9) */
	assert_int_equal(json_array_size(json_object_get(r, "buckets")), 1);
	json_t *rel = json_deep_copy(r);
	json_object_set_new(rel, "from", json_string("this node"));
	struct store_txn *t;
	struct store *s = open_store("gaps-store", false, &t);
	json_t *g;
	assert_int_equal(gaps_run_demand(t, tax, false, NOW, rel, &g, NULL), 0);
	json_t *first = json_array_get(json_object_get(g, "gaps"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "need")), "location-shop");
	assert_string_equal(json_string_value(json_object_get(first, "phase")), "prestart");
	assert_int_equal(json_integer_value(json_object_get(first, "unmet")), 12); /* not 21 */
	assert_int_equal(json_array_size(json_object_get(g, "unmet")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(g, "demand"), "starters")), 12);
	json_decref(g);
	/* by sector: the same cell of retail */
	assert_int_equal(gaps_run_demand(t, tax, true, NOW, rel, &g, NULL), 0);
	first = json_array_get(json_object_get(g, "unmet"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "sector")), "retail");
	assert_int_equal(json_integer_value(json_object_get(first, "unmet")), 12);
	json_decref(g);
	/* a member's release whose buckets leave out the sector, the phase or
	 * the need (insight.schema.json: each optional): counted nowhere, by
	 * sector or not, and no crash (a NULL id went to strcmp) */
	json_t *odd = json_pack("{s:s, s:[{s:i, s:[{s:s, s:i}]}, {s:s, s:i, s:[{s:s, s:i}]},"
	                        " {s:s, s:s, s:i, s:[{s:i}]}]}",
	                        "from", "a member", "buckets",
	                        "starters", 20, "needs", "need", "location-shop", "unmet", 20,
	                        "phase", "prestart", "starters", 20, "needs", "need", "location-shop",
	                        "unmet", 20,
	                        "phase", "prestart", "sector", "retail", "starters", 20, "needs",
	                        "unmet", 20);
	assert_int_equal(gaps_run_demand(t, tax, false, NOW, odd, &g, NULL), 0);
	first = json_array_get(json_object_get(g, "unmet"), 0);
	assert_int_equal(json_integer_value(json_object_get(first, "unmet")), 20); /* the phase's */
	json_decref(g);
	assert_int_equal(gaps_run_demand(t, tax, true, NOW, odd, &g, NULL), 0);
	assert_int_equal(json_array_size(json_object_get(g, "unmet")), 0);
	json_decref(g);
	json_decref(odd);
	/* without a release: today's answer, unchanged */
	json_t *plain, *none;
	assert_int_equal(gaps_run(t, tax, false, NOW, &plain, NULL), 0);
	assert_int_equal(gaps_run_demand(t, tax, false, NOW, NULL, &none, NULL), 0);
	assert_true(json_equal(plain, none));
	assert_null(json_object_get(none, "demand"));
	json_decref(plain);
	json_decref(none);
	store_abort(t);
	store_close(s);
	json_decref(rel);
	json_decref(r);
}

static void test_orders_and_partners(void **state)
{
	(void)state;
	uint32_t now = insight_week_of(NOW);
	const char *b = "prestart.retail.shop.nnm";
	for (unsigned i = 0; i < 11; i++) {
		unsigned tok = 1000 + i;
		put_event_at(tok, SHOP, "listed", "administration", NULL, now - 6);
		put_event_at(tok, SHOP, "chosen", "administration", PARTNER, now - 6);
		put_event_at(tok, SHOP, "done", "administration", NULL, now - 6 + (i % 3));
		put_event_at(tok, SHOP, "done", "financing-loan", NULL, now - 6 + (i % 3) + 2);
	}
	json_t *r = release(NULL);
	json_t *bucket = NULL, *x;
	size_t i;
	json_array_foreach(json_object_get(r, "buckets"), i, x)
		if (!strcmp(json_string_value(json_object_get(x, "id")), b))
			bucket = x;
	assert_non_null(bucket);
	json_t *order = json_array_get(json_object_get(bucket, "orders"), 0);
	assert_int_equal(json_integer_value(json_object_get(order, "starters")), 11);
	assert_string_equal(json_string_value(json_array_get(json_object_get(order, "steps"), 0)),
	                    "administration");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(order, "weeks"), 0)), 2);
	json_t *p = json_array_get(json_object_get(bucket, "partners"), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "starters")), 11);
	assert_string_equal(json_string_value(json_object_get(p, "partner")), "stad-gent");
	/* the record bodies pass the insight schema, and a count of 3 does not */
	json_t *bodies = release_bodies(r), *one;
	json_array_foreach(bodies, i, one) {
		json_t *doc = json_deep_copy(json_object_get(one, "body"));
		json_object_set_new(doc, "kind", json_string("insight"));
		json_object_set(doc, "id", json_object_get(one, "id"));
		struct gl_error err = { 0 };
		if (schema_validate_json(set, "insight.schema.json", doc, "insight", &err))
			fail_msg("%s", err.msg);
		json_object_set_new(doc, "starters", json_integer(3));
		assert_int_equal(schema_validate_json(set, "insight.schema.json", doc, "insight", &err),
		                 GL_ESCHEMA);
		json_decref(doc);
	}
	json_decref(bodies);
	/* the release reads back as the figures it shows */
	struct figures back;
	release_figures(r, &back);
	assert_int_equal(figure(&back, b, "starters"), 11);
	assert_int_equal(figure(&back, b, "order/administration,financing-loan"), 11);
	figures_free(&back);
	json_decref(r);
}

/* Put an insight record of author sk with the body JSON text into t. */
/* Returns the length of the record's envelope. */
static size_t put_insight_at(struct store_txn *t, const uint8_t sk[64], const char *id,
                             const char *body, uint64_t issued)
{
	json_t *doc = json_loads(body, 0, NULL);
	struct gl_buf mp = { 0 }, env = { 0 };
	assert_non_null(doc);
	assert_int_equal(jsonmp_pack(doc, NULL, &mp, NULL), 0);
	struct record_draft dr = { .kind = RK_INSIGHT, .id = id, .id_len = strlen(id),
	                           .version = 1, .issued = issued, .expires = issued + 86400,
	                           .body = mp.data, .body_len = mp.len };
	assert_int_equal(record_sign(&dr, sk, &env, NULL), 0);
	struct record r;
	enum store_outcome oc;
	assert_int_equal(record_open(env.data, env.len, &r, NULL), 0);
	assert_int_equal(store_put(t, &r, &oc, NULL), 0);
	size_t len = env.len;
	gl_buf_free(&mp);
	gl_buf_free(&env);
	json_decref(doc);
	return len;
}

static void put_insight(struct store_txn *t, const uint8_t sk[64], const char *id, const char *body)
{
	put_insight_at(t, sk, id, body, NOW);
}

/* A reader shows no record with a count under its own k, or a k under 5
 * (PROTOCOL.md 2.8): another node's bug or malice singles out no one. */
static void test_reader_refuses_small(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64], own[32], own_sk[64];
	tu_keypair(7, pk, sk);
	tu_keypair(8, own, own_sk);
	struct store_txn *t;
	struct store *s = open_store("reader-store", true, &t);
	put_insight(t, sk, "prestart", "{\"k\": 5, \"level\": 1, \"phase\": \"prestart\", "
	            "\"starters\": 6, \"needs\": [{\"need\": \"financing\", \"listed\": 5}]}");
	put_insight(t, sk, "start", "{\"k\": 10, \"level\": 1, \"phase\": \"start\", "
	            "\"starters\": 12, \"needs\": [{\"need\": \"financing\", \"nofit\": 6}]}");
	put_insight(t, sk, "idea", "{\"k\": 4, \"level\": 1, \"phase\": \"idea\", "
	            "\"starters\": 4}");
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	json_t *list;
	assert_int_equal(release_list(t, NULL, own, NULL, &list, NULL), 0);
	assert_int_equal(json_array_size(list), 1);
	json_t *buckets = json_object_get(json_array_get(list, 0), "buckets");
	assert_int_equal(json_array_size(buckets), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(buckets, 0), "id")),
	                    "prestart");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "k")), 5);
	json_decref(list);
	store_abort(t);
	store_close(s);
}

#define CAP_AUTHORS (RELEASE_AUTHORS_MAX + 3)
#define CAP_BIG (RELEASE_BUCKETS_MAX + 7)

/* An answer of release_list is bounded however many records the store
 * holds: RELEASE_AUTHORS_MAX releases, the newest, and RELEASE_BUCKETS_MAX
 * buckets of the one asked for, with "more" counting the rest. */
static void test_release_caps(void **state)
{
	(void)state;
	uint8_t pk[CAP_AUTHORS][32], sk[CAP_AUTHORS][64], own[32], own_sk[64];
	char id[32], from[CAP_AUTHORS][IDENT_TEXT_MAX];
	const char *body = "{\"k\": 5, \"level\": 1, \"phase\": \"prestart\", \"starters\": 6, "
	                   "\"needs\": [{\"need\": \"financing\", \"unmet\": 5}]}";
	tu_keypair(8, own, own_sk);
	struct store_txn *t;
	struct store *s = open_store("caps-store", true, &t);
	/* author a issued at NOW - a: author 0 the newest, with many buckets;
	 * the last author has one record breaking PROTOCOL.md 2.8 besides */
	for (int a = 0; a < CAP_AUTHORS; a++) {
		tu_keypair((uint8_t)(40 + a), pk[a], sk[a]);
		ident_format(IDENT_PK_PREFIX, pk[a], from[a]);
		for (int b = 0; b < (a ? 2 : CAP_BIG); b++) {
			snprintf(id, sizeof id, "b%04d", b);
			put_insight_at(t, sk[a], id, body, NOW - (uint64_t)a * 60);
		}
	}
	put_insight_at(t, sk[1], "bad", "{\"k\": 5, \"level\": 1, \"phase\": \"idea\", "
	               "\"starters\": 4}", NOW + 60);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	json_t *list, *r;
	assert_int_equal(release_list(t, NULL, own, NULL, &list, NULL), 0);
	assert_int_equal(json_array_size(list), RELEASE_AUTHORS_MAX);
	size_t i;
	json_array_foreach(list, i, r) {
		assert_string_equal(json_string_value(json_object_get(r, "from")), from[i]);
		json_t *b = json_object_get(r, "buckets");
		json_int_t more = json_integer_value(json_object_get(r, "more"));
		assert_int_equal(json_array_size(b), i ? 0 : RELEASE_BUCKETS_MAX);
		assert_int_equal(more, i ? 2 : CAP_BIG - RELEASE_BUCKETS_MAX);
	}
	/* the first buckets in id order */
	r = json_array_get(json_object_get(json_array_get(list, 0), "buckets"), 0);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "b0000");
	r = json_array_get(json_object_get(json_array_get(list, 0), "buckets"), RELEASE_BUCKETS_MAX - 1);
	snprintf(id, sizeof id, "b%04d", RELEASE_BUCKETS_MAX - 1);
	assert_string_equal(json_string_value(json_object_get(r, "id")), id);
	json_decref(list);
	/* another release's buckets, asked for by its "from" */
	assert_int_equal(release_list(t, NULL, own, from[1], &list, NULL), 0);
	assert_int_equal(json_array_size(list), RELEASE_AUTHORS_MAX);
	r = json_array_get(list, 1);
	assert_int_equal(json_array_size(json_object_get(r, "buckets")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "more")), 0);
	r = json_array_get(list, 0);
	assert_int_equal(json_array_size(json_object_get(r, "buckets")), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "more")), CAP_BIG);
	json_decref(list);
	/* one left out of the list is not to be had */
	struct gl_error err = { 0 };
	assert_int_equal(release_list(t, NULL, own, from[CAP_AUTHORS - 1], &list, &err), GL_ENOTFOUND);
	/* gaps by demand counts every bucket of the first release, not the first 500 */
	assert_int_equal(release_demand(t, NULL, own, &r, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(r, "from")), from[0]);
	json_t *g;
	assert_int_equal(gaps_run_demand(t, tax, false, NOW, r, &g, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(g, "demand"), "starters")),
	                 6 * CAP_BIG);
	json_t *first = json_array_get(json_object_get(g, "unmet"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "need")), "financing");
	assert_string_equal(json_string_value(json_object_get(first, "phase")), "prestart");
	assert_int_equal(json_integer_value(json_object_get(first, "unmet")), 5 * CAP_BIG);
	json_decref(g);
	json_decref(r);
	store_abort(t);
	store_close(s);
}

/* Large records: the buckets of an answer hold at most
 * RELEASE_BUCKET_BYTES_MAX bytes of records, the rest counted in "more". */
static void test_release_bytes(void **state)
{
	(void)state;
	enum { BIG = 40, ROWS = 4, NAME = 15000 }; /* records near GL_RECORD_MAX */
	uint8_t pk[32], sk[64], own[32], own_sk[64];
	tu_keypair(9, pk, sk);
	tu_keypair(8, own, own_sk);
	json_t *rows = json_array();
	char *name = malloc(NAME + 1), id[16];
	assert_non_null(name);
	memset(name, 'p', NAME);
	name[NAME] = '\0';
	for (int i = 0; i < ROWS; i++)
		json_array_append_new(rows, json_pack("{s:s, s:s, s:i, s:s}", "need", "financing",
		                                      "author", "x", "starters", 5 + i, "partner", name));
	json_t *doc = json_pack("{s:i, s:i, s:s, s:i, s:o}", "k", 5, "level", 1, "phase", "prestart",
	                        "starters", 6, "partners", rows);
	char *body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	free(name);
	struct store_txn *t;
	struct store *s = open_store("bytes-store", true, &t);
	size_t len = 0;
	for (int b = 0; b < BIG; b++) {
		snprintf(id, sizeof id, "b%02d", b);
		len = put_insight_at(t, sk, id, body, NOW);
	}
	free(body);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	json_t *list;
	assert_int_equal(release_list(t, NULL, own, NULL, &list, NULL), 0);
	json_t *r = json_array_get(list, 0);
	size_t kept = RELEASE_BUCKET_BYTES_MAX / len;
	assert_true(kept > 0 && kept < BIG);
	assert_int_equal(json_array_size(json_object_get(r, "buckets")), kept);
	assert_int_equal(json_integer_value(json_object_get(r, "more")), BIG - kept);
	json_decref(list);
	store_abort(t);
	store_close(s);
}

static void test_k_floor(void **state)
{
	(void)state;
	struct progress_txn *t;
	struct figures f;
	assert_int_equal(progress_begin(pg, false, &t, NULL), 0);
	assert_int_equal(trajectory_count(t, tax, TRAJECTORY_K_MIN - 1, 0, &f, NULL), GL_EINVAL);
	progress_abort(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weeks),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_take),
		cmocka_unit_test_setup_teardown(test_store, fresh, close_it),
		cmocka_unit_test_setup_teardown(test_token_cap, fresh, close_it),
		cmocka_unit_test_setup_teardown(test_below_k, fresh, close_it),
		cmocka_unit_test_setup_teardown(test_partition, fresh, close_it),
		cmocka_unit_test_setup_teardown(test_differencing_in_time, fresh, close_it),
		cmocka_unit_test_setup_teardown(test_differencing_nested, fresh, close_it),
		cmocka_unit_test_setup_teardown(test_orders_and_partners, fresh, close_it),
		cmocka_unit_test_setup_teardown(test_k_floor, fresh, close_it),
		cmocka_unit_test(test_reader_refuses_small),
		cmocka_unit_test(test_release_caps),
		cmocka_unit_test(test_release_bytes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
