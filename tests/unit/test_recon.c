/* Unit tests: range-based set reconciliation (proto/recon.c). */
#include "testutil.h"

#include "proto/mp.h"
#include "proto/recon.h"

/* ---- reproducible randomness: splitmix64 with a fixed seed per test ---- */

static uint64_t rng_state;

static void rnd_seed(uint64_t seed)
{
	rng_state = seed;
}

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* key hash 16 random bytes || version big-endian || content prefix 8 random bytes */
static void make_item(uint8_t x[32], uint64_t version)
{
	rnd_bytes(x, 16);
	put_be64(x + 16, version);
	rnd_bytes(x + 24, 8);
}

static void hex_to(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void to_hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* ---- an in-memory item source: a sorted array ---- */

struct set {
	uint8_t (*v)[32];
	size_t n, cap;
	int fail; /* scan returns this error if non-zero */
};

static void set_add(struct set *s, const uint8_t x[32])
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = gl_xrealloc(s->v, s->cap * 32);
	}
	memcpy(s->v[s->n++], x, 32);
}

static int cmp_item(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static void set_sort(struct set *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, 32, cmp_item);
}

/* Sort, and keep one item per key hash (a node holds at most one). */
static void set_sort_unique(struct set *s)
{
	set_sort(s);
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (k == 0 || memcmp(s->v[k - 1], s->v[i], 16) != 0)
			memmove(s->v[k++], s->v[i], 32);
	s->n = k;
}

/* n random items, sorted */
static void make_set(struct set *s, size_t n)
{
	uint8_t x[32];
	for (size_t i = 0; i < n; i++) {
		make_item(x, 1 + rnd() % 1000000);
		set_add(s, x);
	}
	set_sort(s);
}

static void set_free(struct set *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int set_scan(void *ctx, const uint8_t *lo, const uint8_t *hi,
                    int (*fn)(void *arg, const uint8_t item[RECON_ITEM]), void *arg)
{
	struct set *s = ctx;
	if (s->fail)
		return s->fail;
	size_t a = 0, b = s->n;
	while (lo && a < b) {
		size_t m = a + (b - a) / 2;
		if (memcmp(s->v[m], lo, 32) < 0)
			a = m + 1;
		else
			b = m;
	}
	for (size_t i = a; i < s->n; i++) {
		if (hi && memcmp(s->v[i], hi, 32) >= 0)
			break;
		if (fn(arg, s->v[i]))
			break;
	}
	return 0;
}

static struct recon_source src_of(struct set *s)
{
	return (struct recon_source){ .ctx = s, .scan = set_scan };
}

static const uint8_t key[32] = { 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };

/* ---- two sets and what each must transfer ---- */

/* x wins over y: greater version, or equal version and greater prefix */
static bool wins(const uint8_t *x, const uint8_t *y)
{
	uint64_t vx = get_be64(x + 16), vy = get_be64(y + 16);
	if (vx != vy)
		return vx > vy;
	return memcmp(x + 24, y + 24, 8) > 0;
}

static void expected(const struct set *a, const struct set *b, struct set *ea, struct set *eb)
{
	size_t i = 0, j = 0;
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : memcmp(a->v[i], b->v[j], 16);
		if (c < 0) {
			set_add(ea, a->v[i++]);
		} else if (c > 0) {
			set_add(eb, b->v[j++]);
		} else {
			if (wins(a->v[i], b->v[j]))
				set_add(ea, a->v[i]);
			else if (wins(b->v[j], a->v[i]))
				set_add(eb, b->v[j]);
			i++;
			j++;
		}
	}
}

/* shared items in both, then d differences: only in A, only in B, same
 * key with a newer version on one side (alternating) */
static void make_pair(struct set *a, struct set *b, size_t shared, size_t d)
{
	uint8_t x[32], y[32];
	for (size_t i = 0; i < shared; i++) {
		make_item(x, 1 + rnd() % 1000000);
		set_add(a, x);
		set_add(b, x);
	}
	for (size_t k = 0; k < d; k++) {
		make_item(x, 1 + rnd() % 1000000);
		if (k % 3 == 0) {
			set_add(a, x);
		} else if (k % 3 == 1) {
			set_add(b, x);
		} else {
			memcpy(y, x, 32);
			put_be64(y + 16, get_be64(x + 16) + 1 + rnd() % 5);
			rnd_bytes(y + 24, 8);
			set_add((k / 3) % 2 ? a : b, x);
			set_add((k / 3) % 2 ? b : a, y);
		}
	}
	set_sort(a);
	set_sort(b);
}

struct run {
	struct recon_out oa, ob;
	unsigned msgs;
	size_t bytes;
	unsigned max_ranges;
};

static void run_free(struct run *r)
{
	recon_out_free(&r->oa);
	recon_out_free(&r->ob);
}

/* A initiates; messages alternate until a side receives the empty array. */
static void run_recon(struct set *a, struct set *b, struct run *r)
{
	memset(r, 0, sizeof *r);
	struct recon_source sa = src_of(a), sb = src_of(b);
	struct gl_error err = { 0 };
	assert_int_equal(recon_initiate(&sa, key, &r->oa, &err), 0);
	assert_int_equal(r->oa.ranges, 1);
	r->msgs = 1;
	r->bytes = r->oa.msg.len;
	r->max_ranges = 1;
	struct recon_out *from = &r->oa, *to = &r->ob;
	const struct recon_source *src = &sb;
	for (int round = 0; round < 64; round++) {
		int rc = recon_respond(src, key, from->msg.data, from->msg.len, to, &err);
		if (rc)
			fail_msg("round %d: %s", round, err.msg);
		if (to->msg.len == 0) {
			assert_true(to->finished);
			assert_true(from->finished);
			return;
		}
		assert_true(to->ranges <= RECON_RANGES_MAX);
		assert_int_equal(to->finished, to->ranges == 0);
		if (to->ranges > r->max_ranges)
			r->max_ranges = to->ranges;
		r->msgs++;
		r->bytes += to->msg.len;
		struct recon_out *t = from;
		from = to;
		to = t;
		src = src == &sb ? &sa : &sb;
	}
	fail_msg("reconciliation did not finish in 64 rounds");
}

/* give (own items, listed or in spans) and the peer's take together are
 * exactly want */
static void check_side(const struct recon_out *out, const struct set *own,
                       const struct recon_items *take, const struct set *want)
{
	const struct recon_items *give = &out->give;
	struct set got = { 0 };
	for (size_t i = 0; i < give->n; i++)
		set_add(&got, give->v[i]);
	for (size_t k = 0; k < out->nspans; k++)
		for (size_t i = 0; i < own->n; i++)
			if (recon_span_wants(&out->spans[k], own->v[i]))
				set_add(&got, own->v[i]);
	for (size_t i = 0; i < take->n; i++)
		set_add(&got, take->v[i]);
	set_sort(&got);
	assert_int_equal(got.n, want->n);
	for (size_t i = 0; i < got.n; i++)
		assert_memory_equal(got.v[i], want->v[i], 32);
	set_free(&got);
}

static void reconcile_check(struct set *a, struct set *b, struct run *r)
{
	struct set ea = { 0 }, eb = { 0 };
	expected(a, b, &ea, &eb);
	run_recon(a, b, r);
	check_side(&r->oa, a, &r->ob.take, &ea);
	check_side(&r->ob, b, &r->oa.take, &eb);
	set_free(&ea);
	set_free(&eb);
}

/* ---- whole reconciliations ---- */

static void test_both_empty(void **state)
{
	(void)state;
	struct set a = { 0 }, b = { 0 };
	struct run r;
	struct recon_source sa = src_of(&a);
	struct recon_out o = { 0 };
	assert_int_equal(recon_initiate(&sa, key, &o, NULL), 0);
	/* [[nil, LIST, []]] */
	assert_int_equal(o.msg.len, 5);
	assert_memory_equal(o.msg.data, "\x91\x93\xc0\x02\x90", 5);
	recon_out_free(&o);
	reconcile_check(&a, &b, &r);
	assert_int_equal(r.msgs, 2);
	assert_int_equal(r.ob.msg.len, 1);
	assert_int_equal(r.ob.msg.data[0], 0x90);
	run_free(&r);
}

static void test_identical(void **state)
{
	(void)state;
	rnd_seed(1);
	struct set a = { 0 }, b = { 0 };
	make_pair(&a, &b, 1000, 0);
	struct recon_source sa = src_of(&a);
	struct recon_out o = { 0 };
	assert_int_equal(recon_initiate(&sa, key, &o, NULL), 0);
	/* [[nil, FINGERPRINT, fp]] answered by [] */
	assert_int_equal(o.msg.len, 22);
	assert_memory_equal(o.msg.data, "\x91\x93\xc0\x01\xc4\x10", 6);
	uint8_t fp[16];
	recon_fingerprint(key, (const uint8_t (*)[32])a.v, a.n, fp);
	assert_memory_equal(o.msg.data + 6, fp, 16);
	recon_out_free(&o);
	struct run r;
	reconcile_check(&a, &b, &r);
	assert_int_equal(r.msgs, 2);
	assert_int_equal(r.ob.msg.len, 1);
	assert_int_equal(r.ob.msg.data[0], 0x90);
	assert_int_equal(r.oa.give.n + r.oa.take.n + r.ob.give.n + r.ob.take.n, 0);
	run_free(&r);
	set_free(&a);
	set_free(&b);
}

static void test_empty_vs_full(void **state)
{
	(void)state;
	rnd_seed(2);
	struct set e = { 0 }, f = { 0 };
	make_set(&f, 1000);
	struct run r;
	/* the empty side initiates with LIST []: the full side gives everything */
	reconcile_check(&e, &f, &r);
	assert_int_equal(r.msgs, 2);
	assert_int_equal(r.ob.give.n, 1000);
	run_free(&r);
	/* the full side initiates with a fingerprint, answered by LIST [] */
	reconcile_check(&f, &e, &r);
	assert_int_equal(r.msgs, 3);
	assert_int_equal(r.oa.give.n, 1000);
	run_free(&r);
	set_free(&f);
}

/* Past RECON_GIVE_LISTED, what a LIST's sender lacks comes as a span: the
 * range and the peer's items, not a list as long as the store. */
static void test_spans(void **state)
{
	(void)state;
	rnd_seed(21);
	struct set e = { 0 }, f = { 0 };
	make_set(&f, 3 * RECON_GIVE_LISTED);
	struct run r;
	reconcile_check(&e, &f, &r);
	assert_int_equal(r.ob.give.n, 0);
	assert_int_equal(r.ob.nspans, 1);
	assert_true(r.ob.spans[0].to_end);
	assert_int_equal(r.ob.spans[0].npeer, 0);
	run_free(&r);
	/* the peer holds a few: one older (wanted), one newer and one equal
	 * (not wanted), one unknown to f (f takes it) */
	struct set p = { 0 };
	uint8_t x[32];
	memcpy(x, f.v[10], 32);
	put_be64(x + 16, get_be64(x + 16) - 1);
	set_add(&p, x);
	memcpy(x, f.v[20], 32);
	put_be64(x + 16, get_be64(x + 16) + 1);
	set_add(&p, x);
	set_add(&p, f.v[30]);
	make_item(x, 7);
	set_add(&p, x);
	set_sort(&p);
	reconcile_check(&p, &f, &r);
	assert_int_equal(r.ob.nspans, 1);
	assert_int_equal(r.ob.spans[0].npeer, 4);
	assert_true(recon_span_wants(&r.ob.spans[0], f.v[10]));
	assert_false(recon_span_wants(&r.ob.spans[0], f.v[20]));
	assert_false(recon_span_wants(&r.ob.spans[0], f.v[30]));
	assert_true(recon_span_wants(&r.ob.spans[0], f.v[40]));
	assert_int_equal(r.ob.take.n, 2); /* the newer one and the unknown one */
	run_free(&r);
	/* bounds: [lo, hi) */
	struct recon_span sp = { 0 };
	memset(sp.lo, 0x40, 32);
	memset(sp.hi, 0x80, 32);
	memset(x, 0x40, 32);
	assert_true(recon_span_wants(&sp, x));
	x[31] = 0x3f;
	assert_false(recon_span_wants(&sp, x));
	memset(x, 0x80, 32);
	assert_false(recon_span_wants(&sp, x));
	sp.to_end = true;
	assert_true(recon_span_wants(&sp, x));
	set_free(&p);
	set_free(&e);
	set_free(&f);
}

static void test_differences(void **state)
{
	(void)state;
	static const size_t ds[] = { 1, 10, 100, 500 };
	for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
		for (int dir = 0; dir < 2; dir++) {
			rnd_seed(100 + k);
			struct set a = { 0 }, b = { 0 };
			make_pair(&a, &b, 1000, ds[k]);
			struct run r;
			if (dir)
				reconcile_check(&b, &a, &r);
			else
				reconcile_check(&a, &b, &r);
			size_t moved = r.oa.give.n + r.oa.take.n + r.ob.give.n + r.ob.take.n;
			assert_int_equal(moved, ds[k]);
			run_free(&r);
			set_free(&a);
			set_free(&b);
		}
	}
}

/* Keys on both sides at equal versions: the greater content prefix wins. */
static void test_equal_version_prefix(void **state)
{
	(void)state;
	rnd_seed(3);
	struct set a = { 0 }, b = { 0 };
	make_pair(&a, &b, 300, 0);
	uint8_t x[32], y[32];
	for (int i = 0; i < 50; i++) {
		make_item(x, 77);
		memcpy(y, x, 32);
		y[31] ^= 1 + (i % 200);
		set_add(&a, x);
		set_add(&b, y);
	}
	set_sort(&a);
	set_sort(&b);
	struct run r;
	reconcile_check(&a, &b, &r);
	size_t moved = r.oa.give.n + r.oa.take.n + r.ob.give.n + r.ob.take.n;
	assert_int_equal(moved, 50);
	for (size_t i = 0; i < r.oa.give.n; i++)
		assert_int_equal(get_be64(r.oa.give.v[i] + 16), 77);
	run_free(&r);
	set_free(&a);
	set_free(&b);
}

/* The split bound between a < b (recon.h), computed independently. */
static size_t ref_bound(const uint8_t *a, const uint8_t *b, uint8_t out[32])
{
	size_t l = 0;
	while (a[l] == b[l])
		l++;
	memset(out, 0, 32);
	memcpy(out, b, l + 1);
	return l + 1;
}

/* Items of B sitting exactly on, just below and just above A's top-level
 * split bounds, and keys sharing long prefixes. */
static void test_straddle(void **state)
{
	(void)state;
	rnd_seed(4);
	struct set a = { 0 }, b = { 0 };
	uint8_t seeds[4][32], x[32];
	for (int i = 0; i < 4; i++)
		rnd_bytes(seeds[i], 32);
	for (int i = 0; i < 600; i++) {
		make_item(x, 1 + rnd() % 100);
		memcpy(x, seeds[rnd() % 4], rnd() % 16);
		set_add(&a, x);
	}
	set_sort_unique(&a);
	for (size_t i = 0; i < a.n; i++) {
		uint64_t r = rnd() % 10;
		memcpy(x, a.v[i], 32);
		x[23] ^= r == 1; /* another version */
		if (r != 0)      /* or missing */
			set_add(&b, x);
	}
	size_t c = a.n;
	for (unsigned j = 1; j < RECON_BRANCH; j++) {
		size_t i = j * c / RECON_BRANCH;
		uint8_t bound[32];
		ref_bound(a.v[i - 1], a.v[i], bound);
		set_add(&b, bound); /* exactly the bound: version 0, prefix 0 */
		memcpy(x, bound, 32);
		for (int k = 31; k >= 0 && x[k]-- == 0; k--)
			; /* the bound minus one */
		set_add(&b, x);
	}
	set_sort_unique(&b);
	struct run r;
	reconcile_check(&b, &a, &r);
	run_free(&r);
	reconcile_check(&a, &b, &r);
	run_free(&r);
	set_free(&a);
	set_free(&b);
}

/* Answers would exceed RECON_RANGES_MAX: the tail range keeps them within. */
static void test_range_budget(void **state)
{
	(void)state;
	rnd_seed(5);
	struct set a = { 0 }, b = { 0 };
	make_pair(&a, &b, 80000, 1500);
	struct run r;
	reconcile_check(&a, &b, &r);
	print_message("80000 shared, 1500 differences: %u messages, at most %u ranges\n",
	              r.msgs, r.max_ranges);
	assert_true(r.max_ranges <= RECON_RANGES_MAX);
	assert_true(r.max_ranges > RECON_RANGES_MAX - RECON_BRANCH);
	size_t moved = r.oa.give.n + r.oa.take.n + r.ob.give.n + r.ob.take.n;
	assert_int_equal(moved, 1500);
	run_free(&r);
	set_free(&a);
	set_free(&b);
}

static void pk_range(msgpack_packer *p, const void *bound, size_t blen, unsigned mode)
{
	msgpack_pack_array(p, 3);
	if (bound)
		msgpack_pack_bin_with_body(p, bound, blen);
	else
		msgpack_pack_nil(p);
	msgpack_pack_unsigned_int(p, mode);
}

/* A peer's 4096 FINGERPRINT ranges [r, r+1) (2-byte bounds), `per` own
 * items in each: answering all of them would need 4096 LISTs of 16
 * (2.2 MB, over a frame) or 4096 splits (65,536 ranges).  The answer
 * stops at the limits and ends with one FINGERPRINT over the rest. */
static void budget_case(unsigned per)
{
	struct set s = { 0 };
	uint8_t x[32];
	for (unsigned r = 0; r < RECON_RANGES_MAX; r++)
		for (unsigned i = 0; i < per; i++) {
			make_item(x, 9);
			x[0] = (uint8_t)(r >> 8);
			x[1] = (uint8_t)r;
			set_add(&s, x);
		}
	set_sort(&s);
	struct gl_buf m = { 0 };
	msgpack_packer p;
	tu_packer(&p, &m);
	msgpack_pack_array(&p, RECON_RANGES_MAX);
	for (unsigned r = 0; r < RECON_RANGES_MAX; r++) {
		uint8_t b[2] = { (uint8_t)((r + 1) >> 8), (uint8_t)(r + 1) };
		pk_range(&p, r + 1 < RECON_RANGES_MAX ? b : NULL, 2, 1);
		msgpack_pack_bin_with_body(&p, "fingerprint.....", 16);
	}
	struct recon_source src = src_of(&s);
	struct recon_out o = { 0 };
	struct gl_error err = { 0 };
	assert_int_equal(recon_respond(&src, key, m.data, m.len, &o, &err), 0);
	print_message("%u items per range: answer of %u ranges, %zu bytes\n", per, o.ranges,
	              o.msg.len);
	assert_true(o.ranges <= RECON_RANGES_MAX);
	assert_true(o.msg.len + 2 <= (1u << 20));
	assert_true(o.ranges > 1 && o.ranges < RECON_RANGES_MAX);
	/* answered ranges: LISTs (one each) or splits (16 each), then the tail */
	size_t done = per <= RECON_LIST_MAX ? o.ranges - 1 : (o.ranges - 1) / RECON_BRANCH;
	if (per > RECON_LIST_MAX)
		assert_int_equal((o.ranges - 1) % RECON_BRANCH, 0);
	assert_true(done > 0);
	const uint8_t *tail = o.msg.data + o.msg.len - 21;
	assert_memory_equal(tail, "\x93\xc0\x01\xc4\x10", 5);
	uint8_t fp[16];
	recon_fingerprint(key, (const uint8_t (*)[32])s.v + done * per,
	                  (RECON_RANGES_MAX - done) * per, fp);
	assert_memory_equal(tail + 5, fp, 16);
	/* the answer is a valid message for the peer */
	struct set empty = { 0 };
	struct recon_source se = src_of(&empty);
	struct recon_out o2 = { 0 };
	assert_int_equal(recon_respond(&se, key, o.msg.data, o.msg.len, &o2, &err), 0);
	recon_out_free(&o2);
	recon_out_free(&o);
	gl_buf_free(&m);
	set_free(&s);
}

static void test_answer_budget(void **state)
{
	(void)state;
	rnd_seed(12);
	budget_case(RECON_LIST_MAX);
	budget_case(RECON_LIST_MAX + 1);
}

/* ---- single answers against the rules of recon.h ---- */

struct rng_out {
	unsigned n;
	bool nil[RECON_BRANCH + 4];
	uint8_t bound[RECON_BRANCH + 4][32];
	uint32_t blen[RECON_BRANCH + 4];
	uint64_t mode[RECON_BRANCH + 4];
	const uint8_t *fp[RECON_BRANCH + 4];
	uint32_t m[RECON_BRANCH + 4];
	const uint8_t *items[RECON_BRANCH + 4];
};

static void parse_answer(const struct gl_buf *msg, struct rng_out *o)
{
	struct mp_reader r;
	mp_reader_init(&r, msg->data, msg->len);
	uint32_t n, k;
	assert_int_equal(mp_read_array(&r, &n, NULL), 0);
	assert_true(n <= RECON_BRANCH + 4);
	o->n = n;
	for (unsigned i = 0; i < n; i++) {
		struct mp_item it;
		assert_int_equal(mp_read_array(&r, &k, NULL), 0);
		assert_int_equal(k, 3);
		assert_int_equal(mp_next(&r, &it, NULL), 0);
		o->nil[i] = it.type == MP_NIL;
		memset(o->bound[i], 0, 32);
		o->blen[i] = 0;
		if (it.type == MP_BIN) {
			memcpy(o->bound[i], it.v.s.p, it.v.s.len);
			o->blen[i] = it.v.s.len;
		}
		assert_int_equal(mp_read_uint(&r, &o->mode[i], NULL), 0);
		o->items[i] = NULL;
		if (o->mode[i] == 0) {
			assert_int_equal(mp_next(&r, &it, NULL), 0);
		} else if (o->mode[i] == 1) {
			assert_int_equal(mp_read_bin(&r, &o->fp[i], &k, NULL), 0);
		} else {
			assert_int_equal(mp_read_array(&r, &o->m[i], NULL), 0);
			o->items[i] = r.p;
			for (uint32_t j = 0; j < o->m[i]; j++)
				assert_int_equal(mp_read_bin(&r, &o->fp[i], &k, NULL), 0);
		}
	}
	assert_int_equal(mp_left(&r), 0);
}

/* FINGERPRINT answered by a split: bounds, floor buckets, fingerprints;
 * the last bucket keeps the received bound; SKIP ranges around it. */
static void test_split_answer(void **state)
{
	(void)state;
	rnd_seed(6);
	struct set b = { 0 };
	make_set(&b, 40);
	struct gl_buf m = { 0 };
	msgpack_packer p;
	tu_packer(&p, &m);
	msgpack_pack_array(&p, 3);
	pk_range(&p, "\x01", 1, 0);
	msgpack_pack_nil(&p);
	pk_range(&p, "\xfe\x00", 2, 1); /* trailing zero kept as received */
	msgpack_pack_bin_with_body(&p, "0123456789abcdef", 16);
	pk_range(&p, NULL, 0, 0);
	msgpack_pack_nil(&p);
	/* B's items inside [01, fe): drop any outside so c is known */
	struct set in = { 0 };
	for (size_t i = 0; i < b.n; i++)
		if (b.v[i][0] >= 0x01 && b.v[i][0] < 0xfe)
			set_add(&in, b.v[i]);
	size_t c = in.n;
	assert_true(c > RECON_LIST_MAX);
	struct recon_source sb = src_of(&in);
	struct recon_out o = { 0 };
	struct gl_error err = { 0 };
	assert_int_equal(recon_respond(&sb, key, m.data, m.len, &o, &err), 0);
	struct rng_out a;
	parse_answer(&o.msg, &a);
	assert_int_equal(a.n, RECON_BRANCH + 2);
	assert_int_equal(o.ranges, RECON_BRANCH + 2);
	assert_int_equal(a.mode[0], 0);
	assert_int_equal(a.blen[0], 1);
	for (unsigned j = 0; j < RECON_BRANCH; j++) {
		size_t s = j * c / RECON_BRANCH, e = (j + 1) * c / RECON_BRANCH;
		assert_int_equal(a.mode[1 + j], 1);
		uint8_t fp[16], bound[32];
		recon_fingerprint(key, (const uint8_t (*)[32])in.v + s, e - s, fp);
		assert_memory_equal(a.fp[1 + j], fp, 16);
		if (j + 1 < RECON_BRANCH) {
			size_t len = ref_bound(in.v[e - 1], in.v[e], bound);
			assert_int_equal(a.blen[1 + j], len);
			assert_memory_equal(a.bound[1 + j], bound, 32);
		} else {
			assert_int_equal(a.blen[1 + j], 2);
			assert_memory_equal(a.bound[1 + j], "\xfe\x00", 2);
		}
	}
	assert_true(a.nil[RECON_BRANCH + 1]);
	assert_int_equal(a.mode[RECON_BRANCH + 1], 0);
	recon_out_free(&o);
	gl_buf_free(&m);
	set_free(&in);
	set_free(&b);
}

/* FINGERPRINT: equal -> finished; at most 16 own items -> LIST; 17 -> split */
static void test_fp_answers(void **state)
{
	(void)state;
	rnd_seed(7);
	struct set b = { 0 };
	make_set(&b, 17);
	struct recon_source sb = src_of(&b);
	struct recon_out o = { 0 };
	struct gl_buf m = { 0 };
	msgpack_packer p;
	uint8_t fp[16];
	for (size_t n = 15; n <= 17; n++) {
		b.n = n;
		for (int equal = 0; equal < 2; equal++) {
			m.len = 0;
			tu_packer(&p, &m);
			msgpack_pack_array(&p, 1);
			pk_range(&p, NULL, 0, 1);
			recon_fingerprint(key, (const uint8_t (*)[32])b.v, equal ? n : n - 1, fp);
			msgpack_pack_bin_with_body(&p, fp, 16);
			assert_int_equal(recon_respond(&sb, key, m.data, m.len, &o, NULL), 0);
			if (equal) {
				assert_true(o.finished);
				assert_int_equal(o.msg.len, 1);
				continue;
			}
			struct rng_out a;
			parse_answer(&o.msg, &a);
			assert_false(o.finished);
			if (n <= RECON_LIST_MAX) {
				assert_int_equal(a.n, 1);
				assert_int_equal(a.mode[0], 2);
				assert_int_equal(a.m[0], n);
				for (size_t i = 0; i < n; i++)
					assert_memory_equal(a.items[0] + 34 * i + 2, b.v[i], 32);
			} else {
				assert_int_equal(a.n, RECON_BRANCH);
			}
		}
	}
	assert_int_equal(o.give.n + o.take.n, 0);
	recon_out_free(&o);
	gl_buf_free(&m);
	set_free(&b);
}

/* Receiving [] finishes without an answer; a failing source leaves out as it was. */
static void test_finish_and_source_error(void **state)
{
	(void)state;
	rnd_seed(8);
	struct set a = { 0 }, b = { 0 };
	make_pair(&a, &b, 30, 12);
	struct recon_source sa = src_of(&a), sb = src_of(&b);
	struct recon_out o = { 0 };
	assert_int_equal(recon_respond(&sa, key, (const uint8_t *)"\x90", 1, &o, NULL), 0);
	assert_true(o.finished);
	assert_int_equal(o.msg.len, 0);
	/* LIST from B, then a failing source on A */
	struct recon_out ob = { 0 };
	b.n = 10;
	assert_int_equal(recon_initiate(&sb, key, &ob, NULL), 0);
	assert_int_equal(recon_respond(&sa, key, ob.msg.data, ob.msg.len, &o, NULL), 0);
	size_t give = o.give.n, take = o.take.n;
	assert_true(give + take > 0);
	a.fail = GL_ESTORE;
	struct gl_error err = { 0 };
	assert_int_equal(recon_respond(&sa, key, ob.msg.data, ob.msg.len, &o, &err), GL_ESTORE);
	assert_int_equal(o.give.n, give);
	assert_int_equal(o.take.n, take);
	assert_int_equal(o.msg.len, 0);
	assert_int_equal(recon_initiate(&sa, key, &o, NULL), GL_ESTORE);
	recon_out_free(&o);
	recon_out_free(&ob);
	set_free(&a);
	set_free(&b);
}

/* ---- malformed messages ---- */

static struct set mal_set;

static void expect_proto(const uint8_t *msg, size_t len, const char *what)
{
	struct recon_source s = src_of(&mal_set);
	struct recon_out o = { 0 };
	struct gl_error err = { 0 };
	int rc = recon_respond(&s, key, msg, len, &o, &err);
	if (rc != GL_EPROTO)
		fail_msg("%s: got %d (%s)", what, rc, err.msg);
	assert_int_equal(err.code, GL_EPROTO);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(o.msg.len, 0);
	assert_int_equal(o.give.n + o.take.n, 0);
	assert_int_equal(recon_respond(&s, key, msg, len, &o, NULL), GL_EPROTO);
	recon_out_free(&o);
}

static void expect_ok(const uint8_t *msg, size_t len, const char *what)
{
	struct recon_source s = src_of(&mal_set);
	struct recon_out o = { 0 };
	struct gl_error err = { 0 };
	int rc = recon_respond(&s, key, msg, len, &o, &err);
	if (rc != 0)
		fail_msg("%s: got %d (%s)", what, rc, err.msg);
	recon_out_free(&o);
}

static void hex_case(const char *hex, bool ok)
{
	uint8_t buf[256];
	size_t n = strlen(hex) / 2;
	assert_true(n <= sizeof buf);
	hex_to(hex, buf, n);
	if (ok)
		expect_ok(buf, n, hex);
	else
		expect_proto(buf, n, hex);
}

static const char *const bad_hex[] = {
	"",                                 /* nothing */
	"c0", "80", "01", "c40100",         /* not an array */
	"dc000193c000c0",                   /* array16 for one range: not shortest */
	"dc1001",                           /* 4097 ranges */
	"91c0", "9100",                     /* a range that is not an array */
	"9192c000", "9194c000c0c0", "9190", /* ranges of 2, 4, 0 */
	"9293c000c093c000c0",               /* nil bound before the last range */
	"9193c4014000c0",                   /* last bound not nil */
	"9293c40000c093c000c0",             /* empty bound */
	"9293a14100c093c000c0",             /* str bound */
	"929301 00c093c000c0",              /* uint bound */
	"929390 00c093c000c0",              /* array bound */
	"9393c4014000c093c4014000c093c000c0",   /* equal bounds */
	"9393c4015000c093c4014000c093c000c0",   /* decreasing bounds */
	"9393c4014000c093c402400000c093c000c0", /* equal once padded */
	"9293c4010000c093c000c0",           /* first bound is the start of the space */
	"9293c402000000c093c000c0",         /* likewise, longer */
	"9193c003c0", "9193c0ffc0", "9193c0cc80c0", "9193c0cc01c0",
	"9193c0c40100c0", "9193c0ca00000000c0", "9193c0c0c0", "9193c0c2c0",
	"9193c000c2", "9193c00001", "9193c00090",  /* SKIP with a payload */
	"9193c001c0", "9193c001c40f000102030405060708090a0b0c0d0e",
	"9193c001c411000102030405060708090a0b0c0d0e0f10",
	"9193c001b000000000000000000000000000000000", /* str of 16 as FP */
	"9193c00190",
	"9193c002c0", "9193c00280", "9193c002c410000102030405060708090a0b0c0d0e0f",
	"9193c00291c0", "9193c0029101",
	"9193c000c0c0", "9193c000c000", /* trailing bytes */
	"9000", "90c0",
	"9193c00291",                       /* LIST cut short */
	"9193c002dd00010001",               /* 65537 items announced */
	"9193c002dc0001c420",               /* array16 for one item: not shortest */
};

static void pk_item(msgpack_packer *p, int fill, int last)
{
	uint8_t x[32];
	memset(x, fill, 32);
	x[31] = (uint8_t)last;
	msgpack_pack_bin_with_body(p, x, 32);
}

/* Build [[bound?, LIST, items], [nil, SKIP, nil]]: items as (fill, last) pairs. */
static void list_case(const char *bound, size_t blen, const int *it, size_t n, int len32,
                      bool ok, const char *what)
{
	struct gl_buf m = { 0 };
	msgpack_packer p;
	tu_packer(&p, &m);
	msgpack_pack_array(&p, bound ? 2 : 1);
	pk_range(&p, bound, blen, 2);
	msgpack_pack_array(&p, n);
	for (size_t i = 0; i < n; i++) {
		if (len32 == 32) {
			pk_item(&p, it[2 * i], it[2 * i + 1]);
		} else if (len32 < 0) {
			msgpack_pack_str_with_body(&p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32);
		} else {
			uint8_t x[40];
			memset(x, it[2 * i], sizeof x);
			msgpack_pack_bin_with_body(&p, x, (size_t)len32);
		}
	}
	if (bound) {
		pk_range(&p, NULL, 0, 0);
		msgpack_pack_nil(&p);
	}
	if (ok)
		expect_ok(m.data, m.len, what);
	else
		expect_proto(m.data, m.len, what);
	gl_buf_free(&m);
}

static void test_malformed(void **state)
{
	(void)state;
	rnd_seed(9);
	make_set(&mal_set, 40);
	for (size_t i = 0; i < sizeof bad_hex / sizeof bad_hex[0]; i++) {
		char clean[256];
		size_t k = 0;
		for (const char *s = bad_hex[i]; *s; s++)
			if (*s != ' ')
				clean[k++] = *s;
		clean[k] = '\0';
		hex_case(clean, false);
	}
	hex_case("90", true);
	hex_case("9193c000c0", true);
	hex_case("9293c4014000c093c000c0", true);
	/* a 32-byte bound is fine, 33 is not */
	char h[200];
	strcpy(h, "9293c420");
	for (int i = 0; i < 32; i++)
		strcat(h, "77");
	strcat(h, "00c093c000c0");
	hex_case(h, true);
	strcpy(h, "9293c421");
	for (int i = 0; i < 33; i++)
		strcat(h, "77");
	strcat(h, "00c093c000c0");
	hex_case(h, false);

	static const int asc[] = { 0x10, 1, 0x20, 2, 0x30, 3 };
	list_case(NULL, 0, asc, 3, 32, true, "ascending");
	list_case("\x40", 1, asc, 3, 32, true, "inside [0, 40)");
	list_case("\x30", 1, asc, 3, 32, false, "an item above the bound");
	list_case("\x30\x30\x31", 3, asc, 3, 32, true, "the bound just above");
	list_case("\x30\x30\x30", 3, asc, 3, 32, false, "the bound just below");
	list_case("\x20", 1, asc, 3, 32, false, "items above the bound");
	static const int eq[] = { 0x10, 1, 0x10, 1 };
	list_case(NULL, 0, eq, 2, 32, false, "equal items");
	static const int desc[] = { 0x20, 1, 0x10, 1 };
	list_case(NULL, 0, desc, 2, 32, false, "descending items");
	static const int samekey[] = { 0x10, 1, 0x10, 2 };
	list_case(NULL, 0, samekey, 2, 32, false, "two items for one key");
	list_case(NULL, 0, asc, 1, 31, false, "31-byte item");
	list_case(NULL, 0, asc, 1, 33, false, "33-byte item");
	list_case(NULL, 0, asc, 1, -1, false, "str item");

	/* an item below the range's lower bound */
	struct gl_buf m = { 0 };
	msgpack_packer p;
	tu_packer(&p, &m);
	msgpack_pack_array(&p, 2);
	pk_range(&p, "\x20", 1, 0);
	msgpack_pack_nil(&p);
	pk_range(&p, NULL, 0, 2);
	msgpack_pack_array(&p, 1);
	pk_item(&p, 0x10, 1);
	expect_proto(m.data, m.len, "item below the range");
	/* an item equal to the lower bound is inside, one equal to the upper is not */
	uint8_t x[32] = { 0x20 };
	for (int up = 0; up < 2; up++) {
		m.len = 0;
		tu_packer(&p, &m);
		msgpack_pack_array(&p, 2);
		pk_range(&p, "\x20", 1, up ? 2 : 0);
		if (up) {
			msgpack_pack_array(&p, 1);
			msgpack_pack_bin_with_body(&p, x, 32);
		} else {
			msgpack_pack_nil(&p);
		}
		pk_range(&p, NULL, 0, up ? 0 : 2);
		if (up) {
			msgpack_pack_nil(&p);
			expect_proto(m.data, m.len, "item equal to the upper bound");
		} else {
			msgpack_pack_array(&p, 1);
			msgpack_pack_bin_with_body(&p, x, 32);
			expect_ok(m.data, m.len, "item equal to the lower bound");
		}
	}
	gl_buf_free(&m);
	set_free(&mal_set);
}

/* RECON_RANGES_MAX ranges and RECON_ITEMS_MAX items pass; one more fails. */
static void test_limits(void **state)
{
	(void)state;
	struct gl_buf m = { 0 };
	msgpack_packer p;
	for (unsigned extra = 0; extra < 2; extra++) {
		m.len = 0;
		tu_packer(&p, &m);
		unsigned n = RECON_RANGES_MAX + extra;
		msgpack_pack_array(&p, n);
		for (unsigned i = 1; i < n; i++) {
			uint8_t b[2] = { (uint8_t)(i >> 8), (uint8_t)i };
			pk_range(&p, b, 2, 0);
			msgpack_pack_nil(&p);
		}
		pk_range(&p, NULL, 0, 0);
		msgpack_pack_nil(&p);
		if (extra)
			expect_proto(m.data, m.len, "too many ranges");
		else
			expect_ok(m.data, m.len, "most ranges");
	}
	for (unsigned extra = 0; extra < 2; extra++) {
		m.len = 0;
		tu_packer(&p, &m);
		msgpack_pack_array(&p, 2);
		pk_range(&p, "\x80", 1, 2);
		msgpack_pack_array(&p, RECON_ITEMS_MAX);
		for (uint32_t i = 0; i < RECON_ITEMS_MAX; i++) {
			uint8_t x[32] = { 0 };
			put_be64(x, (uint64_t)i << 32);
			msgpack_pack_bin_with_body(&p, x, 32);
		}
		pk_range(&p, NULL, 0, extra ? 2 : 0);
		if (extra) {
			msgpack_pack_array(&p, 1);
			pk_item(&p, 0x90, 0);
			expect_proto(m.data, m.len, "too many items");
		} else {
			msgpack_pack_nil(&p);
			expect_ok(m.data, m.len, "most items");
		}
	}
	gl_buf_free(&m);
}

/* Every truncation of a valid message fails; no byte change crashes. */
static void test_truncated_and_mutated(void **state)
{
	(void)state;
	rnd_seed(10);
	make_set(&mal_set, 40);
	struct gl_buf m = { 0 };
	msgpack_packer p;
	tu_packer(&p, &m);
	msgpack_pack_array(&p, 4);
	pk_range(&p, "\x20", 1, 2);
	msgpack_pack_array(&p, 1);
	pk_item(&p, 0x10, 1);
	pk_range(&p, "\x30\x01", 2, 0);
	msgpack_pack_nil(&p);
	pk_range(&p, "\x80", 1, 1);
	msgpack_pack_bin_with_body(&p, "0123456789abcdef", 16);
	pk_range(&p, NULL, 0, 2);
	msgpack_pack_array(&p, 2);
	pk_item(&p, 0x90, 1);
	pk_item(&p, 0xa0, 1);
	expect_ok(m.data, m.len, "valid");
	for (size_t n = 0; n < m.len; n++)
		expect_proto(m.data, n, "truncated");
	struct recon_source s = src_of(&mal_set);
	struct recon_out o = { 0 };
	for (size_t i = 0; i < m.len; i++) {
		uint8_t keep = m.data[i];
		for (int v = 0; v < 256; v += 7) {
			m.data[i] = (uint8_t)(keep ^ (v ? v : 1));
			int rc = recon_respond(&s, key, m.data, m.len, &o, NULL);
			assert_true(rc == 0 || rc == GL_EPROTO);
		}
		m.data[i] = keep;
	}
	recon_out_free(&o);
	gl_buf_free(&m);
	set_free(&mal_set);
}

/* ---- fingerprints ---- */

/* The fingerprint with a byte-wise reference addition. */
static void ref_fp(const uint8_t k[32], const uint8_t (*v)[32], size_t n, uint8_t fp[16])
{
	uint8_t sum[40] = { 0 };
	for (size_t i = 0; i < n; i++) {
		uint8_t h[32];
		crypto_generichash(h, 32, v[i], 32, k, 32);
		unsigned carry = 0;
		for (int j = 0; j < 32; j++) {
			unsigned t = sum[j] + h[j] + carry;
			sum[j] = (uint8_t)t;
			carry = t >> 8;
		}
	}
	for (int j = 0; j < 8; j++)
		sum[32 + j] = (uint8_t)((uint64_t)n >> (8 * j));
	crypto_generichash(fp, 16, sum, 40, NULL, 0);
}

static void test_fingerprint(void **state)
{
	(void)state;
	rnd_seed(11);
	struct set a = { 0 };
	make_set(&a, 200);
	const uint8_t (*v)[32] = (const uint8_t (*)[32])a.v;
	uint8_t fp[16], fp2[16], ref[16];
	recon_fingerprint(key, v, a.n, fp);
	ref_fp(key, v, a.n, ref);
	assert_memory_equal(fp, ref, 16);
	/* order does not matter */
	for (size_t i = a.n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		uint8_t t[32];
		memcpy(t, a.v[i], 32);
		memcpy(a.v[i], a.v[j], 32);
		memcpy(a.v[j], t, 32);
	}
	recon_fingerprint(key, v, a.n, fp2);
	assert_memory_equal(fp, fp2, 16);
	/* removing, adding or changing one item changes it */
	recon_fingerprint(key, v, a.n - 1, fp2);
	assert_memory_not_equal(fp, fp2, 16);
	recon_fingerprint(key, v + 1, a.n - 1, fp2);
	assert_memory_not_equal(fp, fp2, 16);
	uint8_t x[32];
	make_item(x, 5);
	set_add(&a, x);
	v = (const uint8_t (*)[32])a.v;
	recon_fingerprint(key, v, a.n, fp2);
	assert_memory_not_equal(fp, fp2, 16);
	a.n--;
	for (int bit = 0; bit < 256; bit += 5) {
		a.v[17][bit / 8] ^= (uint8_t)(1 << (bit % 8));
		recon_fingerprint(key, v, a.n, fp2);
		assert_memory_not_equal(fp, fp2, 16);
		a.v[17][bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	/* another key, another fingerprint */
	uint8_t k2[32];
	memcpy(k2, key, 32);
	k2[31] ^= 1;
	recon_fingerprint(k2, v, a.n, fp2);
	assert_memory_not_equal(fp, fp2, 16);
	/* the empty set: BLAKE2b-128 of 40 zero bytes, whatever the key */
	uint8_t e1[16], e2[16], want[16];
	recon_fingerprint(key, v, 0, e1);
	recon_fingerprint(k2, NULL, 0, e2);
	hex_to("673cbd9a83cb676eba3e0bcd63a2b414", want, 16);
	char hx[33];
	to_hex(e1, 16, hx);
	assert_memory_equal(e1, e2, 16);
	if (memcmp(e1, want, 16) != 0)
		fail_msg("empty fingerprint %s", hx);
	set_free(&a);
}

/* The worked example of PROTOCOL.md 6.4 (proto/recon-section.md). */
static void test_worked_example(void **state)
{
	(void)state;
	uint8_t k[32], x[3][32];
	memset(k, 0x66, 32);
	hex_to("1c4e8a02d3f5b6a7980112233445566700000190a1b2c3d40123456789abcdef", x[0], 32);
	hex_to("7f3c91e45a0b6c2d1e0f9a8b7c6d5e4f0000019000000001aabbccddeeff0011", x[1], 32);
	hex_to("7f3ca40b19c8d7e6f5041322314f5e6d0000019000000007fedcba9876543210", x[2], 32);
	static const char *const want_h[3] = {
		"e2f3b27cae8a7c56f67eb758c896c5f25b8df27bc7bfafca5cb99cec32e50afb",
		"ec2d312de418c94c9782189d59c65142ad311afe5be987aa77f63490efd2cc41",
		"4e53b11d95031db525fc7dc7a62c9ceff96cd1280149e45a6dcc2ffba7639e24",
	};
	uint8_t fp[16], h[32];
	char hx[2 * 120 + 1];
	for (int i = 0; i < 3; i++) {
		crypto_generichash(h, 32, x[i], 32, k, 32);
		to_hex(h, 32, hx);
		print_message("h(x%d) = %s\n", i + 1, hx);
		assert_string_equal(hx, want_h[i]);
	}
	recon_fingerprint(k, (const uint8_t (*)[32])x, 3, fp);
	to_hex(fp, 16, hx);
	print_message("fp(x1, x2, x3) = %s\n", hx);
	assert_string_equal(hx, "500fb76e51aef6a2e1009ab6786fe6e0");
	recon_fingerprint(k, (const uint8_t (*)[32])x + 1, 2, fp);
	to_hex(fp, 16, hx);
	print_message("fp(x2, x3) = %s\n", hx);
	assert_string_equal(hx, "8d256f007bc29ccd6f22fc0aafc24caa");

	/* a node holding x1, x2, x3 initiates with a LIST; one holding x1
	 * and x3 finds x2 missing and answers "finished" */
	struct set s = { 0 };
	for (int i = 0; i < 3; i++)
		set_add(&s, x[i]);
	struct recon_source src = src_of(&s);
	struct recon_out o = { 0 }, ob = { 0 };
	assert_int_equal(recon_initiate(&src, k, &o, NULL), 0);
	assert_int_equal(o.msg.len, 107);
	to_hex(o.msg.data, o.msg.len, hx);
	print_message("initiator's LIST = %s\n", hx);
	assert_memory_equal(o.msg.data, "\x91\x93\xc0\x02\x93\xc4\x20", 7);
	assert_memory_equal(o.msg.data + 7, x[0], 32);
	s.n = 2;
	memcpy(s.v[1], x[2], 32);
	assert_int_equal(recon_respond(&src, k, o.msg.data, o.msg.len, &ob, NULL), 0);
	assert_int_equal(ob.take.n, 1);
	assert_memory_equal(ob.take.v[0], x[1], 32);
	assert_int_equal(ob.give.n, 0);
	assert_true(ob.finished);
	recon_out_free(&ob);
	recon_out_free(&o);
	set_free(&s);

	/* the split bound between x2 and x3, from a real answer: x2, x3 and
	 * 15 items above them, answering a fingerprint that differs */
	s.n = 0;
	set_add(&s, x[1]);
	set_add(&s, x[2]);
	for (int i = 0; i < 15; i++) {
		uint8_t y[32];
		memset(y, 0x80 + i, 32);
		set_add(&s, y);
	}
	src = src_of(&s);
	static const uint8_t first[22] = { 0x91, 0x93, 0xc0, 0x01, 0xc4, 0x10 };
	assert_int_equal(recon_respond(&src, k, first, sizeof first, &o, NULL), 0);
	struct rng_out a;
	parse_answer(&o.msg, &a);
	to_hex(a.bound[0], a.blen[0], hx);
	print_message("split bound (x2, x3) = %s (%u bytes)\n", hx, a.blen[0]);
	assert_int_equal(a.n, RECON_BRANCH);
	assert_int_equal(a.blen[0], 3);
	assert_memory_equal(a.bound[0], "\x7f\x3c\xa4", 3);
	recon_out_free(&o);
	set_free(&s);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_empty),
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_empty_vs_full),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_differences),
		cmocka_unit_test(test_equal_version_prefix),
		cmocka_unit_test(test_straddle),
		cmocka_unit_test(test_range_budget),
		cmocka_unit_test(test_answer_budget),
		cmocka_unit_test(test_split_answer),
		cmocka_unit_test(test_fp_answers),
		cmocka_unit_test(test_finish_and_source_error),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_truncated_and_mutated),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_worked_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
