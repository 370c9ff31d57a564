/* Unit tests: rateless IBLT coding and the multiset hash under reconciliation
 * v3 (proto/riblt.c). */
#include "testutil.h"

#include <math.h>

#include "proto/riblt.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void rnd_item(uint8_t x[32])
{
	for (int i = 0; i < 32; i++)
		x[i] = (uint8_t)rnd();
}

static int cmp_item(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* A sketch's digest (into d, returned for use in an argument list). */
static const uint8_t *dg(const struct riblt_sketch *s, uint8_t d[RIBLT_DIGEST])
{
	riblt_sketch_digest(s, d);
	return d;
}

/* The empty set's digest by the definition: BLAKE2b-256 of the tag and
 * 2048 zero bytes. */
static void empty_digest(uint8_t d[RIBLT_DIGEST])
{
	uint8_t b[16 + RIBLT_STATE] = { 0 };
	memcpy(b, "gilde-recon-v3/d", 16);
	crypto_generichash(d, RIBLT_DIGEST, b, sizeof b, NULL, 0);
}

/* ---- the index walk ---- */

/* The next index by the definition, scanning instead of searching:
 * the smallest j' > j with (j'+1)(j'+2)(r+1) > (j+1)(j+2) 2^32. */
static uint32_t next_by_definition(uint32_t j, uint64_t r)
{
	unsigned __int128 lhs = (unsigned __int128)((uint64_t)(j + 1) * (j + 2)) << 32;
	uint64_t k = (uint64_t)j + 1;
	while (k < RIBLT_SYMBOLS_MAX && (unsigned __int128)((k + 1) * (k + 2)) * (r + 1) <= lhs)
		k++;
	return (uint32_t)k;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void test_walk_matches_definition(void **state)
{
	(void)state;
	rng_state = 1;
	for (int t = 0; t < 3000; t++) {
		uint64_t seed = rnd(), s = seed;
		struct riblt_walk w;
		riblt_walk_start(&w, seed);
		assert_int_equal(w.index, 0);
		uint32_t j = 0;
		for (;;) {
			uint32_t want = next_by_definition(j, splitmix(&s) >> 32);
			bool more = riblt_walk_next(&w);
			assert_int_equal(w.index, want);
			assert_int_equal(more, want < RIBLT_SYMBOLS_MAX);
			if (!more)
				break;
			assert_true(w.index > j);
			j = w.index;
		}
		/* a finished walk stays finished */
		assert_false(riblt_walk_next(&w));
		assert_int_equal(w.index, RIBLT_SYMBOLS_MAX);
	}
}

/* An item is in symbol i with probability 2/(i+2). */
static void test_walk_probability(void **state)
{
	(void)state;
	enum { N = 200000, K = 64 };
	static unsigned hits[K];
	memset(hits, 0, sizeof hits);
	rng_state = 2;
	for (int t = 0; t < N; t++) {
		struct riblt_walk w;
		riblt_walk_start(&w, rnd());
		do {
			if (w.index >= K)
				break;
			hits[w.index]++;
		} while (riblt_walk_next(&w));
	}
	assert_int_equal(hits[0], N);
	for (int i = 1; i < K; i++) {
		double p = 2.0 / (i + 2), want = N * p, sd = sqrt(N * p * (1 - p));
		if (fabs(hits[i] - want) > 5 * sd)
			fail_msg("index %d: %u hits, expected %.0f +- %.0f", i, hits[i], want, sd);
	}
}

/* ---- sketches ---- */

static void assert_sketch_equal(const struct riblt_sketch *a, const struct riblt_sketch *b)
{
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->n, b->n);
	assert_memory_equal(a->state, b->state, sizeof a->state);
	uint8_t da[RIBLT_DIGEST], db[RIBLT_DIGEST];
	assert_memory_equal(dg(a, da), dg(b, db), RIBLT_DIGEST);
	for (uint32_t i = 0; i < a->size; i++) {
		assert_memory_equal(a->sym[i].sum, b->sym[i].sum, 32);
		assert_int_equal(a->sym[i].chk, b->sym[i].chk);
		assert_int_equal(a->sym[i].count, b->sym[i].count);
	}
}

static void test_sketch_incremental(void **state)
{
	(void)state;
	enum { N = 600 };
	static uint8_t items[N][32];
	rng_state = 3;
	for (int i = 0; i < N; i++)
		rnd_item(items[i]);
	/* kept: every item but those with i % 3 == 1, which come and go */
	struct riblt_sketch inc, fresh;
	assert_int_equal(riblt_sketch_init(&inc, 512), 0);
	assert_int_equal(riblt_sketch_init(&fresh, 512), 0);
	for (int i = 0; i < N; i++)
		riblt_sketch_add(&inc, items[i]);
	for (int i = 1; i < N; i += 3)
		riblt_sketch_remove(&inc, items[i]);
	for (int i = N - 1; i >= 0; i--)
		if (i % 3 != 1)
			riblt_sketch_add(&fresh, items[i]);
	assert_sketch_equal(&inc, &fresh);
	/* what a sketch holds for one item: symbol 0 always, its walk otherwise */
	struct riblt_sketch one;
	assert_int_equal(riblt_sketch_init(&one, 512), 0);
	riblt_sketch_add(&one, items[0]);
	assert_int_equal(one.sym[0].count, 1);
	assert_memory_equal(one.sym[0].sum, items[0], 32);
	uint32_t chk;
	uint64_t seed;
	riblt_hash(items[0], &chk, &seed);
	assert_int_equal(one.sym[0].chk, chk);
	/* its state is L(x) */
	uint16_t l[RIBLT_LANES];
	riblt_lanes(items[0], l);
	assert_memory_equal(one.state, l, sizeof l);
	/* removing everything leaves the empty sketch: state zero, the empty digest */
	riblt_sketch_remove(&one, items[0]);
	static const uint16_t zero[RIBLT_LANES];
	uint8_t d[RIBLT_DIGEST], e[RIBLT_DIGEST];
	empty_digest(e);
	assert_int_equal(one.n, 0);
	assert_memory_equal(one.state, zero, sizeof zero);
	assert_memory_equal(dg(&one, d), e, RIBLT_DIGEST);
	for (uint32_t i = 0; i < one.size; i++)
		assert_int_equal(one.sym[i].count, 0);
	/* copies are equal and independent */
	struct riblt_sketch cp = { 0 };
	riblt_sketch_copy(&cp, &inc);
	assert_sketch_equal(&cp, &inc);
	riblt_sketch_add(&cp, items[1]);
	assert_int_not_equal(cp.n, inc.n);
	riblt_sketch_free(&cp);
	riblt_sketch_free(&one);
	riblt_sketch_free(&inc);
	riblt_sketch_free(&fresh);
	assert_int_equal(riblt_sketch_init(&one, 0), GL_EINVAL);
	assert_int_equal(riblt_sketch_init(&one, RIBLT_SYMBOLS_MAX + 1), GL_EINVAL);
}

static void test_encode_layout(void **state)
{
	(void)state;
	struct riblt_sketch s;
	assert_int_equal(riblt_sketch_init(&s, 4), 0);
	memset(s.sym[2].sum, 0xab, 32);
	s.sym[2].chk = 0x01020304u;
	s.sym[2].count = 257; /* travels as 1 */
	uint8_t out[2 * RIBLT_SYMBOL_WIRE], counts[3];
	riblt_sketch_encode(&s, 2, 2, out);
	for (int i = 0; i < 32; i++)
		assert_int_equal(out[i], 0xab);
	assert_int_equal(out[32], 0x04);
	assert_int_equal(out[35], 0x01);
	assert_int_equal(out[36], 1);
	assert_int_equal(out[RIBLT_SYMBOL_WIRE + 36], 0);
	riblt_sketch_counts(&s, 1, 3, counts);
	assert_int_equal(counts[1], 1);
	riblt_sketch_free(&s);
}

/* ---- decoding ---- */

struct pair {
	struct riblt_sketch a, b; /* a: the peer's, b: own */
	uint8_t (*aonly)[32], (*bonly)[32];
	size_t na, nb;
};

/* n shared items, da only in a, db only in b. */
static void make_pair(struct pair *p, uint32_t size, size_t n, size_t da, size_t db)
{
	uint8_t x[32];
	memset(p, 0, sizeof *p);
	assert_int_equal(riblt_sketch_init(&p->a, size), 0);
	assert_int_equal(riblt_sketch_init(&p->b, size), 0);
	for (size_t i = 0; i < n; i++) {
		rnd_item(x);
		riblt_sketch_add(&p->a, x);
		riblt_sketch_add(&p->b, x);
	}
	p->aonly = gl_xmalloc((da + 1) * 32);
	p->bonly = gl_xmalloc((db + 1) * 32);
	for (size_t i = 0; i < da; i++) {
		rnd_item(p->aonly[i]);
		riblt_sketch_add(&p->a, p->aonly[i]);
	}
	for (size_t i = 0; i < db; i++) {
		rnd_item(p->bonly[i]);
		riblt_sketch_add(&p->b, p->bonly[i]);
	}
	p->na = da;
	p->nb = db;
	qsort(p->aonly, da, 32, cmp_item);
	qsort(p->bonly, db, 32, cmp_item);
}

static void pair_free(struct pair *p)
{
	riblt_sketch_free(&p->a);
	riblt_sketch_free(&p->b);
	free(p->aonly);
	free(p->bonly);
}

static int decode(struct pair *p, uint32_t end, struct riblt_result *r)
{
	uint8_t *w = gl_xmalloc((size_t)end * RIBLT_SYMBOL_WIRE + 1);
	riblt_sketch_encode(&p->a, 0, end, w);
	int rc = riblt_decode(w, end, &p->b, r, NULL);
	free(w);
	return rc;
}

static void test_decode_round_trip(void **state)
{
	(void)state;
	uint8_t da[RIBLT_DIGEST];
	static const size_t cases[][2] = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { 3, 2 }, { 25, 25 },
	                                   { 100, 0 }, { 150, 150 } };
	rng_state = 4;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct pair p;
		size_t d = cases[c][0] + cases[c][1];
		make_pair(&p, 2048, 300, cases[c][0], cases[c][1]);
		struct riblt_result r = { 0 };
		uint32_t end = (uint32_t)(3 * d + 10);
		assert_int_equal(decode(&p, end, &r), 0);
		assert_int_equal(r.nplus, p.na);
		assert_int_equal(r.nminus, p.nb);
		if (p.na)
			assert_memory_equal(r.plus, p.aonly, p.na * 32);
		if (p.nb)
			assert_memory_equal(r.minus, p.bonly, p.nb * 32);
		assert_int_equal(riblt_verify(&r, &p.b, p.a.n, dg(&p.a, da), NULL), 0);
		riblt_result_free(&r);
		pair_free(&p);
	}
}

static void test_decode_needs_more(void **state)
{
	(void)state;
	rng_state = 5;
	struct pair p;
	make_pair(&p, 1024, 100, 40, 40);
	struct riblt_result r = { 0 };
	assert_int_equal(decode(&p, 30, &r), 1);
	assert_null(r.plus);
	/* and own sketches smaller than what is to be decoded are refused */
	assert_int_equal(decode(&p, 1024, &r), 0);
	riblt_result_free(&r);
	uint8_t w[RIBLT_SYMBOL_WIRE];
	assert_int_equal(riblt_decode(w, 1025, &p.b, &r, NULL), GL_EINVAL);
	pair_free(&p);
}

/* A decoded difference that is not the whole truth fails the check. */
static void test_verify_rejects(void **state)
{
	(void)state;
	uint8_t da[RIBLT_DIGEST];
	rng_state = 6;
	struct pair p;
	make_pair(&p, 512, 50, 10, 10);
	struct riblt_result r = { 0 };
	assert_int_equal(decode(&p, 100, &r), 0);
	assert_int_equal(riblt_verify(&r, &p.b, p.a.n, dg(&p.a, da), NULL), 0);
	assert_int_equal(riblt_verify(&r, &p.b, p.a.n + 1, dg(&p.a, da), NULL), GL_EPROTO);
	uint8_t bad[32];
	memcpy(bad, dg(&p.a, da), 32);
	bad[0] ^= 1;
	assert_int_equal(riblt_verify(&r, &p.b, p.a.n, bad, NULL), GL_EPROTO);
	/* one item swapped for another: count right, digest wrong */
	r.plus[0][31] ^= 1;
	struct gl_error err = { 0 };
	assert_int_equal(riblt_verify(&r, &p.b, p.a.n, dg(&p.a, da), &err), GL_EPROTO);
	assert_non_null(strstr(err.msg, "digest"));
	/* one item dropped, one of ours added in its place */
	r.plus[0][31] ^= 1;
	r.nplus--;
	assert_int_equal(riblt_verify(&r, &p.b, p.a.n, dg(&p.a, da), NULL), GL_EPROTO);
	r.nplus++;
	riblt_result_free(&r);
	pair_free(&p);
}

/*
 * Crafted symbols: symbol 0 shows item x alone, and symbol j of x's walk
 * holds nothing but a count of 2, so that peeling x from 0 leaves x pure in
 * j again.  Peeling must not go round for ever: the item may be peeled
 * once, and the decode fails.
 */
static void test_decode_crafted_repeat(void **state)
{
	(void)state;
	struct riblt_sketch own;
	assert_int_equal(riblt_sketch_init(&own, 64), 0);
	uint8_t x[32], w[64 * RIBLT_SYMBOL_WIRE];
	memset(x, 0x42, 32);
	uint32_t chk;
	uint64_t seed;
	riblt_hash(x, &chk, &seed);
	struct riblt_walk walk;
	riblt_walk_start(&walk, seed);
	assert_true(riblt_walk_next(&walk));
	uint32_t j = walk.index;
	assert_true(j < 64);
	memset(w, 0, sizeof w);
	memcpy(w, x, 32);
	for (int i = 0; i < 4; i++)
		w[32 + i] = (uint8_t)(chk >> (8 * i));
	w[36] = 1;
	w[j * RIBLT_SYMBOL_WIRE + 36] = 2;
	struct riblt_result r = { 0 };
	struct gl_error err = { 0 };
	int rc = riblt_decode(w, 64, &own, &r, &err);
	assert_int_equal(rc, GL_EPROTO);
	assert_null(r.plus);
	riblt_sketch_free(&own);
}

/* Random symbols never crash, never loop, and never pass the check. */
static void test_decode_garbage(void **state)
{
	(void)state;
	uint8_t da[RIBLT_DIGEST];
	rng_state = 7;
	struct pair p;
	make_pair(&p, 256, 100, 5, 5);
	uint8_t *w = gl_xmalloc(256 * RIBLT_SYMBOL_WIRE);
	int outcomes[3] = { 0 };
	for (int t = 0; t < 300; t++) {
		uint32_t end = 1 + (uint32_t)(rnd() % 256);
		/* half garbage, half the true symbols with a few bytes changed */
		if (t % 2) {
			for (size_t i = 0; i < (size_t)end * RIBLT_SYMBOL_WIRE; i++)
				w[i] = (uint8_t)rnd();
		} else {
			riblt_sketch_encode(&p.a, 0, end, w);
			for (int k = 0; k < 3; k++)
				w[rnd() % ((size_t)end * RIBLT_SYMBOL_WIRE)] ^= (uint8_t)(1 + rnd() % 255);
		}
		struct riblt_result r = { 0 };
		int rc = riblt_decode(w, end, &p.b, &r, NULL);
		assert_true(rc == 0 || rc == 1 || rc == GL_EPROTO);
		outcomes[rc == 0 ? 0 : rc == 1 ? 1 : 2]++;
		if (rc == 0) {
			assert_int_equal(riblt_verify(&r, &p.b, p.a.n, dg(&p.a, da), NULL), GL_EPROTO);
			riblt_result_free(&r);
		}
	}
	/* most damaged streams simply do not decode */
	assert_true(outcomes[1] > 100);
	free(w);
	pair_free(&p);
}

/* L(x) by the definition: ChaCha20 (IETF) under BLAKE2b-256 of the tag and
 * x, nonce zero, the key stream read as little-endian 16-bit lanes. */
static void test_lanes_definition(void **state)
{
	(void)state;
	uint8_t x[32], m[48], k[32], nonce[12] = { 0 }, ks[RIBLT_STATE];
	uint16_t l[RIBLT_LANES];
	rng_state = 8;
	for (int t = 0; t < 20; t++) {
		rnd_item(x);
		memcpy(m, "gilde-recon-v3/l", 16);
		memcpy(m + 16, x, 32);
		crypto_generichash(k, sizeof k, m, sizeof m, NULL, 0);
		/* the stream as blocks of 64 bytes, counter 0, 1, ...: the same bytes */
		for (uint32_t b = 0; b < RIBLT_STATE / 64; b++)
			crypto_stream_chacha20_ietf_xor_ic(ks + 64 * b, (const uint8_t[64]){ 0 }, 64,
			                                   nonce, b, k);
		riblt_lanes(x, l);
		for (int i = 0; i < RIBLT_LANES; i++)
			assert_int_equal(l[i], ks[2 * i] | ks[2 * i + 1] << 8);
	}
}

/* The state is a lane-wise sum modulo 2^16: order-free, additive, and
 * removing undoes adding; the digest hashes the state's bytes. */
static void test_multiset_hash(void **state)
{
	(void)state;
	enum { N = 50 };
	uint8_t x[N][32], d1[RIBLT_DIGEST], d2[RIBLT_DIGEST];
	uint16_t a[RIBLT_LANES] = { 0 }, b[RIBLT_LANES] = { 0 }, l[RIBLT_LANES];
	rng_state = 9;
	for (int i = 0; i < N; i++)
		rnd_item(x[i]);
	for (int i = 0; i < N; i++) {
		riblt_lanes(x[i], l);
		riblt_state_apply(a, l, 1);
		riblt_lanes(x[N - 1 - i], l);
		riblt_state_apply(b, l, 1);
	}
	assert_memory_equal(a, b, sizeof a);
	riblt_state_digest(a, d1);
	riblt_state_digest(b, d2);
	assert_memory_equal(d1, d2, RIBLT_DIGEST);
	/* one item more: another digest; removed again: the same */
	uint8_t y[32];
	rnd_item(y);
	riblt_lanes(y, l);
	riblt_state_apply(b, l, 1);
	riblt_state_digest(b, d2);
	assert_memory_not_equal(d1, d2, RIBLT_DIGEST);
	riblt_state_apply(b, l, -1);
	assert_memory_equal(a, b, sizeof a);
	/* lanes wrap modulo 2^16 */
	uint16_t s[RIBLT_LANES] = { 0 }, one[RIBLT_LANES] = { 0 };
	s[0] = 0xffff;
	one[0] = 1;
	one[1] = 2;
	riblt_state_apply(s, one, 1);
	assert_int_equal(s[0], 0);
	assert_int_equal(s[1], 2);
	riblt_state_apply(s, one, -1);
	riblt_state_apply(s, one, -1);
	assert_int_equal(s[0], 0xfffe);
	assert_int_equal(s[1], 0xfffe);
	/* the digest is BLAKE2b-256 of the tag and the lanes little-endian */
	uint8_t buf[16 + RIBLT_STATE] = { 0 };
	memcpy(buf, "gilde-recon-v3/d", 16);
	buf[16] = 0xfe;
	buf[17] = 0xff;
	buf[18] = 0xfe;
	buf[19] = 0xff;
	crypto_generichash(d1, RIBLT_DIGEST, buf, sizeof buf, NULL, 0);
	riblt_state_digest(s, d2);
	assert_memory_equal(d1, d2, RIBLT_DIGEST);
}

/*
 * A peer's symbols that decode to a difference with the right count but
 * the wrong items (one item of its set swapped for another) are refused by
 * the digest, also when the count alone would pass.
 */
static void test_verify_crafted_swap(void **state)
{
	(void)state;
	uint8_t da[RIBLT_DIGEST], dc[RIBLT_DIGEST];
	rng_state = 10;
	struct pair p;
	make_pair(&p, 256, 80, 6, 4);
	/* c: the peer's set with one of its own items swapped for y */
	struct riblt_sketch c = { 0 };
	riblt_sketch_copy(&c, &p.a);
	uint8_t y[32];
	rnd_item(y);
	riblt_sketch_remove(&c, p.aonly[2]);
	riblt_sketch_add(&c, y);
	assert_int_equal(c.n, p.a.n);
	uint8_t *w = gl_xmalloc(64 * RIBLT_SYMBOL_WIRE);
	riblt_sketch_encode(&c, 0, 64, w);
	struct riblt_result r = { 0 };
	assert_int_equal(riblt_decode(w, 64, &p.b, &r, NULL), 0);
	assert_int_equal(r.nplus, p.na);
	/* the count and digest of the set the symbols are of: accepted */
	assert_int_equal(riblt_verify(&r, &p.b, c.n, dg(&c, dc), NULL), 0);
	/* a's count and digest with c's symbols: the count holds, the digest not */
	struct gl_error err = { 0 };
	assert_int_equal(riblt_verify(&r, &p.b, p.a.n, dg(&p.a, da), &err), GL_EPROTO);
	assert_non_null(strstr(err.msg, "digest"));
	/* and a minus item left out with a plus item dropped: count right, digest not */
	assert_int_equal(riblt_verify(&r, &p.b, c.n, dc, NULL), 0);
	r.nplus--;
	r.nminus--;
	assert_int_equal(riblt_verify(&r, &p.b, c.n, dc, NULL), GL_EPROTO);
	r.nplus++;
	r.nminus++;
	riblt_result_free(&r);
	free(w);
	riblt_sketch_free(&c);
	pair_free(&p);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_matches_definition),
		cmocka_unit_test(test_walk_probability),
		cmocka_unit_test(test_sketch_incremental),
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_decode_round_trip),
		cmocka_unit_test(test_decode_needs_more),
		cmocka_unit_test(test_verify_rejects),
		cmocka_unit_test(test_decode_crafted_repeat),
		cmocka_unit_test(test_decode_garbage),
		cmocka_unit_test(test_lanes_definition),
		cmocka_unit_test(test_multiset_hash),
		cmocka_unit_test(test_verify_crafted_swap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
