/* Unit tests: the matcher's answer as text (daemon/query/match_text.c),
 * as gilded's web server sends it, over the Ghent sample: for every
 * persona and sample profile, and variations of each (the other
 * language, every phase, other needs or none, all offers or five), the
 * text is byte for byte json_dumps(JSON_COMPACT) of match_run()'s tree,
 * with the texts of offers taken from the memo (match_memo.c) or not;
 * a changed offer is answered changed; and the memo on its own finds a
 * text for its state only, within its bound. */
#include "testutil.h"
#include "tu_store.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>

#include "proto/ident.h"
#include "proto/record.h"
#include "query/match.h"
#include "query/match_int.h"
#include "query/todo.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
#include "store/store.h"

/* 2026-12-15: some of the sample's events are within 90 days */
#define NOW 1797292800u
#define AUTHORS_MAX 64

static struct schema_set *set;
static struct taxonomy *tax;
static struct todo_paths *paths;
static struct match_facts mf;
static struct store *st;
static char dir[64];
static uint8_t sks[AUTHORS_MAX][64];
static size_t nauthors;
static uint64_t version = 1;
static json_t *profiles; /* the personas' and the sample's */
static json_t *records;  /* the sample's: [author's number, kind, id, body] */

static char *source_path(const char *rel)
{
	const char *root = getenv("GILDE_SOURCE_ROOT");
	char *p = NULL;
	assert_non_null(root);
	assert_true(asprintf(&p, "%s/%s", root, rel) > 0);
	return p;
}

/* Each JSON file of dir (a path under the source root) through fn. */
static void each_json(const char *rel, void (*fn)(const char *path, json_t *j, void *ctx),
                      void *ctx)
{
	char *d = source_path(rel);
	struct dirent **names;
	int n = scandir(d, &names, NULL, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(names[i]->d_name);
		if (l > 5 && !strcmp(names[i]->d_name + l - 5, ".json")) {
			char *p = NULL;
			assert_true(asprintf(&p, "%s/%s", d, names[i]->d_name) > 0);
			json_t *j = json_load_file(p, 0, NULL);
			assert_non_null(j);
			fn(p, j, ctx);
			json_decref(j);
			free(p);
		}
		free(names[i]);
	}
	free(names);
	free(d);
}

/* A record of the sample, signed by its partner's key (ctx). */
static void put_record(const char *path, json_t *j, void *ctx)
{
	(void)path;
	const uint8_t *sk = ctx;
	size_t a = (size_t)(sk - sks[0]) / sizeof sks[0];
	const char *ks = json_string_value(json_object_get(j, "kind"));
	char *id = strdup(json_string_value(json_object_get(j, "id")));
	int kind = record_kind_parse(ks, strlen(ks));
	json_object_del(j, "kind");
	json_object_del(j, "id");
	char *body = json_dumps(j, JSON_COMPACT);
	tu_put_json(st, sk, &version, kind, id, body);
	json_array_append_new(records, json_pack("[i, i, s, O]", (int)a, kind, id, j));
	free(body);
	free(id);
}

static void add_profile(const char *path, json_t *j, void *ctx)
{
	(void)path;
	(void)ctx;
	json_t *p = json_object_get(j, "profile");
	json_array_append(profiles, p ? p : j);
}

static int setup(void **state)
{
	(void)state;
	if (schema_set_load(&set, NULL) || taxonomy_load(set, &tax, NULL) ||
	    todo_load(set, tax, NULL, &paths, NULL) || tu_tmpdir(dir, "mtext"))
		return -1;
	match_facts_init(&mf, tax);
	struct store_options so = { .derive = &mf.derive };
	if (store_open_with(dir, &so, &st, NULL))
		return -1;
	/* each partner of the sample under a key of its own */
	records = json_array();
	char *root = source_path("contrib/ghent");
	struct dirent **names;
	int n = scandir(root, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char rel[300];
		snprintf(rel, sizeof rel, "contrib/ghent/%s", names[i]->d_name);
		if (names[i]->d_type == DT_DIR && names[i]->d_name[0] != '.' &&
		    strcmp(names[i]->d_name, "profiles") && nauthors < AUTHORS_MAX) {
			uint8_t pk[32];
			tu_keypair((uint8_t)(nauthors + 1), pk, sks[nauthors]);
			each_json(rel, put_record, sks[nauthors++]);
		}
		free(names[i]);
	}
	free(names);
	free(root);
	profiles = json_array();
	each_json("tests/personas", add_profile, NULL);
	each_json("contrib/ghent/profiles", add_profile, NULL);
	return nauthors > 30 && json_array_size(profiles) > 15 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(profiles);
	json_decref(records);
	store_close(st);
	todo_free(paths);
	taxonomy_free(tax);
	schema_set_free(set);
	return tu_rmtree(dir);
}

/* The tree's text and the text, compared in one state of the store; the
 * text returned (the caller frees it). */
static char *both_ways(const json_t *p, unsigned per_item, struct match_cache *mc,
                       const json_t *tail)
{
	struct store_txn *t;
	struct match_opts o = { .now = NOW, .per_item = per_item, .paths = paths, .cache = mc };
	json_t *tree = NULL;
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(store_begin(st, false, &t, NULL), 0);
	assert_int_equal(match_run(t, tax, p, &o, &tree, NULL), 0);
	assert_int_equal(match_run_text(t, tax, p, &o, tail, &text, &len, NULL), 0);
	store_abort(t);
	json_object_update(tree, (json_t *)tail);
	char *want = json_dumps(tree, JSON_COMPACT);
	assert_int_equal(len, strlen(text));
	if (strcmp(want, text))
		fail_msg("the text differs from the tree for %s", json_dumps(p, JSON_COMPACT));
	free(want);
	json_decref(tree);
	return text;
}

/* The variations of a profile: as it is, in the other language, at each
 * phase, with other needs and with none. */
static json_t *variations(const json_t *p)
{
	static const char *const phases[] = { "idea", "prestart", "start", "restart", "growth" };
	json_t *out = json_array(), *v;
	json_array_append(out, (json_t *)p);
	const char *lang = json_string_value(json_object_get(p, "lang"));
	v = json_deep_copy(p);
	json_object_set_new(v, "lang", json_string(lang && !strcmp(lang, "nl") ? "en" : "nl"));
	json_array_append_new(out, v);
	for (size_t i = 0; i < sizeof phases / sizeof *phases; i++) {
		v = json_deep_copy(p);
		json_object_set_new(v, "phase", json_string(phases[i]));
		json_array_append_new(out, v);
	}
	v = json_deep_copy(p);
	json_object_set_new(v, "needs", json_pack("[s, s, s]", "financing", "location-office",
	                                          "networking"));
	json_array_append_new(out, v);
	v = json_deep_copy(p);
	json_object_del(v, "needs");
	json_array_append_new(out, v);
	return out;
}

static void test_text_is_the_tree(void **state)
{
	(void)state;
	struct match_cache *mc = match_cache_new(MATCH_CACHE_BYTES);
	json_t *tail = json_pack("{s:{s:i}}", "insight", "k", 5), *p, *vs, *v;
	size_t i, k, answers = 0, events = 0;
	json_array_foreach(profiles, i, p) {
		vs = variations(p);
		json_array_foreach(vs, k, v) {
			for (unsigned per_item = 0; per_item <= 5; per_item += 5) {
				/* without the memo, with it cold or warm, and with a tail */
				free(both_ways(v, per_item, NULL, NULL));
				free(both_ways(v, per_item, mc, NULL));
				char *text = both_ways(v, per_item, mc, tail);
				events += strstr(text, "\"code\":\"event\"") != NULL;
				answers++;
				free(text);
			}
		}
		json_decref(vs);
	}
	/* the sample's events count for some (the memo's key holds them) */
	assert_true(answers > 300);
	assert_true(events > 0);
	json_decref(tail);
	match_cache_free(mc);
}

/* An offer the answer to p lists first, renamed by its author. */
static void rename_first(const char *answer, const char *name)
{
	json_t *ans = json_loads(answer, 0, NULL), *r;
	json_t *o = json_array_get(json_object_get(json_array_get(json_object_get(ans, "items"), 0),
	                                           "offers"), 0);
	const char *author = json_string_value(json_object_get(o, "author"));
	const char *id = json_string_value(json_object_get(o, "id"));
	size_t i;
	assert_non_null(id);
	json_array_foreach(records, i, r) {
		size_t a = (size_t)json_integer_value(json_array_get(r, 0));
		uint8_t pk[32], sk[64];
		char key[IDENT_TEXT_MAX];
		tu_keypair((uint8_t)(a + 1), pk, sk);
		ident_format(IDENT_PK_PREFIX, pk, key);
		if (strcmp(key, author) || strcmp(json_string_value(json_array_get(r, 2)), id))
			continue;
		json_t *body = json_deep_copy(json_array_get(r, 3));
		json_object_set_new(body, "name", json_pack("{s:s, s:s}", "nl", name, "en", name));
		char *text = json_dumps(body, JSON_COMPACT);
		tu_put_json(st, sks[a], &version, RK_OFFER, id, text);
		free(text);
		json_decref(body);
		break;
	}
	assert_true(i < json_array_size(records));
	json_decref(ans);
}

static void test_changed_offer(void **state)
{
	(void)state;
	static const char renamed[] = "An offer named anew for issue 22";
	struct match_cache *mc = match_cache_new(MATCH_CACHE_BYTES);
	json_t *p = json_array_get(profiles, 0);
	char *before = both_ways(p, 5, mc, NULL);
	free(both_ways(p, 5, mc, NULL)); /* its offers' texts kept */
	assert_null(strstr(before, renamed));
	rename_first(before, renamed);
	char *after = both_ways(p, 5, mc, NULL);
	assert_non_null(strstr(after, renamed));
	free(before);
	free(after);
	match_cache_free(mc);
}

/* Three offers alike but for their partners' events, two of the same day
 * and two of the same name: each its own event's name and date (the
 * memo's key holds them). */
static void test_events_apart(void **state)
{
	(void)state;
	static const char *const names[] = { "Octrooiavond", "Merkenochtend", "Merkenochtend" };
	static const char *const starts[] = { "2027-01-12T19:00:00+01:00",
		                              "2027-01-12T09:00:00+01:00",
		                              "2027-01-20T09:00:00+01:00" };
	struct match_cache *mc = match_cache_new(MATCH_CACHE_BYTES);
	for (int i = 0; i < 3; i++) {
		uint8_t pk[32], sk[64];
		char ev[400];
		tu_keypair((uint8_t)(200 + i), pk, sk);
		tu_put_json(st, sk, &version, RK_PARTNER, "ip-desk",
		            "{\"name\": {\"nl\": \"IP-loket\", \"en\": \"IP desk\"}}");
		tu_put_json(st, sk, &version, RK_OFFER, "ip-advice",
		            "{\"needs\": [\"legal-ip\"], \"languages\": [\"nl\"], \"partner\": \"ip-desk\","
		            " \"name\": {\"nl\": \"IP-advies\", \"en\": \"IP advice\"}}");
		snprintf(ev, sizeof ev, "{\"partner\": \"ip-desk\", \"needs\": [\"legal-ip\"],"
		         " \"name\": {\"nl\": \"%s\", \"en\": \"%s\"}, \"start\": \"%s\"}",
		         names[i], names[i], starts[i]);
		tu_put_json(st, sk, &version, RK_EVENT, "ip-evening", ev);
	}
	json_t *p = json_pack("{s:s, s:[s], s:s, s:s}", "phase", "start", "needs", "legal-ip",
	                      "activity", "tech-product", "lang", "nl");
	free(both_ways(p, 0, mc, NULL));
	char *text = both_ways(p, 0, mc, NULL);
	assert_non_null(strstr(text, "Octrooiavond op 2027-01-12"));
	assert_non_null(strstr(text, "Merkenochtend op 2027-01-12"));
	assert_non_null(strstr(text, "Merkenochtend op 2027-01-20"));
	free(text);
	json_decref(p);
	match_cache_free(mc);
}

static void test_memo(void **state)
{
	(void)state;
	size_t entry = 0;
	struct gl_buf out = { 0 };
	struct match_memo *mm = match_memo_new(1000);
	match_memo_put(mm, 7, "k1", 2, "text one", 8);
	assert_true(match_memo_get(mm, 7, "k1", 2, &out));
	assert_int_equal(out.len, 8);
	assert_memory_equal(out.data, "text one", 8);
	assert_false(match_memo_get(mm, 8, "k1", 2, &out)); /* another state */
	assert_false(match_memo_get(mm, 7, "k2", 2, &out));  /* another key */
	assert_false(match_memo_get(mm, 7, "k", 1, &out));   /* a prefix of it */
	match_memo_put(mm, 6, "k2", 2, "older", 5);           /* of an older state: not kept */
	assert_false(match_memo_get(mm, 6, "k2", 2, &out));
	assert_true(match_memo_get(mm, 7, "k1", 2, &out));
	match_memo_put(mm, 8, "k2", 2, "newer", 5);           /* a newer state: the others go */
	assert_false(match_memo_get(mm, 7, "k1", 2, &out));
	assert_true(match_memo_get(mm, 8, "k2", 2, &out));
	/* the bound: texts kept until the next would pass it, then that one alone */
	char key[8], text[200];
	memset(text, 'x', sizeof text);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof key, "b%d", i);
		match_memo_put(mm, 9, key, 2, text, sizeof text);
		entry += match_memo_get(mm, 9, "b0", 2, &out);
	}
	assert_true(entry >= 2 && entry < 10);            /* b0 kept a while, then dropped */
	assert_true(match_memo_get(mm, 9, "b9", 2, &out)); /* the last one kept */
	match_memo_put(mm, 9, "big", 3, text, sizeof text); /* fits */
	char huge[1200];
	memset(huge, 'y', sizeof huge);
	match_memo_put(mm, 9, "huge", 4, huge, sizeof huge); /* over the bound alone: not kept */
	assert_false(match_memo_get(mm, 9, "huge", 4, &out));
	assert_true(match_memo_get(mm, 9, "big", 3, &out));
	gl_buf_free(&out);
	match_memo_free(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_is_the_tree),
		cmocka_unit_test(test_changed_offer),
		cmocka_unit_test(test_events_apart),
		cmocka_unit_test(test_memo),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
