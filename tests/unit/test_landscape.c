/* Unit tests: gaps_run (daemon/query/gaps.c) and news_latest / news_atom (daemon/query/news.c). */
#include "testutil.h"

#include <unistd.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "proto/clock.h"
#include "query/gaps.h"
#include "schemas/jsonmp.h"
#include "query/news.h"
#include "schemas/schema.h"
#include "store/store.h"
#include "schemas/taxonomy.h"

static uint8_t pk[32], sk[64], pk2[32], sk2[64];
static char dir[64];
static struct schema_set *set;
static struct taxonomy *tax;

/* The taxonomy's sectors: a grid of cells each, by sector. */
static size_t sectors(void)
{
	size_t n;
	assert_non_null(taxonomy_facet(tax, "sector", &n));
	return n;
}

/* The taxonomy's needs: a row of cells each. */
static size_t needs(void)
{
	size_t n;
	assert_non_null(taxonomy_facet(tax, "need", &n));
	return n;
}

static int setup(void **state)
{
	(void)state;
	if (tu_tmpdir(dir, "landscape") || schema_set_load(&set, NULL) || taxonomy_load(set, &tax, NULL))
		return -1;
	news_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	taxonomy_free(tax);
	schema_set_free(set);
	return tu_rmtree(dir);
}

static struct store *open_store(const char *name)
{
	char path[128];
	struct store *s;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	return s;
}

/* Sign and store a record issued at `issued`, whose body is the JSON text
 * body (NULL: a tombstone). */
static void put_at(struct store *s, const uint8_t *key, int kind, const char *id,
                   uint64_t version, uint64_t issued, const char *body)
{
	struct gl_buf b = { 0 }, env = { 0 };
	if (body) {
		json_t *j = json_loads(body, 0, NULL);
		assert_non_null(j);
		assert_int_equal(jsonmp_pack(j, NULL, &b, NULL), 0);
		json_decref(j);
	}
	struct record_draft d = { .kind = kind, .id = id, .id_len = strlen(id), .version = version,
	                          .issued = issued, .expires = 4000000000u, .body = b.data,
	                          .body_len = b.len };
	assert_int_equal(record_sign(&d, key, &env, NULL), 0);
	struct record r;
	struct store_txn *t;
	enum store_outcome oc;
	assert_int_equal(record_open(env.data, env.len, &r, NULL), 0);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_put(t, &r, &oc, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	gl_buf_free(&b);
	gl_buf_free(&env);
}

static void put(struct store *s, const uint8_t *key, int kind, const char *id, uint64_t version,
                const char *body)
{
	put_at(s, key, kind, id, version, 100, body);
}

static json_t *gaps(struct store *s, bool by_sector, uint64_t now)
{
	struct store_txn *t;
	json_t *res = NULL;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(gaps_run(t, tax, by_sector, now, &res, NULL), 0);
	store_abort(t);
	return res;
}

/* offers * 100 + partners of a cell (sector NULL: without sectors). */
static long long cell(json_t *res, const char *need, const char *phase, const char *sector)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(res, "cells"), i, c) {
		const char *sec = json_string_value(json_object_get(c, "sector"));
		if (!strcmp(json_string_value(json_object_get(c, "need")), need) &&
		    !strcmp(json_string_value(json_object_get(c, "phase")), phase) &&
		    (!sector || !strcmp(sec, sector)))
			return json_integer_value(json_object_get(c, "offers")) * 100 +
			       json_integer_value(json_object_get(c, "partners"));
	}
	fail_msg("no cell %s/%s/%s", need, phase, sector ? sector : "-");
	return -1;
}

static void test_gaps_counts(void **state)
{
	(void)state;
	struct store *s = open_store("gaps");
	int64_t now;
	assert_int_equal(clock_parse("2027-03-01T12:00:00Z", &now), 0);
	put(s, sk, RK_OFFER, "loan-p1", 1,
	    "{\"needs\": [\"financing-loan\"], \"partner\": \"p1\", "
	    "\"eligibility\": {\"phases\": [\"start\"]}}");
	put(s, sk, RK_OFFER, "loan-p2", 1, "{\"needs\": [\"financing-loan\"], \"partner\": \"p2\"}");
	put(s, sk, RK_OFFER, "loan-p2b", 1, "{\"needs\": [\"financing-loan\", \"financing-grant\"], "
	                                    "\"partner\": \"p2\"}");
	put(s, sk2, RK_OFFER, "general", 1, "{\"needs\": [\"financing\"], "
	                                    "\"eligibility\": {\"phases\": [\"idea\"]}}");
	put(s, sk2, RK_OFFER, "off", 1, "{\"needs\": [\"talent\"], \"status\": \"inactive\"}");
	put(s, sk2, RK_OFFER, "ended", 1, "{\"needs\": [\"talent\"], \"valid_until\": \"2027-02-28\"}");
	put(s, sk2, RK_OFFER, "today", 1, "{\"needs\": [\"networking\"], \"valid_until\": \"2027-03-01\"}");
	put(s, sk2, RK_OFFER, "gone", 1, "{\"needs\": [\"networking\"]}");
	put(s, sk2, RK_OFFER, "gone", 2, NULL);
	put(s, sk, RK_OFFER, "lab", 1, "{\"needs\": [\"location-lab\", \"no-such-need\"], "
	                               "\"eligibility\": {\"sectors\": [\"biotech\"], \"phases\": [\"start\"]}}");
	put(s, sk, RK_OFFER, "nothing", 1, "{\"needs\": [\"no-such-need\"]}");

	json_t *res = gaps(s, false, (uint64_t)now);
	assert_int_equal(json_array_size(json_object_get(res, "cells")), needs() * 5);
	assert_int_equal(cell(res, "financing-loan", "start", NULL), 302);  /* p1, p2 twice */
	assert_int_equal(cell(res, "financing-loan", "growth", NULL), 201); /* p2 only: a gap */
	assert_int_equal(cell(res, "financing-loan", "idea", NULL), 201);   /* not the general one */
	assert_int_equal(cell(res, "financing", "idea", NULL), 302);        /* (sk2, none) and p2 */
	assert_int_equal(cell(res, "financing", "start", NULL), 302);
	assert_int_equal(cell(res, "financing-grant", "start", NULL), 101);
	assert_int_equal(cell(res, "talent", "start", NULL), 0);
	assert_int_equal(cell(res, "networking", "restart", NULL), 101);    /* today, not gone */
	assert_int_equal(cell(res, "location", "start", NULL), 101);
	assert_int_equal(cell(res, "location-lab", "idea", NULL), 0);
	size_t i, ngaps = 0;
	json_t *c;
	json_array_foreach(json_object_get(res, "cells"), i, c) {
		json_int_t o = json_integer_value(json_object_get(c, "offers"));
		json_int_t p = json_integer_value(json_object_get(c, "partners"));
		assert_true(p <= o && (o == 0) == (p == 0));
		ngaps += o == 0 || p == 1;
	}
	assert_int_equal(json_array_size(json_object_get(res, "gaps")), ngaps);
	assert_null(json_object_get(res, "sectors"));
	json_decref(res);

	/* a day later "today" has ended */
	res = gaps(s, false, (uint64_t)now + 86400);
	assert_int_equal(cell(res, "networking", "restart", NULL), 0);
	json_decref(res);

	res = gaps(s, true, (uint64_t)now);
	assert_int_equal(json_array_size(json_object_get(res, "cells")), needs() * 5 * sectors());
	assert_int_equal(json_array_size(json_object_get(res, "sectors")), sectors());
	assert_int_equal(cell(res, "location-lab", "start", "biotech"), 101);
	assert_int_equal(cell(res, "location-lab", "start", "digital"), 0);
	assert_int_equal(cell(res, "financing-loan", "start", "digital"), 302);
	json_decref(res);
	store_close(s);
}

static void test_gaps_args(void **state)
{
	(void)state;
	struct store *s = open_store("gaps-args");
	struct store_txn *t;
	json_t *res = NULL;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(gaps_run(NULL, tax, false, 0, &res, &err), GL_EINVAL);
	assert_int_equal(gaps_run(t, NULL, false, 0, &res, &err), GL_EINVAL);
	assert_int_equal(gaps_run(t, tax, false, 0, NULL, &err), GL_EINVAL);
	assert_null(res);
	/* an empty store: every cell a gap */
	assert_int_equal(gaps_run(t, tax, false, 0, &res, &err), 0);
	assert_int_equal(json_array_size(json_object_get(res, "gaps")), needs() * 5);
	json_decref(res);
	store_abort(t);
	store_close(s);
}

/* The ids of a news array, joined by spaces. */
static void ids(json_t *arr, char *out, size_t n)
{
	size_t i, l = 0;
	json_t *v;
	out[0] = '\0';
	json_array_foreach(arr, i, v) {
		l += (size_t)snprintf(out + l, n - l, "%s%s", l ? " " : "",
		                      json_string_value(json_object_get(v, "id")));
	}
}

static void latest(struct store *s, size_t limit, char *out, size_t n)
{
	struct store_txn *t;
	json_t *arr = NULL;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(news_latest(t, limit, &arr, NULL), 0);
	store_abort(t);
	ids(arr, out, n);
	json_decref(arr);
}

static void put_news(struct store *s, const uint8_t *key, const char *id, const char *published)
{
	char body[512];
	snprintf(body, sizeof body, "{\"title\": {\"nl\": \"%s nl\", \"en\": \"%s\"}, "
	         "\"summary\": {\"nl\": \"s\", \"en\": \"s\"}, \"published\": \"%s\"}",
	         id, id, published);
	put(s, key, RK_NEWS, id, 1, body);
}

static void test_news_order(void **state)
{
	(void)state;
	struct store *s = open_store("news");
	char got[512];
	/* day d of January at 10:00 +01:00, in a scrambled order: n01 … n28 */
	for (int k = 0; k < 28; k++) {
		int d = (k * 11) % 28 + 1;
		char id[8], when[32];
		snprintf(id, sizeof id, "n%02d", d);
		snprintf(when, sizeof when, "2027-01-%02dT10:00:00+01:00", d);
		put_news(s, k % 2 ? sk : sk2, id, when);
	}
	latest(s, 3, got, sizeof got);
	assert_string_equal(got, "n28 n27 n26");
	latest(s, 200, got, sizeof got);
	assert_int_equal(strlen(got), 28 * 4 - 1);
	assert_memory_equal(got + strlen(got) - 7, "n02 n01", 7);
	/* the instant counts, not the text: 09:30Z is after 10:00+01:00 (09:00Z) */
	put_news(s, sk, "z-later", "2027-01-28T09:30:00Z");
	/* the same instant: by author key, then id */
	put_news(s, sk, "tie-b", "2027-02-01T00:00:00Z");
	put_news(s, sk, "tie-a", "2027-02-01T01:00:00+01:00");
	put_news(s, sk2, "tie-c", "2027-02-01T00:00:00Z");
	put_news(s, sk2, "bad", "2027-02-30T00:00:00Z"); /* not a day: left out */
	latest(s, 5, got, sizeof got);
	const char *ties = memcmp(pk, pk2, 32) < 0 ? "tie-a tie-b tie-c" : "tie-c tie-a tie-b";
	char want[128];
	snprintf(want, sizeof want, "%s z-later n28", ties);
	assert_string_equal(got, want);
	/* a retraction leaves */
	put(s, sk, RK_NEWS, "z-later", 2, NULL);
	latest(s, 4, got, sizeof got);
	snprintf(want, sizeof want, "%s n28", ties);
	assert_string_equal(got, want);

	struct store_txn *t;
	json_t *arr = NULL;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(news_latest(t, 0, &arr, &err), GL_EINVAL);
	assert_int_equal(news_latest(t, NEWS_LIMIT_MAX + 1, &arr, &err), GL_ELIMIT);
	assert_non_null(strstr(err.msg, "NEWS_LIMIT_MAX"));
	assert_null(arr);

	/* the feed: well-formed, one entry per item, in lang */
	char *xml = NULL;
	size_t len = 0;
	assert_int_equal(news_atom(t, 4, "nl", "news.atom?lang=nl", &xml, &len, &err), 0);
	assert_int_equal(strlen(xml), len);
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "feed.atom", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	xmlFreeDoc(doc);
	size_t entries = 0;
	for (const char *p = xml; (p = strstr(p, "<entry>")); p++)
		entries++;
	assert_int_equal(entries, 4);
	assert_non_null(strstr(xml, "<title>n28 nl</title>"));
	assert_non_null(strstr(xml, "<published>2027-01-28T09:00:00Z</published>"));
	/* what it is, and where it is read */
	assert_non_null(strstr(xml, "<title>gilde: nieuws van de partners</title>"));
	assert_non_null(strstr(xml, "<link rel=\"self\" type=\"application/atom+xml\" "
	                            "href=\"news.atom?lang=nl\"/>"));
	/* updated: when the current version was issued (put: at 100 s) */
	assert_non_null(strstr(xml, "<updated>1970-01-01T00:01:40Z</updated>"));
	assert_null(strstr(xml, "<updated>2027-01-28T09:00:00Z</updated>"));
	free(xml);
	store_abort(t);
	/* a new version of n28, issued later, moves its updated (and the feed's) */
	put_at(s, sk, RK_NEWS, "n28", 2, 5000,
	       "{\"title\": {\"nl\": \"n28 nl, herzien\", \"en\": \"n28\"}, "
	       "\"summary\": {\"nl\": \"s\", \"en\": \"s\"}, "
	       "\"published\": \"2027-01-28T10:00:00+01:00\"}");
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(news_atom(t, 4, "en", NULL, &xml, &len, &err), 0);
	const char *n28 = strstr(xml, "<title>n28</title>");
	assert_non_null(n28);
	const char *upd = strstr(n28, "<updated>");
	assert_non_null(upd);
	assert_memory_equal(upd, "<updated>1970-01-01T01:23:20Z</updated>", 38);
	assert_non_null(strstr(xml, "<published>2027-01-28T09:00:00Z</published>"));
	assert_non_null(strstr(xml, "<title>gilde: news from the partners</title>"));
	assert_null(strstr(xml, "rel=\"self\""));
	/* the feed's own updated comes before the entries: the latest of theirs */
	const char *feed_upd = strstr(xml, "<updated>");
	assert_true(feed_upd < strstr(xml, "<entry>"));
	assert_memory_equal(feed_upd, "<updated>1970-01-01T01:23:20Z</updated>", 38);
	free(xml);
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
		cmocka_unit_test(test_gaps_counts),
		cmocka_unit_test(test_gaps_args),
		cmocka_unit_test(test_news_order),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
