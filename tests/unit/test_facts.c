/* Unit tests: the store's derived table (daemon/store/derived.c) and the
 * offers' facts the matcher reads from it (daemon/query/match_facts.c):
 * kept in step through puts, updates and tombstones, made again when the
 * version changes, forgotten by a writer without it, and a match from the
 * table answers exactly as a match from the bodies; the table's
 * generation counts every change, and a match from the web server's copy
 * of the table (query/match_cache.c) answers as one from the store,
 * however the table changed since the copy was made. */
#include "testutil.h"
#include "tu_store.h"

#include <jansson.h>
#include <lmdb.h>
#include <pthread.h>

#include "proto/record.h"
#include "query/match.h"
#include "query/todo.h"
#include "schemas/jsonmp.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
#include "store/derived.h"
#include "store/store.h"

static struct schema_set *set;
static struct taxonomy *tax;
static struct todo_paths *paths;
static uint8_t pk[32], sk[64];
static uint64_t version = 1;

static int setup(void **state)
{
	(void)state;
	tu_keypair(9, pk, sk);
	return schema_set_load(&set, NULL) || taxonomy_load(set, &tax, NULL) ||
	       todo_load(set, tax, NULL, &paths, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	todo_free(paths);
	taxonomy_free(tax);
	schema_set_free(set);
	return 0;
}

/* Put a record of kind with this body (JSON text; NULL: a tombstone). */
static void put(struct store *s, int kind, const char *id, const char *body_json)
{
	tu_put_json(s, sk, &version, kind, id, body_json);
}

static int count_one(void *ctx, const uint8_t *rkey, size_t rlen, const uint8_t *val, size_t len)
{
	(void)rkey;
	(void)rlen;
	(void)val;
	(void)len;
	(*(int *)ctx)++;
	return 0;
}

/* Entries in the table, or -1 if it is not ready for mf's version. */
static int entries(struct store *s, const struct match_facts *mf)
{
	struct store_txn *t;
	int n = 0;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	if (!store_derived_ready(t, mf->version))
		n = -1;
	else
		assert_int_equal(store_derived_scan(t, count_one, &n, NULL), 0);
	store_abort(t);
	return n;
}

static struct store *open_with(const char *dir, const struct store_derive *d)
{
	struct store *s;
	struct store_options o = { .derive = d };
	assert_int_equal(store_open_with(dir, &o, &s, NULL), 0);
	return s;
}

static uint64_t generation(struct store *s)
{
	struct store_txn *t;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	uint64_t gen = store_derived_generation(t);
	store_abort(t);
	return gen;
}

static json_t *match_with(struct store *s, const char *profile, struct match_cache *mc)
{
	struct store_txn *t;
	json_t *p = json_loads(profile, 0, NULL), *out = NULL;
	struct match_opts o = { .lang = "en", .now = 1773144000u, .paths = paths, .cache = mc };
	assert_non_null(p);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(match_run(t, tax, p, &o, &out, NULL), 0);
	store_abort(t);
	json_decref(p);
	return out;
}

static json_t *match(struct store *s, const char *profile)
{
	return match_with(s, profile, NULL);
}

static void test_in_step(void **state)
{
	(void)state;
	char dir[64];
	struct match_facts mf;
	match_facts_init(&mf, tax);
	assert_int_equal(tu_tmpdir(dir, "facts"), 0);
	struct store *s = open_with(dir, &mf.derive);
	assert_int_equal(entries(s, &mf), 0);
	put(s, RK_PARTNER, "p", "{\"name\": {\"nl\": \"P\", \"en\": \"P\"}}");
	put(s, RK_OFFER, "loan", "{\"needs\": [\"financing-loan\"], \"languages\": [\"nl\"],"
	    " \"partner\": \"p\", \"eligibility\": {\"phases\": [\"start\"]}}");
	put(s, RK_OFFER, "desk", "{\"needs\": [\"administration\", \"coaching\"], \"languages\": [\"en\"]}");
	assert_int_equal(entries(s, &mf), 2); /* offers only, not the partner */
	put(s, RK_OFFER, "desk", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"]}");
	assert_int_equal(entries(s, &mf), 2);
	put(s, RK_OFFER, "loan", NULL); /* a tombstone takes its entry away */
	assert_int_equal(entries(s, &mf), 1);
	store_close(s);

	/* a writer without the deriver: the version is forgotten, the table not read */
	s = open_with(dir, NULL);
	put(s, RK_OFFER, "grant", "{\"needs\": [\"financing-grant\"], \"languages\": [\"en\"]}");
	assert_int_equal(entries(s, &mf), -1);
	store_close(s);
	/* the deriver again: made anew, with the offer written meanwhile */
	s = open_with(dir, &mf.derive);
	assert_int_equal(entries(s, &mf), 2);
	store_close(s);
	/* another version (another taxonomy, another build): made anew as well */
	struct match_facts other = mf;
	snprintf(other.version, sizeof other.version, "offer-facts/test");
	other.derive.version = other.version;
	s = open_with(dir, &other.derive);
	assert_int_equal(entries(s, &mf), -1);
	assert_int_equal(entries(s, &other), 2);
	store_close(s);
	tu_rmtree(dir);
}

static void test_same_answer(void **state)
{
	(void)state;
	char with[64], without[64];
	struct match_facts mf;
	match_facts_init(&mf, tax);
	assert_int_equal(tu_tmpdir(with, "facts-with"), 0);
	assert_int_equal(tu_tmpdir(without, "facts-without"), 0);
	struct store *a = open_with(with, &mf.derive), *b = open_with(without, NULL);
	static const char *const offers[][2] = {
		{ "loan", "{\"needs\": [\"financing-loan\"], \"languages\": [\"nl\", \"en\"],"
		          " \"partner\": \"p\", \"cost\": {\"free\": true},"
		          " \"eligibility\": {\"phases\": [\"start\", \"prestart\"], \"activities\": [\"shop\"]}}" },
		{ "later", "{\"needs\": [\"financing\"], \"languages\": [\"en\"],"
		           " \"eligibility\": {\"phases\": [\"start\"]}}" },
		{ "students", "{\"needs\": [\"coaching\"], \"languages\": [\"nl\"],"
		              " \"eligibility\": {\"student\": \"only\", \"schools\": [\"ugent\"]}}" },
		{ "gone", "{\"needs\": [\"administration\"], \"languages\": [\"en\"],"
		          " \"valid_until\": \"2020-01-01\"}" },
		{ "desk", "{\"needs\": [\"administration\", \"coaching\", \"financing\"],"
		          " \"languages\": [\"en\"], \"eligibility\": {\"sectors\": [\"retail\", \"digital\"]}}" },
	};
	for (int k = 0; k < 2; k++) {
		struct store *s = k ? b : a;
		put(s, RK_PARTNER, "p", "{\"name\": {\"nl\": \"P\", \"en\": \"P\"}}");
		for (size_t i = 0; i < sizeof offers / sizeof offers[0]; i++)
			put(s, RK_OFFER, offers[i][0], offers[i][1]);
	}
	assert_int_equal(entries(a, &mf), 5);
	assert_int_equal(entries(b, &mf), -1);
	static const char *const profiles[] = {
		"{\"phase\": \"prestart\", \"activity\": \"shop\", \"sectors\": [\"retail\"]}",
		"{\"phase\": \"start\", \"student\": true, \"school\": \"ugent\", \"needs\": [\"coaching\"]}",
		"{\"phase\": \"start\", \"needs\": [\"administration\", \"financing\"], \"lang\": \"nl\"}",
	};
	for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
		json_t *x = match(a, profiles[i]), *y = match(b, profiles[i]);
		char *tx = json_dumps(x, JSON_SORT_KEYS), *ty = json_dumps(y, JSON_SORT_KEYS);
		/* the same offers, scores and terms; only the authors' keys could differ */
		assert_string_equal(tx, ty);
		assert_true(json_array_size(json_object_get(x, "items")) > 0);
		free(tx);
		free(ty);
		json_decref(x);
		json_decref(y);
	}
	store_close(a);
	store_close(b);
	tu_rmtree(with);
	tu_rmtree(without);
}

static void test_generation(void **state)
{
	(void)state;
	char dir[64];
	struct match_facts mf;
	match_facts_init(&mf, tax);
	assert_int_equal(tu_tmpdir(dir, "facts-gen"), 0);
	struct store *s = open_with(dir, &mf.derive);
	uint64_t g0 = generation(s);
	assert_true(g0 > 0); /* the first making of the table counts one */
	put(s, RK_OFFER, "desk", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"]}");
	uint64_t g1 = generation(s);
	assert_int_equal(g1, g0 + 1);
	put(s, RK_PARTNER, "p", "{\"name\": {\"nl\": \"P\", \"en\": \"P\"}}");
	assert_int_equal(generation(s), g1); /* not an offer: the table is the same */
	put(s, RK_OFFER, "desk", "{\"needs\": [\"legal\"], \"languages\": [\"en\"]}");
	assert_int_equal(generation(s), g1 + 1);
	put(s, RK_OFFER, "desk", NULL);
	assert_int_equal(generation(s), g1 + 2);
	store_close(s);
	/* a writer without the deriver counts nothing, but the table is then
	 * not ready; made anew, it counts on from where it was */
	s = open_with(dir, NULL);
	put(s, RK_OFFER, "grant", "{\"needs\": [\"financing-grant\"], \"languages\": [\"en\"]}");
	assert_int_equal(entries(s, &mf), -1);
	store_close(s);
	s = open_with(dir, &mf.derive);
	assert_true(generation(s) > g1 + 2);
	assert_int_equal(entries(s, &mf), 1);
	store_close(s);
	tu_rmtree(dir);
}

/* A store whose table is of the layout before (one value per record key,
 * meta "derived"), as an older gilded left it: a write open drops both,
 * so that no older program reads them out of step. */
static void test_older_layout(void **state)
{
	(void)state;
	char dir[64];
	struct match_facts mf;
	match_facts_init(&mf, tax);
	assert_int_equal(tu_tmpdir(dir, "facts-older"), 0);
	struct store *s = open_with(dir, &mf.derive);
	put(s, RK_OFFER, "desk", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"]}");
	store_close(s);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi old, meta;
	MDB_val k = { 7, "derived" }, v = { 3, "old" };
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "derived", MDB_CREATE, &old), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(txn, old, &k, &v, 0), 0);
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	s = open_with(dir, &mf.derive);
	assert_int_equal(entries(s, &mf), 1);
	store_close(s);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "derived", 0, &old), MDB_NOTFOUND);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_get(txn, meta, &k, &v), MDB_NOTFOUND);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	tu_rmtree(dir);
}

/* Every entry of a scan, rkey and value, appended to a buffer. */
static int collect(void *ctx, const uint8_t *rkey, size_t rlen, const uint8_t *val, size_t len)
{
	struct gl_buf *b = ctx;
	uint8_t n[2] = { (uint8_t)rlen, (uint8_t)len };
	gl_buf_append(b, n, 2);
	gl_buf_append(b, rkey, rlen);
	gl_buf_append(b, val, len);
	return 0;
}

/* The scan's entries, and whether it read the packed copy. */
static int scan_all(struct store *s, struct gl_buf *out, bool *packed)
{
	struct store_txn *t;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	*packed = store_derived_packed(t);
	gl_buf_free(out);
	*out = (struct gl_buf){ 0 };
	int rc = store_derived_scan(t, collect, out, NULL);
	store_abort(t);
	return rc;
}

static bool pack(struct store *s)
{
	struct store_txn *t;
	bool wrote = false;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_derived_pack(t, &wrote, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	return wrote;
}

/* Overwrite the packed copy's bytes from at on (a damaged store). */
static void damage_packed(const char *dir, size_t at, uint8_t byte)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	MDB_val k = { 14, "derived-packed" }, v;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_get(txn, meta, &k, &v), 0);
	uint8_t copy[4096];
	assert_true(v.mv_size <= sizeof copy && at < v.mv_size);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[at] = byte;
	v.mv_data = copy;
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* The packed copy (derived.h) gives the table's entries, in its order,
 * only while no write moved the table; packing again after one does; a
 * damaged copy is refused, not read past its end. */
static void test_packed(void **state)
{
	(void)state;
	char dir[64];
	struct match_facts mf;
	struct gl_buf table = { 0 }, packed = { 0 };
	bool from_pack;
	match_facts_init(&mf, tax);
	assert_int_equal(tu_tmpdir(dir, "facts-packed"), 0);
	struct store *s = open_with(dir, &mf.derive);
	put(s, RK_OFFER, "desk", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"]}");
	put(s, RK_OFFER, "grant", "{\"needs\": [\"financing-grant\"], \"languages\": [\"nl\"], "
	                          "\"eligibility\": {\"phases\": [\"start\"]}}");
	put(s, RK_OFFER, "aa", "{\"needs\": [\"legal\"], \"languages\": [\"en\"]}");
	assert_int_equal(scan_all(s, &table, &from_pack), 0);
	assert_false(from_pack);
	assert_true(pack(s));
	assert_false(pack(s)); /* it holds the table already */
	assert_int_equal(scan_all(s, &packed, &from_pack), 0);
	assert_true(from_pack);
	assert_int_equal(packed.len, table.len);
	assert_memory_equal(packed.data, table.data, table.len);
	/* a write leaves the copy unused until it is made again */
	put(s, RK_OFFER, "desk", NULL);
	assert_int_equal(scan_all(s, &table, &from_pack), 0);
	assert_false(from_pack);
	assert_int_equal(entries(s, &mf), 2);
	assert_true(pack(s));
	assert_int_equal(scan_all(s, &packed, &from_pack), 0);
	assert_true(from_pack);
	assert_int_equal(packed.len, table.len);
	assert_memory_equal(packed.data, table.data, table.len);
	store_close(s);
	/* a count past the end of the copy (byte 8 + 33: the first group's
	 * count), then an entry's length past it */
	damage_packed(dir, 8 + 33, 0xff);
	s = open_with(dir, &mf.derive);
	assert_int_equal(scan_all(s, &packed, &from_pack), GL_ESTORE);
	assert_true(from_pack);
	store_close(s);
	damage_packed(dir, 8 + 33, 2);
	damage_packed(dir, 8 + 33 + 4 + 1, 0xff);
	s = open_with(dir, &mf.derive);
	assert_int_equal(scan_all(s, &packed, &from_pack), GL_ESTORE);
	store_close(s);
	gl_buf_free(&table);
	gl_buf_free(&packed);
	tu_rmtree(dir);
}

struct first {
	uint8_t val[512];
	size_t len;
};

static int first_value(void *ctx, const uint8_t *rkey, size_t rlen, const uint8_t *val, size_t len)
{
	(void)rkey;
	(void)rlen;
	struct first *f = ctx;
	assert_true(len <= sizeof f->val);
	memcpy(f->val, val, len);
	f->len = len;
	return 1;
}

/* Every field of the facts goes through the table's value unchanged: the
 * value decodes to what reading the body gives, byte for byte, and a
 * value cut short or with a byte too many is refused. */
static void test_roundtrip(void **state)
{
	(void)state;
	static const char *const bodies[] = {
		"{\"needs\": [\"financing-loan\", \"coaching\"], \"languages\": [\"nl\", \"fr\"],"
		" \"partner\": \"p\", \"cost\": {\"free\": true}, \"status\": \"inactive\","
		" \"valid_until\": \"2031-06-30\", \"eligibility\": {\"phases\": [\"start\", \"growth\"],"
		" \"sectors\": [\"biotech\", \"nosuch\"], \"activities\": [\"shop\"],"
		" \"areas\": [\"oost-vlaanderen\"], \"schools\": [\"ugent\", \"odisee\"],"
		" \"student\": \"only\", \"international\": \"excluded\", \"jobseeker\": \"only\","
		" \"staff_from_abroad\": \"only\", \"experienced\": \"excluded\","
		" \"max_company_age\": 5, \"min_employees\": 2, \"max_employees\": 4000000000,"
		" \"premises\": [\"online\", \"have\"],"
		" \"soft\": [\"sectors\", \"max_company_age\", \"premises\", \"max_employees\","
		" \"experienced\"]}}",
		"{}",
		"{\"needs\": [\"legal\"], \"valid_until\": \"1969-12-31\"}",
	};
	struct match_facts mf;
	match_facts_init(&mf, tax);
	for (size_t b = 0; b < sizeof bodies / sizeof bodies[0]; b++) {
		char dir[64];
		assert_int_equal(tu_tmpdir(dir, "facts-roundtrip"), 0);
		struct store *s = open_with(dir, &mf.derive);
		put(s, RK_OFFER, "all", bodies[b]);
		struct store_txn *t;
		struct store_entry e;
		struct record r;
		struct first f = { .len = 0 };
		assert_int_equal(store_begin(s, false, &t, NULL), 0);
		assert_int_equal(store_derived_scan(t, first_value, &f, NULL), 1);
		assert_int_equal(store_get(t, pk, RK_OFFER, "all", 3, &e, NULL), 0);
		assert_int_equal(record_parse(e.env, e.env_len, &r, NULL), 0);
		struct eligibility_offer want, got;
		char partner[GL_ID_MAX + 1];
		eligibility_offer_read(tax, r.body, r.body_len, &want);
		assert_true(match_facts_decode(f.val, f.len, &got, partner));
		assert_memory_equal(&got, &want, sizeof want);
		assert_string_equal(partner, b == 0 ? "p" : "");
		assert_true(f.len < 64); /* compact, not the struct */
		for (size_t cut = 0; cut < f.len; cut++)
			assert_false(match_facts_decode(f.val, cut, &got, partner));
		f.val[f.len] = 'x';
		assert_false(match_facts_decode(f.val, f.len + 1, &got, partner));
		store_abort(t);
		store_close(s);
		tu_rmtree(dir);
	}
}

/* A match from the cache's copy is the same as one from the store, after
 * each kind of change. */
static void same_with_cache(struct store *s, struct match_cache *mc, const char *profile)
{
	json_t *x = match(s, profile), *y = match_with(s, profile, mc);
	char *tx = json_dumps(x, JSON_SORT_KEYS), *ty = json_dumps(y, JSON_SORT_KEYS);
	assert_string_equal(tx, ty);
	free(tx);
	free(ty);
	json_decref(x);
	json_decref(y);
}

static int offers_of(struct store *s, struct match_cache *mc, const char *profile)
{
	json_t *x = match_with(s, profile, mc);
	int n = (int)json_integer_value(json_object_get(x, "offers_considered"));
	json_decref(x);
	return n;
}

static void test_cache(void **state)
{
	(void)state;
	static const char *const profile =
		"{\"phase\": \"start\", \"needs\": [\"coaching\", \"financing\"], \"lang\": \"en\"}";
	char dir[64];
	struct match_facts mf;
	match_facts_init(&mf, tax);
	assert_int_equal(tu_tmpdir(dir, "facts-cache"), 0);
	struct store *s = open_with(dir, &mf.derive);
	struct match_cache *mc = match_cache_new(MATCH_CACHE_BYTES);
	put(s, RK_PARTNER, "p", "{\"name\": {\"nl\": \"P\", \"en\": \"P\"}}");
	put(s, RK_OFFER, "desk", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"],"
	    " \"partner\": \"p\"}");
	put(s, RK_OFFER, "loan", "{\"needs\": [\"financing-loan\"], \"languages\": [\"nl\"],"
	    " \"eligibility\": {\"phases\": [\"prestart\"]}}");
	same_with_cache(s, mc, profile); /* makes the copy */
	same_with_cache(s, mc, profile); /* reads it */
	assert_int_equal(offers_of(s, mc, profile), 2);
	/* replaced: now for this starter's phase, and a new one */
	put(s, RK_OFFER, "loan", "{\"needs\": [\"financing\"], \"languages\": [\"en\"],"
	    " \"eligibility\": {\"phases\": [\"start\"]}}");
	put(s, RK_OFFER, "grant", "{\"needs\": [\"financing-grant\"], \"languages\": [\"en\"]}");
	same_with_cache(s, mc, profile);
	assert_int_equal(offers_of(s, mc, profile), 3);
	put(s, RK_OFFER, "desk", NULL); /* deleted */
	same_with_cache(s, mc, profile);
	assert_int_equal(offers_of(s, mc, profile), 2);
	store_close(s);
	/* a writer without the deriver changes the offers: no copy is read */
	s = open_with(dir, NULL);
	put(s, RK_OFFER, "grant", NULL);
	same_with_cache(s, mc, profile);
	assert_int_equal(offers_of(s, mc, profile), 1);
	store_close(s);
	s = open_with(dir, &mf.derive);
	same_with_cache(s, mc, profile);
	assert_int_equal(offers_of(s, mc, profile), 1);
	store_close(s);
	/* offers alike but for one thing judging reads: each judged on its own
	 * (the copy judges the offers of one rule once) */
	static const char *const alike[][2] = {
		{ "a1", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"]}" },
		{ "a2", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"], \"valid_until\": \"2020-01-01\"}" },
		{ "a3", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"], \"status\": \"inactive\"}" },
		{ "a4", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"],"
		        " \"eligibility\": {\"max_company_age\": 1}}" },
		{ "a5", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"],"
		        " \"eligibility\": {\"max_company_age\": 1, \"soft\": [\"max_company_age\"]}}" },
		{ "a6", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"],"
		        " \"eligibility\": {\"student\": \"excluded\"}}" },
		{ "a7", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"],"
		        " \"eligibility\": {\"phases\": [\"growth\"]}}" },
		{ "a8", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"],"
		        " \"eligibility\": {\"max_company_age\": 5}}" },
	};
	s = open_with(dir, &mf.derive);
	for (size_t i = 0; i < sizeof alike / sizeof alike[0]; i++)
		put(s, RK_OFFER, alike[i][0], alike[i][1]);
	static const char *const old_student = "{\"phase\": \"start\", \"needs\": [\"coaching\"],"
		" \"company_age\": 3, \"student\": true, \"lang\": \"en\"}";
	same_with_cache(s, mc, old_student);
	same_with_cache(s, mc, profile);
	json_t *x = match_with(s, old_student, mc);
	/* a2 (over), a3 (inactive), a4 (too old), a6 (a student); a5 is in at a
	 * cost, a7 in for later (growth follows start), a8 and loan in */
	assert_int_equal(json_integer_value(json_object_get(x, "offers_excluded")), 4);
	json_decref(x);
	store_close(s);
	match_cache_free(mc);
	/* a table over the bound is read from the store each time */
	s = open_with(dir, &mf.derive);
	mc = match_cache_new(16);
	same_with_cache(s, mc, profile);
	same_with_cache(s, mc, profile);
	match_cache_free(mc);
	store_close(s);
	tu_rmtree(dir);
}

struct racer {
	struct store *s;
	struct match_cache *mc;
	const char *profile, *want;
	int same;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	for (int i = 0; i < 5; i++) {
		json_t *x = match_with(r->s, r->profile, r->mc);
		char *tx = json_dumps(x, JSON_SORT_KEYS);
		r->same += !strcmp(tx, r->want);
		free(tx);
		json_decref(x);
	}
	return NULL;
}

/* Matches on four threads at once share one cache: one makes the copy,
 * the others wait for it or read the store; every answer is the store's. */
static void test_cache_threads(void **state)
{
	(void)state;
	static const char *const profile =
		"{\"phase\": \"start\", \"needs\": [\"coaching\", \"financing\"], \"lang\": \"en\"}";
	char dir[64];
	struct match_facts mf;
	match_facts_init(&mf, tax);
	assert_int_equal(tu_tmpdir(dir, "facts-threads"), 0);
	struct store *s = open_with(dir, &mf.derive);
	char id[32];
	for (int i = 0; i < 300; i++) {
		snprintf(id, sizeof id, "o%d", i);
		put(s, RK_OFFER, id, i % 2 ? "{\"needs\": [\"coaching\"], \"languages\": [\"en\"]}"
		                           : "{\"needs\": [\"financing-loan\"], \"languages\": [\"nl\"],"
		                             " \"eligibility\": {\"phases\": [\"start\"]}}");
	}
	json_t *x = match(s, profile);
	char *want = json_dumps(x, JSON_SORT_KEYS);
	json_decref(x);
	struct match_cache *mc = match_cache_new(MATCH_CACHE_BYTES);
	struct racer r[4];
	pthread_t th[4];
	for (int k = 0; k < 4; k++) {
		r[k] = (struct racer){ .s = s, .mc = mc, .profile = profile, .want = want };
		assert_int_equal(pthread_create(&th[k], NULL, race, &r[k]), 0);
	}
	for (int k = 0; k < 4; k++) {
		assert_int_equal(pthread_join(th[k], NULL), 0);
		assert_int_equal(r[k].same, 5);
	}
	match_cache_free(mc);
	free(want);
	store_close(s);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_step),
		cmocka_unit_test(test_same_answer),
		cmocka_unit_test(test_generation),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_older_layout),
		cmocka_unit_test(test_packed),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
