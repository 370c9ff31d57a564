/*
 * Unit test: the worked examples in proto/PROTOCOL.md are what this code
 * produces.  Each example value in the document sits in a fenced block
 * after a marker line "<!-- hex:NAME -->"; the test recomputes every value
 * from the inputs the document states and compares.
 */
#include "testutil.h"

#include <ctype.h>

#include "proto/frame.h"
#include "proto/handshake.h"
#include "proto/ident.h"
#include "schemas/jsonmp.h"
#include "schemas/schema.h"
#include "proto/recon.h"
#include "proto/recon2.h"
#include "proto/riblt.h"
#include "proto/wire.h"

static char *doc;

/* The hex after marker NAME, whitespace removed; NULL if absent. */
static char *doc_hex(const char *name)
{
	char marker[64];
	snprintf(marker, sizeof marker, "<!-- hex:%s -->", name);
	const char *m = strstr(doc, marker);
	if (!m)
		return NULL;
	const char *open = strstr(m, "```");
	if (!open)
		return NULL;
	open = strchr(open, '\n');
	const char *close = open ? strstr(open + 1, "```") : NULL;
	if (!close)
		return NULL;
	char *out = gl_xmalloc((size_t)(close - open) + 1);
	size_t n = 0;
	for (const char *p = open; p < close; p++)
		if (isxdigit((unsigned char)*p))
			out[n++] = *p;
	out[n] = '\0';
	return out;
}

static void expect_hex(const char *name, const uint8_t *p, size_t n)
{
	char *want = doc_hex(name);
	char *got = gl_xmalloc(2 * n + 1);
	ident_hex(p, n, got);
	if (!want)
		fail_msg("PROTOCOL.md has no <!-- hex:%s --> block; it should be:\n%s", name, got);
	if (strcmp(want, got) != 0)
		fail_msg("PROTOCOL.md hex:%s differs from the code:\ndoc:  %s\ncode: %s", name, want, got);
	free(want);
	free(got);
}

static const char example_body[] =
	"{\"name\": {\"nl\": \"Voorbeeld\", \"en\": \"Example\"}, "
	"\"description\": {\"nl\": \"Een voorbeeldpartner.\", \"en\": \"An example partner.\"}, "
	"\"url\": \"https://example.org/\", \"org_type\": \"other\"}";

static void test_record_example(void **state)
{
	(void)state;
	uint8_t seed[32], pk[32], sk[64];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	crypto_sign_seed_keypair(pk, sk, seed);
	expect_hex("seed", seed, 32);
	expect_hex("author", pk, 32);
	char text[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, pk, text);
	if (!strstr(doc, text))
		fail_msg("PROTOCOL.md should show the author as %s", text);

	json_t *j = json_loads(example_body, 0, NULL);
	assert_non_null(j);
	struct gl_buf body = { 0 }, env = { 0 };
	assert_int_equal(jsonmp_pack(j, NULL, &body, NULL), 0);
	json_decref(j);
	expect_hex("body", body.data, body.len);

	struct record_draft d = { .kind = RK_PARTNER, .id = "example", .id_len = 7,
	                          .version = 1700000000000ull, .issued = 1700000000,
	                          .expires = 1731536000, .body = body.data, .body_len = body.len };
	assert_int_equal(record_sign(&d, sk, &env, NULL), 0);
	struct record r;
	assert_int_equal(record_open(env.data, env.len, &r, NULL), 0);
	expect_hex("payload", r.payload, r.payload_len);
	expect_hex("signature", r.sig, 64);
	expect_hex("envelope", env.data, env.len);
	uint8_t cid[32], kh[16], item[32];
	record_cid(env.data, env.len, cid);
	expect_hex("content-id", cid, 32);
	record_keyhash(pk, RK_PARTNER, "example", 7, kh);
	expect_hex("keyhash", kh, 16);
	record_item(&r, cid, item);
	expect_hex("item", item, 32);

	/* and the envelope as printed in the document verifies on its own */
	char *hex = doc_hex("envelope");
	size_t n = strlen(hex) / 2;
	uint8_t *bytes = gl_xmalloc(n);
	assert_int_equal(ident_unhex(hex, bytes, n), 0);
	assert_int_equal(record_open(bytes, n, &r, NULL), 0);
	free(bytes);
	free(hex);

	/* a tombstone for the same key, one version later */
	struct record_draft t = { .kind = RK_PARTNER, .id = "example", .id_len = 7,
	                          .version = 1700000000001ull, .issued = 1700000001,
	                          .expires = 1715552001 };
	struct gl_buf tenv = { 0 };
	assert_int_equal(record_sign(&t, sk, &tenv, NULL), 0);
	expect_hex("tombstone", tenv.data, tenv.len);
	gl_buf_free(&tenv);
	gl_buf_free(&body);
	gl_buf_free(&env);
}

/* Section 6.1/6.2: the handshake between two seeded nodes, and the
 * example frame (whose random header cannot be recomputed, but which must
 * open with the initiator's send key). */
/* 2.8: an insight record's body, in the order the document gives. */
static const char insight_body[] =
	"{\"k\": 10, \"level\": 2, \"phase\": \"prestart\", \"sector\": \"retail\", "
	"\"starters\": 14, \"needs\": [{\"need\": \"location-shop\", \"listed\": 12, "
	"\"unmet\": 10}], \"partners\": [{\"need\": \"financing-loan\", \"author\": "
	"\"ed25519:A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg\", \"partner\": \"example\", "
	"\"starters\": 11}], \"orders\": [{\"steps\": [\"administration\", "
	"\"financing-loan\"], \"starters\": 10, \"weeks\": [3]}]}";

static void test_insight_example(void **state)
{
	(void)state;
	uint8_t seed[32], pk[32], sk[64], kh[16];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	crypto_sign_seed_keypair(pk, sk, seed);
	json_t *j = json_loads(insight_body, 0, NULL);
	assert_non_null(j);
	if (!strstr(doc, "\"partner\": \"example\", \"starters\": 11}],"))
		fail_msg("PROTOCOL.md 2.8 should show the example body as this test packs it");
	struct gl_buf body = { 0 };
	assert_int_equal(jsonmp_pack(j, NULL, &body, NULL), 0);
	expect_hex("insight-body", body.data, body.len);
	/* the body follows the insight schema: the receiver's check of 2.7 */
	struct schema_set *set;
	struct gl_error err = { 0 };
	assert_int_equal(schema_set_load(&set, NULL), 0);
	json_object_set_new(j, "kind", json_string("insight"));
	json_object_set_new(j, "id", json_string("prestart.retail"));
	if (schema_validate_json(set, "insight.schema.json", j, "insight", &err))
		fail_msg("the example of 2.8: %s", err.msg);
	schema_set_free(set);
	record_keyhash(pk, RK_INSIGHT, "prestart.retail", 15, kh);
	expect_hex("insight-keyhash", kh, 16);
	json_decref(j);
	gl_buf_free(&body);
}

static void test_handshake_example(void **state)
{
	(void)state;
	uint8_t seed[32], pk_i[32], sk_i[64], pk_r[32], sk_r[64], netkey[32], ei_seed[32], er_seed[32];
	memset(seed, 0x11, 32);
	crypto_sign_seed_keypair(pk_i, sk_i, seed);
	memset(seed, 0x22, 32);
	crypto_sign_seed_keypair(pk_r, sk_r, seed);
	memset(netkey, 0x33, 32);
	memset(ei_seed, 0x44, 32);
	memset(er_seed, 0x55, 32);
	expect_hex("hs-i-pk", pk_i, 32);
	expect_hex("hs-r-pk", pk_r, 32);

	struct hs I, R;
	hs_init_seeded(&I, true, netkey, sk_i, ei_seed);
	hs_init_seeded(&R, false, netkey, sk_r, er_seed);
	/* the seeded ephemeral secret is BLAKE2b-256 of the seed, as stated */
	uint8_t h[32];
	crypto_generichash(h, 32, ei_seed, 32, NULL, 0);
	assert_memory_equal(h, I.e_sk, 32);
	crypto_generichash(h, 32, er_seed, 32, NULL, 0);
	assert_memory_equal(h, R.e_sk, 32);
	expect_hex("hs-ei-secret", I.e_sk, 32);
	expect_hex("hs-ei", I.e_pk, 32);
	expect_hex("hs-er-secret", R.e_sk, 32);
	expect_hex("hs-er", R.e_pk, 32);

	/* intermediate values, from the formulas of 6.1 */
	uint8_t shared[32], box3[32], box4[32], sig_i[64], sig_r[64], m[14 + 96];
	assert_int_equal(crypto_scalarmult(shared, I.e_sk, R.e_pk), 0);
	expect_hex("hs-shared", shared, 32);
	const char *labels[2] = { "box3", "box4" };
	uint8_t *keys[2] = { box3, box4 };
	for (int i = 0; i < 2; i++) {
		crypto_generichash_state st;
		crypto_generichash_init(&st, netkey, 32, 32);
		crypto_generichash_update(&st, (const uint8_t *)"gilde-hs-v1 ", 12);
		crypto_generichash_update(&st, (const uint8_t *)labels[i], 4);
		crypto_generichash_update(&st, shared, 32);
		crypto_generichash_update(&st, I.e_pk, 32);
		crypto_generichash_update(&st, R.e_pk, 32);
		crypto_generichash_final(&st, keys[i], 32);
	}
	expect_hex("hs-box3", box3, 32);
	expect_hex("hs-box4", box4, 32);
	memcpy(m, "gilde-hs-v1 m3", 14);
	memcpy(m + 14, I.e_pk, 32);
	memcpy(m + 46, R.e_pk, 32);
	crypto_sign_detached(sig_i, NULL, m, 78, sk_i);
	expect_hex("hs-sig-i", sig_i, 64);
	memcpy(m, "gilde-hs-v1 m4", 14);
	memcpy(m + 78, pk_i, 32);
	crypto_sign_detached(sig_r, NULL, m, 110, sk_r);
	expect_hex("hs-sig-r", sig_r, 64);

	/* the messages and keys, from the code */
	uint8_t m1[HS_MAX_MSG], m2[HS_MAX_MSG], m3[HS_MAX_MSG], m4[HS_MAX_MSG], none[HS_MAX_MSG];
	size_t outlen;
	bool done;
	struct hs_result ri, rr;
	assert_int_equal(hs_start(&I, m1), HS_M1_LEN);
	expect_hex("hs-m1", m1, HS_M1_LEN);
	assert_int_equal(hs_feed(&R, m1, HS_M1_LEN, m2, &outlen, &done, &rr, NULL), 0);
	assert_int_equal(outlen, HS_M2_LEN);
	expect_hex("hs-m2", m2, HS_M2_LEN);
	assert_int_equal(hs_feed(&I, m2, HS_M2_LEN, m3, &outlen, &done, &ri, NULL), 0);
	assert_int_equal(outlen, HS_M3_LEN);
	expect_hex("hs-m3", m3, HS_M3_LEN);
	assert_int_equal(hs_feed(&R, m3, HS_M3_LEN, m4, &outlen, &done, &rr, NULL), 0);
	assert_true(done);
	assert_int_equal(outlen, HS_M4_LEN);
	expect_hex("hs-m4", m4, HS_M4_LEN);
	assert_int_equal(hs_feed(&I, m4, HS_M4_LEN, none, &outlen, &done, &ri, NULL), 0);
	assert_true(done);
	assert_memory_equal(ri.remote_pk, pk_r, 32);
	assert_memory_equal(rr.remote_pk, pk_i, 32);
	expect_hex("hs-i-tx", ri.tx, 32);
	expect_hex("hs-i-rx", ri.rx, 32);
	expect_hex("hs-recon", ri.recon, 32);
	assert_memory_equal(rr.rx, ri.tx, 32);
	assert_memory_equal(rr.tx, ri.rx, 32);
	assert_memory_equal(rr.recon, ri.recon, 32);
	hs_wipe(&I);
	hs_wipe(&R);

	/* the example frame opens with the initiator's send key */
	char *hex = doc_hex("frame-example");
	if (!hex)
		fail_msg("PROTOCOL.md has no <!-- hex:frame-example --> block");
	size_t n = strlen(hex) / 2;
	uint8_t *bytes = gl_xmalloc(n);
	assert_int_equal(ident_unhex(hex, bytes, n), 0);
	struct frame_rx rx;
	struct gl_buf plain = { 0 };
	size_t used;
	frame_rx_init(&rx, ri.tx);
	assert_int_equal(frame_open(&rx, bytes, n, &used, &plain, NULL), 0);
	assert_int_equal(used, FRAME_HEADER_LEN);
	size_t off = used;
	assert_int_equal(frame_open(&rx, bytes + off, n - off, &used, &plain, NULL), 1);
	assert_int_equal(off + used, n);
	static const uint8_t want[4] = { 0x93, 0x01, 0x01, 0xc0 };
	assert_int_equal(plain.len, 4);
	assert_memory_equal(plain.data, want, 4);
	frame_rx_wipe(&rx);
	gl_buf_free(&plain);
	free(bytes);
	free(hex);
}


/* An array of items as a reconciliation source. */
struct arr_src {
	const uint8_t (*v)[32];
	size_t n;
};

static int arr_scan(void *ctx, const uint8_t *lo, const uint8_t *hi,
                    int (*fn)(void *arg, const uint8_t item[32]), void *arg)
{
	const struct arr_src *a = ctx;
	for (size_t i = 0; i < a->n; i++) {
		if ((lo && memcmp(a->v[i], lo, 32) < 0) || (hi && memcmp(a->v[i], hi, 32) >= 0))
			continue;
		int rc = fn(arg, a->v[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static void test_recon_example(void **state)
{
	(void)state;
	uint8_t key[32], x[3][32], h[3][32];
	memset(key, 0x66, sizeof key);
	const char *names[] = { "recon-x1", "recon-x2", "recon-x3" };
	for (int i = 0; i < 3; i++) {
		char *hex = doc_hex(names[i]);
		assert_non_null(hex);
		assert_int_equal(ident_unhex(hex, x[i], 32), 0);
		free(hex);
		crypto_generichash(h[i], 32, x[i], 32, key, 32);
	}
	expect_hex("recon-h", &h[0][0], sizeof h);
	uint8_t fp[16];
	recon_fingerprint(key, (const uint8_t (*)[32])x, 0, fp);
	expect_hex("recon-fp-empty", fp, 16);
	recon_fingerprint(key, (const uint8_t (*)[32])x, 3, fp);
	expect_hex("recon-fp", fp, 16);
	recon_fingerprint(key, (const uint8_t (*)[32])x + 1, 2, fp);
	expect_hex("recon-fp-23", fp, 16);
	struct arr_src a = { (const uint8_t (*)[32])x, 3 };
	struct recon_source src = { &a, arr_scan };
	struct recon_out out = { 0 };
	assert_int_equal(recon_initiate(&src, key, &out, NULL), 0);
	expect_hex("recon-list", out.msg.data, out.msg.len);
	recon_out_free(&out);
	/* the split bound between x2 and x3: x3's bytes up to the first difference */
	size_t l = 0;
	while (x[1][l] == x[2][l])
		l++;
	expect_hex("recon-bound", x[2], l + 1);
}

/* Section 6.7: reconciliation v3 over the three items of the 6.4 example. */
static void test_recon2_example(void **state)
{
	(void)state;
	uint8_t x[3][32];
	const char *names[] = { "recon-x1", "recon-x2", "recon-x3" };
	for (int i = 0; i < 3; i++) {
		char *hex = doc_hex(names[i]);
		assert_non_null(hex);
		assert_int_equal(ident_unhex(hex, x[i], 32), 0);
		free(hex);
	}
	/* h(x1), the first three draws of its walk, all its indices, k(x1), L(x1) */
	uint8_t m[48], h[16];
	memcpy(m, "gilde-recon-v2/h", 16);
	memcpy(m + 16, x[0], 32);
	crypto_generichash(h, 16, m, 48, NULL, 0);
	expect_hex("recon2-h-x1", h, 16);
	uint32_t chk;
	uint64_t seed;
	riblt_hash(x[0], &chk, &seed);
	assert_int_equal(chk, (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
	                              (uint32_t)h[3] << 24);
	uint64_t st = seed;
	uint8_t draws[12];
	for (int k = 0; k < 3; k++) {
		uint64_t z = (st += 0x9e3779b97f4a7c15u);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
		z ^= z >> 31;
		uint32_t r = (uint32_t)(z >> 32);
		for (int b = 0; b < 4; b++)
			draws[4 * k + b] = (uint8_t)(r >> (24 - 8 * b));
	}
	expect_hex("recon2-draws-x1", draws, sizeof draws);
	uint8_t walk[2 * 64];
	size_t nw = 0;
	struct riblt_walk w;
	riblt_walk_start(&w, seed);
	do {
		walk[nw++] = (uint8_t)(w.index >> 8);
		walk[nw++] = (uint8_t)w.index;
	} while (riblt_walk_next(&w) && nw < sizeof walk);
	expect_hex("recon2-walk-x1", walk, nw);
	uint8_t k[32], lb[RIBLT_STATE];
	uint16_t l[RIBLT_LANES];
	memcpy(m, "gilde-recon-v3/l", 16);
	crypto_generichash(k, 32, m, 48, NULL, 0);
	expect_hex("recon3-k-x1", k, 32);
	riblt_lanes(x[0], l);
	for (int i = 0; i < RIBLT_LANES; i++) {
		lb[2 * i] = (uint8_t)l[i];
		lb[2 * i + 1] = (uint8_t)(l[i] >> 8);
	}
	expect_hex("recon3-l-x1", lb, 32);
	expect_hex("recon3-l-x1-end", lb + RIBLT_STATE - 8, 8);
	uint16_t zero[RIBLT_LANES] = { 0 };
	uint8_t d[RIBLT_DIGEST];
	riblt_state_digest(zero, d);
	expect_hex("recon3-empty", d, 32);

	/* the initiator holds x1, x2, x3; the responder x1 and x3 */
	struct riblt_sketch si, sr;
	assert_int_equal(riblt_sketch_init(&si, 8), 0);
	assert_int_equal(riblt_sketch_init(&sr, 8), 0);
	for (int i = 0; i < 3; i++)
		riblt_sketch_add(&si, x[i]);
	riblt_sketch_add(&sr, x[0]);
	riblt_sketch_add(&sr, x[2]);
	uint8_t sb[32];
	for (int i = 0; i < 16; i++) {
		sb[2 * i] = (uint8_t)si.state[i];
		sb[2 * i + 1] = (uint8_t)(si.state[i] >> 8);
	}
	expect_hex("recon3-state", sb, 32);
	riblt_sketch_digest(&si, d);
	expect_hex("recon3-digest", d, 32);
	uint8_t syms[4 * RIBLT_SYMBOL_WIRE];
	riblt_sketch_encode(&si, 0, 4, syms);
	expect_hex("recon2-symbols", syms, sizeof syms);

	struct gl_buf b = { 0 };
	recon2_msg_start(&b, 1, si.n, d);
	expect_hex("recon2-start", b.data, b.len);
	uint8_t counts[4];
	riblt_sketch_counts(&sr, 1, 4, counts);
	b.len = 0;
	recon2_msg_estimate(&b, 1, sr.n, counts, 4);
	expect_hex("recon2-estimate", b.data, b.len);
	b.len = 0;
	recon2_msg_symbols(&b, 1, 0, 4, si.n, d, syms, 4);
	expect_hex("recon2-symbols-msg", b.data, b.len);
	/* the responder decodes x2, only the initiator's, and takes its key */
	struct riblt_result res = { 0 };
	assert_int_equal(riblt_decode(syms, 4, &sr, &res, NULL), 0);
	assert_int_equal(res.nplus, 1);
	assert_int_equal(res.nminus, 0);
	assert_memory_equal(res.plus[0], x[1], 32);
	assert_int_equal(riblt_verify(&res, &sr, si.n, d, NULL), 0);
	riblt_result_free(&res);
	const uint8_t (*take)[16] = (const uint8_t (*)[16])x[1];
	b.len = 0;
	recon2_msg_end(&b, 1, R2_DECODED, take, 1);
	expect_hex("recon2-end", b.data, b.len);
	b.len = 0;
	recon2_msg_sent(&b, 1, 1);
	expect_hex("recon2-sent", b.data, b.len);
	/* and the session as recon2.c runs it sends exactly these messages */
	struct recon2_init in = { 0 };
	struct recon2_resp re = { 0 };
	struct recon2_out oi = { 0 }, or = { 0 };
	struct recon2_msg msg;
	assert_int_equal(recon2_initiate(&in, 1, &si, &oi, NULL), 0);
	b.len = 0;
	recon2_msg_start(&b, 1, si.n, d);
	assert_int_equal(oi.msgs[0].len, b.len);
	assert_memory_equal(oi.msgs[0].data, b.data, b.len);
	assert_int_equal(recon2_parse(oi.msgs[0].data, oi.msgs[0].len, &msg, NULL), 0);
	assert_int_equal(recon2_responder_on(&re, &sr, &msg, &or, NULL), 0);
	assert_int_equal(recon2_parse(or.msgs[0].data, or.msgs[0].len, &msg, NULL), 0);
	assert_int_equal(msg.type, R2_ESTIMATE);
	assert_int_equal(msg.ncounts, 7); /* a sketch of 8 symbols has counts 1..7 */
	assert_memory_equal(msg.counts, counts, 4);
	recon2_out_reset(&oi);
	assert_int_equal(recon2_initiator_on(&in, &si, &msg, &oi, NULL), 0);
	assert_int_equal(recon2_parse(oi.msgs[0].data, oi.msgs[0].len, &msg, NULL), 0);
	assert_int_equal(msg.type, R2_SYMBOLS);
	assert_int_equal(msg.first, 0);
	assert_memory_equal(msg.symbols, syms, 4 * RIBLT_SYMBOL_WIRE);
	recon2_out_reset(&or);
	assert_int_equal(recon2_responder_on(&re, &sr, &msg, &or, NULL), 0);
	assert_true(or.done);
	assert_int_equal(or.status, R2_DECODED);
	assert_int_equal(or.take.n, 1);
	assert_memory_equal(or.take.v[0], x[1], 32);
	recon2_out_free(&oi);
	recon2_out_free(&or);
	recon2_init_free(&in);
	recon2_resp_free(&re);

	/* HELLO listing reconciliation versions 1 and 3 */
	const char *eps[] = { "node.example.org:7946" };
	b.len = 0;
	wire_hello_recon(&b, "Startersfabriek", eps, 1, 1700000000000u, WIRE_RECON_V3);
	expect_hex("hello-v3", b.data, b.len);
	/* the network key of 6.1's example in its text form */
	uint8_t netkey[32];
	char text[IDENT_TEXT_MAX];
	memset(netkey, 0x33, 32);
	ident_format(IDENT_NET_PREFIX, netkey, text);
	if (!strstr(doc, text))
		fail_msg("PROTOCOL.md should show the network key of 32 bytes 33 as %s", text);
	gl_buf_free(&b);
	riblt_sketch_free(&si);
	riblt_sketch_free(&sr);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *path = tu_source_path("proto/PROTOCOL.md");
	doc = tu_read(path, NULL);
	if (!doc) {
		fprintf(stderr, "cannot read %s\n", path);
		return 1;
	}
	free(path);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_example),
		cmocka_unit_test(test_insight_example),
		cmocka_unit_test(test_recon_example),
		cmocka_unit_test(test_handshake_example),
		cmocka_unit_test(test_recon2_example),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(doc);
	return rc;
}
