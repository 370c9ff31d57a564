/* Unit tests: the signed record envelope (proto/record.c). */
#include "testutil.h"

#include "proto/body.h"
#include "proto/bounds.h"

static uint8_t pk[32], sk[64];

/* A body map {"name": {"nl": .., "en": ..}, "url": ..}. */
static void small_body(struct gl_buf *b)
{
	msgpack_packer p;
	tu_packer(&p, b);
	msgpack_pack_map(&p, 2);
	tu_str(&p, "name");
	msgpack_pack_map(&p, 2);
	tu_str(&p, "nl");
	tu_str(&p, "Starterslening");
	tu_str(&p, "en");
	tu_str(&p, "Starter loan");
	tu_str(&p, "url");
	tu_str(&p, "https://example.org/");
}

static void sign_small(struct gl_buf *env)
{
	struct gl_buf body = { 0 };
	small_body(&body);
	struct record_draft d = { .kind = RK_OFFER, .id = "starter-loan", .id_len = 12,
	                          .version = 7, .issued = 1000, .expires = 2000,
	                          .body = body.data, .body_len = body.len };
	struct gl_error err = { 0 };
	assert_int_equal(record_sign(&d, sk, env, &err), 0);
	gl_buf_free(&body);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct gl_buf env = { 0 };
	sign_small(&env);
	struct record r;
	struct gl_error err = { 0 };
	assert_int_equal(record_open(env.data, env.len, &r, &err), 0);
	assert_memory_equal(r.author, pk, 32);
	assert_int_equal(r.kind, RK_OFFER);
	assert_int_equal(r.id_len, 12);
	assert_memory_equal(r.id, "starter-loan", 12);
	assert_int_equal(r.version, 7);
	assert_int_equal(r.issued, 1000);
	assert_int_equal(r.expires, 2000);
	struct gl_buf body = { 0 };
	small_body(&body);
	assert_int_equal(r.body_len, body.len);
	assert_memory_equal(r.body, body.data, body.len);
	/* signing is deterministic: the same draft gives the same bytes and cid */
	struct gl_buf again = { 0 };
	sign_small(&again);
	assert_int_equal(again.len, env.len);
	assert_memory_equal(again.data, env.data, env.len);
	uint8_t c1[32], c2[32];
	record_cid(env.data, env.len, c1);
	record_cid(again.data, again.len, c2);
	assert_memory_equal(c1, c2, 32);
	gl_buf_free(&env);
	gl_buf_free(&again);
	gl_buf_free(&body);
}

/* An envelope the store holds parses to the same record without its body
 * walked again; its envelope is still checked, and nothing is read past
 * it, however it is cut. */
static void test_parse_held(void **state)
{
	(void)state;
	struct gl_buf env = { 0 };
	sign_small(&env);
	struct record a, b;
	assert_int_equal(record_parse(env.data, env.len, &a, NULL), 0);
	assert_int_equal(record_parse_held(env.data, env.len, &b, NULL), 0);
	assert_true(a.author == b.author && a.kind == b.kind && a.id == b.id &&
	            a.id_len == b.id_len && a.version == b.version && a.issued == b.issued &&
	            a.expires == b.expires && a.body == b.body && a.body_len == b.body_len &&
	            a.sig == b.sig);
	for (size_t cut = 0; cut < env.len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, env.data, cut);
		assert_int_not_equal(record_parse_held(copy, cut, &b, NULL), 0);
		free(copy);
	}
	/* a body of another type than a map is refused, held or not */
	struct record_draft d = { .kind = RK_OFFER, .id = "x", .id_len = 1, .version = 1,
	                          .issued = 1, .expires = 2, .body = (const uint8_t *)"\x93\x01\x02\x03",
	                          .body_len = 4 };
	struct gl_buf bad = { 0 };
	if (record_sign(&d, sk, &bad, NULL) == 0) {
		assert_int_not_equal(record_parse_held(bad.data, bad.len, &b, NULL), 0);
		assert_int_not_equal(record_parse(bad.data, bad.len, &b, NULL), 0);
	}
	gl_buf_free(&bad);
	gl_buf_free(&env);
}

static void test_tombstone(void **state)
{
	(void)state;
	struct gl_buf env = { 0 };
	struct record_draft d = { .kind = RK_NEWS, .id = "n1", .id_len = 2, .version = 2,
	                          .issued = 5, .expires = 6 };
	assert_int_equal(record_sign(&d, sk, &env, NULL), 0);
	struct record r;
	assert_int_equal(record_open(env.data, env.len, &r, NULL), 0);
	assert_null(r.body);
	gl_buf_free(&env);
}

static void test_every_byte_change_is_detected(void **state)
{
	(void)state;
	struct gl_buf env = { 0 };
	sign_small(&env);
	struct record r;
	unsigned parse_failures = 0, sig_failures = 0;
	for (size_t i = 0; i < env.len; i++) {
		uint8_t orig = env.data[i];
		for (unsigned v = 0; v < 256; v++) {
			if (v == orig)
				continue;
			env.data[i] = (uint8_t)v;
			int rc = record_parse(env.data, env.len, &r, NULL);
			if (rc) {
				parse_failures++;
			} else {
				assert_int_equal(record_verify(&r), GL_ESIG);
				sig_failures++;
			}
		}
		env.data[i] = orig;
	}
	assert_int_equal(parse_failures + sig_failures, env.len * 255);
	assert_true(sig_failures > 0 && parse_failures > 0);
	/* and a byte more or less */
	assert_int_not_equal(record_parse(env.data, env.len - 1, &r, NULL), 0);
	gl_buf_append(&env, "", 1);
	assert_int_equal(record_parse(env.data, env.len, &r, NULL), GL_EFORMAT);
	gl_buf_free(&env);
}

/* Build a payload by hand with the given parts, sign it, and parse it. */
struct parts {
	uint64_t format;
	const char *kind;
	const char *id;
	uint64_t version, issued, expires;
	const struct gl_buf *body; /* NULL: nil */
	unsigned extra;            /* extra items appended to the payload array */
};

static int parse_parts(const struct parts *pp, struct gl_error *err)
{
	struct gl_buf payload = { 0 }, env = { 0 };
	msgpack_packer p;
	tu_packer(&p, &payload);
	msgpack_pack_array(&p, 8 + pp->extra);
	msgpack_pack_uint64(&p, pp->format);
	msgpack_pack_bin_with_body(&p, pk, 32);
	tu_str(&p, pp->kind);
	tu_str(&p, pp->id);
	msgpack_pack_uint64(&p, pp->version);
	msgpack_pack_uint64(&p, pp->issued);
	msgpack_pack_uint64(&p, pp->expires);
	if (pp->body)
		gl_buf_append(&payload, pp->body->data, pp->body->len);
	else
		msgpack_pack_nil(&p);
	for (unsigned i = 0; i < pp->extra; i++)
		msgpack_pack_nil(&p);
	tu_envelope(&payload, sk, &env);
	struct record r;
	int rc = record_open(env.data, env.len, &r, err);
	gl_buf_free(&payload);
	gl_buf_free(&env);
	return rc;
}

static const struct parts good = { 1, "offer", "x", 1, 10, 20, NULL, 0 };

static void test_fields_checked(void **state)
{
	(void)state;
	struct parts pp;
	assert_int_equal(parse_parts(&good, NULL), 0);
	pp = good; pp.format = 2;
	assert_int_equal(parse_parts(&pp, NULL), GL_EFORMAT);
	pp = good; pp.kind = "offers";
	assert_int_equal(parse_parts(&pp, NULL), GL_EFORMAT);
	pp = good; pp.id = "Upper";
	assert_int_equal(parse_parts(&pp, NULL), GL_EFORMAT);
	pp = good; pp.id = "-lead";
	assert_int_equal(parse_parts(&pp, NULL), GL_EFORMAT);
	pp = good; pp.id = "";
	assert_int_equal(parse_parts(&pp, NULL), GL_EFORMAT);
	pp = good; pp.id = "a123456789012345678901234567890123456789012345678901234567890123"; /* 64 */
	assert_int_equal(parse_parts(&pp, NULL), 0);
	pp = good; pp.id = "a1234567890123456789012345678901234567890123456789012345678901234"; /* 65 */
	assert_int_equal(parse_parts(&pp, NULL), GL_EFORMAT);
	pp = good; pp.version = 0;
	assert_int_equal(parse_parts(&pp, NULL), GL_EFORMAT);
	pp = good; pp.expires = pp.issued;
	assert_int_equal(parse_parts(&pp, NULL), GL_EFORMAT);
	pp = good; pp.extra = 1;
	assert_int_equal(parse_parts(&pp, NULL), GL_EFORMAT);
	struct gl_buf notmap = { 0 };
	msgpack_packer p;
	tu_packer(&p, &notmap);
	msgpack_pack_array(&p, 0);
	pp = good; pp.body = &notmap;
	assert_int_equal(parse_parts(&pp, NULL), GL_EFORMAT);
	gl_buf_free(&notmap);
}

/* A body with one key whose value is built by fn. */
static int body_with(void (*fn)(msgpack_packer *p, unsigned n), unsigned n)
{
	struct gl_buf body = { 0 };
	msgpack_packer p;
	tu_packer(&p, &body);
	msgpack_pack_map(&p, 1);
	tu_str(&p, "k");
	fn(&p, n);
	struct parts pp = good;
	pp.body = &body;
	struct gl_error err = { 0 };
	int rc = parse_parts(&pp, &err);
	gl_buf_free(&body);
	return rc;
}

static void nest(msgpack_packer *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		msgpack_pack_array(p, 1);
	msgpack_pack_nil(p);
}

static void longstr(msgpack_packer *p, unsigned n)
{
	char *s = gl_xmalloc(n);
	memset(s, 'a', n);
	msgpack_pack_str_with_body(p, s, n);
	free(s);
}

static void wide_array(msgpack_packer *p, unsigned n)
{
	msgpack_pack_array(p, n);
	for (unsigned i = 0; i < n; i++)
		msgpack_pack_true(p);
}

static void wide_map(msgpack_packer *p, unsigned n)
{
	msgpack_pack_map(p, n);
	for (unsigned i = 0; i < n; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%u", i);
		tu_str(p, k);
		msgpack_pack_true(p);
	}
}

static void many_values(msgpack_packer *p, unsigned n)
{
	/* n arrays of 200 items: n * 201 values */
	msgpack_pack_array(p, n);
	for (unsigned i = 0; i < n; i++)
		wide_array(p, 200);
}

/* A value of exactly n values: an array of arrays of true. */
static void exact_values(msgpack_packer *p, unsigned n)
{
	unsigned rest = n - 1, inner = (rest + GL_ARRAY_MAX) / (GL_ARRAY_MAX + 1);
	msgpack_pack_array(p, inner);
	for (unsigned i = 0; i < inner; i++) {
		unsigned take = rest < GL_ARRAY_MAX + 1 ? rest : GL_ARRAY_MAX + 1;
		wide_array(p, take - 1);
		rest -= take;
	}
}

/*
 * PROTOCOL.md 2.5: at most 4,096 values in a payload, counting the payload
 * array, its eight items (the body map among them), and every key and
 * value inside the body.  body_with's payload holds 10 values besides the
 * value under "k": the array, the seven items before the body, the body
 * map and the key "k".
 */
static void test_values_limit(void **state)
{
	(void)state;
	assert_int_equal(body_with(exact_values, GL_VALUES_MAX - 1 - 10), 0);
	assert_int_equal(body_with(exact_values, GL_VALUES_MAX - 10), 0);
	assert_int_equal(body_with(exact_values, GL_VALUES_MAX + 1 - 10), GL_ELIMIT);
}

static void test_limits(void **state)
{
	(void)state;
	/* payload array is depth 1, body map 2, the value under "k" starts at 3 */
	assert_int_equal(body_with(nest, GL_DEPTH_MAX - 2), 0);
	assert_int_equal(body_with(nest, GL_DEPTH_MAX - 1), GL_ELIMIT);
	assert_int_equal(body_with(longstr, GL_STRING_MAX), 0);
	assert_int_equal(body_with(longstr, GL_STRING_MAX + 1), GL_ELIMIT);
	assert_int_equal(body_with(wide_array, GL_ARRAY_MAX), 0);
	assert_int_equal(body_with(wide_array, GL_ARRAY_MAX + 1), GL_ELIMIT);
	assert_int_equal(body_with(wide_map, GL_MAP_MAX), 0);
	assert_int_equal(body_with(wide_map, GL_MAP_MAX + 1), GL_ELIMIT);
	assert_int_equal(body_with(many_values, 20), 0);      /* ~4000 values */
	assert_int_equal(body_with(many_values, 21), GL_ELIMIT);

	/* the whole envelope: 64 KiB at most, whatever its parts */
	struct gl_buf body = { 0 }, env = { 0 };
	msgpack_packer p;
	tu_packer(&p, &body);
	msgpack_pack_map(&p, 5);
	for (int i = 0; i < 5; i++) {
		char k[4] = { 'k', (char)('0' + i), 0 };
		tu_str(&p, k);
		longstr(&p, GL_STRING_MAX - 100);
	}
	struct record_draft d = { .kind = RK_OFFER, .id = "big", .id_len = 3, .version = 1,
	                          .issued = 1, .expires = 2, .body = body.data, .body_len = body.len };
	struct gl_error err = { 0 };
	assert_int_equal(record_sign(&d, sk, &env, &err), GL_ELIMIT);
	assert_non_null(strstr(err.msg, "65536"));
	assert_int_equal(env.len, 0);
	uint8_t *big = gl_xcalloc(GL_RECORD_MAX + 1, 1);
	struct record r;
	assert_int_equal(record_parse(big, GL_RECORD_MAX + 1, &r, NULL), GL_ELIMIT);
	free(big);
	gl_buf_free(&body);
}

static void test_signature_shape(void **state)
{
	(void)state;
	struct gl_buf env = { 0 };
	sign_small(&env);
	/* re-wrap with a 63-byte signature */
	struct record r;
	assert_int_equal(record_parse(env.data, env.len, &r, NULL), 0);
	struct gl_buf bad = { 0 };
	msgpack_packer p;
	tu_packer(&p, &bad);
	msgpack_pack_array(&p, 2);
	msgpack_pack_bin_with_body(&p, r.payload, r.payload_len);
	msgpack_pack_bin_with_body(&p, r.sig, 63);
	assert_int_equal(record_parse(bad.data, bad.len, &r, NULL), GL_EFORMAT);
	/* another author's signature over the same payload */
	uint8_t pk2[32], sk2[64];
	tu_keypair(9, pk2, sk2);
	assert_int_equal(record_parse(env.data, env.len, &r, NULL), 0);
	struct gl_buf payload = { 0 }, forged = { 0 };
	gl_buf_append(&payload, r.payload, r.payload_len);
	tu_envelope(&payload, sk2, &forged);
	assert_int_equal(record_open(forged.data, forged.len, &r, NULL), GL_ESIG);
	gl_buf_free(&env);
	gl_buf_free(&bad);
	gl_buf_free(&payload);
	gl_buf_free(&forged);
}

static void test_wins_and_items(void **state)
{
	(void)state;
	uint8_t a[32] = { 1 }, b[32] = { 2 };
	assert_true(record_wins(2, a, 1, b));
	assert_false(record_wins(1, b, 2, a));
	assert_true(record_wins(1, b, 1, a));
	assert_false(record_wins(1, a, 1, b));
	assert_false(record_wins(1, a, 1, a));
	struct gl_buf e1 = { 0 };
	sign_small(&e1);
	struct record r;
	assert_int_equal(record_parse(e1.data, e1.len, &r, NULL), 0);
	uint8_t cid[32], item[32], kh[16];
	record_cid(e1.data, e1.len, cid);
	record_item(&r, cid, item);
	record_keyhash(pk, RK_OFFER, "starter-loan", 12, kh);
	assert_memory_equal(item, kh, 16);
	const uint8_t ver[8] = { 0, 0, 0, 0, 0, 0, 0, 7 };
	assert_memory_equal(item + 16, ver, 8);
	assert_memory_equal(item + 24, cid, 8);
	/* the same layout from the key's parts, as the store and publishing make it */
	uint8_t of[32];
	record_item_of(pk, RK_OFFER, "starter-loan", 12, 7, cid, of);
	assert_memory_equal(of, item, 32);
	record_item_of(pk, RK_OFFER, "starter-loan", 12, 8, cid, of);
	assert_true(memcmp(of, item, 32) > 0); /* a later version sorts after */
	gl_buf_free(&e1);
}

/*
 * A body of every shape the accessors read: {"name": {"fr": "Prêt",
 * "en": "Loan", "nl": "Lening"}, "title": {"de": 7, "fr": "Titre"},
 * "url": "https://x/", "n": 42, "neg": -3, "big": 2^64-1, "free": true,
 * "tags": ["a", 5, "b"], "eligibility": {"phases": ["start"],
 * "soft": {"age": false}}, "none": nil}, signed and parsed.
 */
static void signed_body(struct gl_buf *env, struct record *r)
{
	struct gl_buf b = { 0 };
	msgpack_packer p;
	tu_packer(&p, &b);
	msgpack_pack_map(&p, 10);
	tu_str(&p, "name");
	msgpack_pack_map(&p, 3);
	tu_str(&p, "fr"); tu_str(&p, "Prêt");
	tu_str(&p, "en"); tu_str(&p, "Loan");
	tu_str(&p, "nl"); tu_str(&p, "Lening");
	tu_str(&p, "title");
	msgpack_pack_map(&p, 2);
	tu_str(&p, "de"); msgpack_pack_uint8(&p, 7);
	tu_str(&p, "fr"); tu_str(&p, "Titre");
	tu_str(&p, "url"); tu_str(&p, "https://x/");
	tu_str(&p, "n"); msgpack_pack_uint8(&p, 42);
	tu_str(&p, "neg"); msgpack_pack_int8(&p, -3);
	tu_str(&p, "big"); msgpack_pack_uint64(&p, UINT64_MAX);
	tu_str(&p, "free"); msgpack_pack_true(&p);
	tu_str(&p, "tags");
	msgpack_pack_array(&p, 3);
	tu_str(&p, "a"); msgpack_pack_uint8(&p, 5); tu_str(&p, "b");
	tu_str(&p, "eligibility");
	msgpack_pack_map(&p, 2);
	tu_str(&p, "phases");
	msgpack_pack_array(&p, 1);
	tu_str(&p, "start");
	tu_str(&p, "soft");
	msgpack_pack_map(&p, 1);
	tu_str(&p, "age"); msgpack_pack_false(&p);
	tu_str(&p, "none"); msgpack_pack_nil(&p);
	struct record_draft d = { .kind = RK_OFFER, .id = "shapes", .id_len = 6, .version = 1,
	                          .issued = 1, .expires = 2, .body = b.data, .body_len = b.len };
	assert_int_equal(record_sign(&d, sk, env, NULL), 0);
	assert_int_equal(record_parse(env->data, env->len, r, NULL), 0);
	gl_buf_free(&b);
}

static bool text_is(const uint8_t *s, uint32_t sl, const char *want)
{
	return sl == strlen(want) && !memcmp(s, want, sl);
}

static void test_body_accessors(void **state)
{
	(void)state;
	struct gl_buf env = { 0 };
	struct record r;
	signed_body(&env, &r);
	const uint8_t *b = r.body, *s, *v;
	size_t n = r.body_len, vl;
	uint32_t sl;
	char buf[8];
	/* language text: asked, then en, nl, the first string; plain strings as they are */
	assert_true(body_text(b, n, "name", "nl", &s, &sl) && text_is(s, sl, "Lening"));
	assert_true(body_text(b, n, "name", "de", &s, &sl) && text_is(s, sl, "Loan"));
	assert_true(body_text(b, n, "name", NULL, &s, &sl) && text_is(s, sl, "Loan"));
	assert_true(body_text(b, n, "title", "en", &s, &sl) && text_is(s, sl, "Titre"));
	assert_true(body_text(b, n, "url", "nl", &s, &sl) && text_is(s, sl, "https://x/"));
	assert_false(body_text(b, n, "n", "nl", &s, &sl));
	assert_false(body_text(b, n, "missing", "nl", &s, &sl));
	/* strings copied whole or not at all */
	assert_false(body_str_copy(b, n, "url", buf, sizeof buf)); /* 10 bytes and a NUL */
	assert_string_equal(buf, "");
	char url[11];
	assert_true(body_str_copy(b, n, "url", url, sizeof url));
	assert_string_equal(url, "https://x/");
	assert_false(body_str_copy(b, n, "url", url, 10));
	assert_false(body_str_copy(b, n, "n", url, sizeof url));
	/* integers and booleans */
	int64_t i;
	bool t;
	assert_true(body_int(b, n, "n", &i) && i == 42);
	assert_true(body_int(b, n, "neg", &i) && i == -3);
	assert_false(body_int(b, n, "big", &i));
	assert_false(body_int(b, n, "url", &i));
	assert_true(body_bool(b, n, "free", &t) && t);
	assert_false(body_bool(b, n, "n", &t));
	assert_false(body_bool(b, n, "none", &t));
	/* arrays of strings: other items passed over */
	struct body_iter it;
	assert_true(body_strs(b, n, "tags", &it));
	assert_true(body_strs_next(&it, &s, &sl) && text_is(s, sl, "a"));
	assert_true(body_strs_next(&it, &s, &sl) && text_is(s, sl, "b"));
	assert_false(body_strs_next(&it, &s, &sl));
	assert_false(body_strs(b, n, "url", &it));
	bool present;
	assert_true(body_lists(b, n, "tags", "b", &present) && present);
	assert_false(body_lists(b, n, "tags", "c", &present));
	assert_true(present);
	assert_false(body_lists(b, n, "nothing", "a", &present));
	assert_false(present);
	/* nested maps read as bodies */
	assert_true(body_value(b, n, "eligibility", &v, &vl));
	assert_true(body_lists(v, vl, "phases", "start", &present));
	const uint8_t *soft;
	size_t softl;
	assert_true(body_value(v, vl, "soft", &soft, &softl));
	assert_true(body_bool(soft, softl, "age", &t) && !t);
	assert_false(body_value(b, n, "phases", &v, &vl)); /* not at the top */
	/* a map's entries, in order, each value a body or a string */
	assert_true(body_entries(b, n, &it));
	const uint8_t *k;
	uint32_t kl;
	unsigned entries = 0;
	while (body_entries_next(&it, &k, &kl, &v, &vl)) {
		entries++;
		if (text_is(k, kl, "url"))
			assert_true(body_value_str(v, vl, &s, &sl) && text_is(s, sl, "https://x/"));
		if (text_is(k, kl, "name"))
			assert_false(body_value_str(v, vl, &s, &sl));
	}
	assert_int_equal(entries, 10);
	assert_false(body_entries(b + 1, n - 1, &it)); /* a key, not a map */
	assert_false(body_str(NULL, 0, "url", &s, &sl)); /* a tombstone has no fields */
	gl_buf_free(&env);
}

static void test_span(void **state)
{
	(void)state;
	struct gl_buf two = { 0 };
	sign_small(&two);
	size_t one = two.len;
	sign_small(&two);
	size_t span;
	assert_int_equal(record_span(two.data, two.len, &span, NULL), 0);
	assert_int_equal(span, one);
	for (size_t n = 0; n < one; n++)
		assert_int_equal(record_span(two.data, n, &span, NULL), GL_ETRUNC);
	/* the key is read without the rest, and is the parsed record's */
	struct record r;
	struct record_key k;
	assert_int_equal(record_parse(two.data, one, &r, NULL), 0);
	assert_int_equal(record_peek_key(two.data, one, &k), 0);
	assert_ptr_equal(k.author, r.author);
	assert_int_equal(k.kind, r.kind);
	assert_int_equal(k.id_len, r.id_len);
	assert_ptr_equal(k.id, r.id);
	/* cut before the end of the id, it cannot be read */
	size_t id_end = (size_t)((const uint8_t *)r.id + r.id_len - two.data);
	for (size_t n = 0; n < id_end; n++)
		assert_int_not_equal(record_peek_key(two.data, n, &k), 0);
	assert_int_not_equal(record_peek_key((const uint8_t *)"{\"json\": 1}", 11, &k), 0);
	gl_buf_free(&two);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	tu_keypair(7, pk, sk);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tombstone),
		cmocka_unit_test(test_every_byte_change_is_detected),
		cmocka_unit_test(test_fields_checked),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_values_limit),
		cmocka_unit_test(test_signature_shape),
		cmocka_unit_test(test_wins_and_items),
		cmocka_unit_test(test_span),
		cmocka_unit_test(test_body_accessors),
		cmocka_unit_test(test_parse_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
