/* Unit tests: reconciliation v2 sessions and messages (proto/recon2.c,
 * proto/recon2_msg.c) and its negotiation in HELLO (proto/wire.c). */
#include "testutil.h"

#include <msgpack.h>

#include "proto/recon2.h"
#include "proto/wire.h"

/* Frame overhead per message on the wire: 4-byte length, 17 bytes AEAD. */
#define FRAMING 21

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* key hash || version || content prefix */
static void make_item(uint8_t x[32], uint64_t version)
{
	for (int i = 0; i < 16; i++)
		x[i] = (uint8_t)rnd();
	put_be64(x + 16, version);
	for (int i = 24; i < 32; i++)
		x[i] = (uint8_t)rnd();
}

static int cmp_item(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* ---- a node: a sketch and the sorted items behind it ---- */

struct node {
	struct riblt_sketch sk;
	uint8_t (*v)[32];
	size_t n, cap;
};

static void node_init(struct node *nd, uint32_t size)
{
	memset(nd, 0, sizeof *nd);
	assert_int_equal(riblt_sketch_init(&nd->sk, size), 0);
}

static void node_add(struct node *nd, const uint8_t x[32])
{
	if (nd->n == nd->cap) {
		nd->cap = nd->cap ? 2 * nd->cap : 256;
		nd->v = gl_xrealloc(nd->v, nd->cap * 32);
	}
	memcpy(nd->v[nd->n++], x, 32);
	riblt_sketch_add(&nd->sk, x);
}

static void node_free(struct node *nd)
{
	riblt_sketch_free(&nd->sk);
	free(nd->v);
}

/*
 * Two nodes sharing `shared` items, then per kind k of differences
 * cases[k] of them: 0 only on I, 1 only on R, 2 a newer version on I,
 * 3 a newer version on R, 4 the same version with I's content greater,
 * 5 the same with R's greater.
 */
static void make_nodes(struct node *i, struct node *r, uint32_t size, size_t shared,
                       const size_t cases[6])
{
	uint8_t x[32], y[32];
	node_init(i, size);
	node_init(r, size);
	for (size_t k = 0; k < shared; k++) {
		make_item(x, 1 + rnd() % 1000);
		node_add(i, x);
		node_add(r, x);
	}
	for (int kind = 0; kind < 6; kind++)
		for (size_t k = 0; k < cases[kind]; k++) {
			make_item(x, 1 + rnd() % 1000);
			memcpy(y, x, 32);
			if (kind == 0) {
				node_add(i, x);
				continue;
			}
			if (kind == 1) {
				node_add(r, x);
				continue;
			}
			if (kind < 4)
				put_be64(y + 16, 2000 + rnd() % 100); /* y newer */
			else
				y[24] = (uint8_t)(x[24] | 0x80), x[24] &= 0x7f; /* y's content greater */
			node_add(kind % 2 ? r : i, y);
			node_add(kind % 2 ? i : r, x);
		}
	qsort(i->v, i->n, 32, cmp_item);
	qsort(r->v, r->n, 32, cmp_item);
}

/* ---- running a session between two nodes ---- */

struct run {
	struct recon2_init in;
	struct recon2_resp re;
	struct recon2_out oi, or;
	unsigned flights;
	size_t bytes;
	int status_i, status_r; /* -1 until done */
	struct recon_items give_i, give_r, take_r;
	/* called on every message on its way, may rewrite it */
	void (*tamper)(struct run *run, struct gl_buf *msg, bool to_responder);
	struct node *ni, *nr;
	int aux;
};

static void collect(struct recon_items *to, const struct recon_items *from)
{
	for (size_t k = 0; k < from->n; k++) {
		if (to->n == to->cap) {
			to->cap = to->cap ? 2 * to->cap : 64;
			to->v = gl_xrealloc(to->v, to->cap * 32);
		}
		memcpy(to->v[to->n++], from->v[k], 32);
	}
}

/* Deliver from's messages to one side; its answers go to `to`. */
static int deliver(struct run *s, struct recon2_out *from, struct recon2_out *to, bool to_resp)
{
	recon2_out_reset(to);
	for (size_t k = 0; k < from->nmsgs; k++) {
		if (s->tamper)
			s->tamper(s, &from->msgs[k], to_resp);
		s->bytes += from->msgs[k].len + FRAMING;
		struct recon2_msg m;
		struct gl_error err = { 0 };
		assert_int_equal(recon2_parse(from->msgs[k].data, from->msgs[k].len, &m, &err), 0);
		int rc = to_resp ? recon2_responder_on(&s->re, &s->nr->sk, &m, to, &err)
		                 : recon2_initiator_on(&s->in, &s->ni->sk, &m, to, &err);
		if (rc)
			return rc;
	}
	if (to->done) {
		*(to_resp ? &s->status_r : &s->status_i) = to->status;
		collect(to_resp ? &s->give_r : &s->give_i, &to->give);
		if (to_resp)
			collect(&s->take_r, &to->take);
	}
	return 0;
}

static void run_init(struct run *s, struct node *i, struct node *r)
{
	memset(s, 0, sizeof *s);
	s->ni = i;
	s->nr = r;
	s->status_i = s->status_r = -1;
}

static int run_session(struct run *s)
{
	assert_int_equal(recon2_initiate(&s->in, 1, &s->ni->sk, &s->oi, NULL), 0);
	for (int k = 0; k < 16; k++) {
		struct recon2_out *from = k % 2 ? &s->or : &s->oi, *to = k % 2 ? &s->oi : &s->or;
		if (from->nmsgs == 0)
			return 0;
		s->flights++;
		int rc = deliver(s, from, to, k % 2 == 0);
		if (rc)
			return rc;
	}
	fail_msg("session did not end in 16 flights");
	return -1;
}

static void run_free(struct run *s)
{
	recon2_init_free(&s->in);
	recon2_resp_free(&s->re);
	recon2_out_free(&s->oi);
	recon2_out_free(&s->or);
	free(s->give_i.v);
	free(s->give_r.v);
	free(s->take_r.v);
}

static bool has(const struct node *nd, const uint8_t x[32])
{
	return bsearch(x, nd->v, nd->n, 32, cmp_item) != NULL;
}

/* The item nd holds for x's key, or NULL. */
static const uint8_t *held(const struct node *nd, const uint8_t x[32])
{
	for (size_t k = 0; k < nd->n; k++)
		if (memcmp(nd->v[k], x, 16) == 0)
			return nd->v[k];
	return NULL;
}

/* After DECODED: R gives exactly its items whose key I lacks or holds in
 * a losing version; R takes exactly I's such items; I gives their keys. */
static void check_outcome(struct run *s)
{
	struct node *i = s->ni, *r = s->nr;
	size_t give = 0, take = 0;
	for (size_t k = 0; k < r->n; k++) {
		const uint8_t *o = held(i, r->v[k]);
		give += !o || memcmp(o, r->v[k], 32) < 0;
	}
	for (size_t k = 0; k < i->n; k++) {
		const uint8_t *o = held(r, i->v[k]);
		take += !o || memcmp(o, i->v[k], 32) < 0;
	}
	assert_int_equal(s->give_r.n, give);
	assert_int_equal(s->take_r.n, take);
	assert_int_equal(s->give_i.n, take);
	for (size_t k = 0; k < s->give_r.n; k++) {
		assert_true(has(r, s->give_r.v[k]));
		const uint8_t *o = held(i, s->give_r.v[k]);
		assert_true(!o || memcmp(o, s->give_r.v[k], 32) < 0);
	}
	for (size_t k = 0; k < s->take_r.n; k++) {
		assert_true(has(i, s->take_r.v[k]));
		assert_memory_equal(s->give_i.v[k], s->take_r.v[k], 16);
		static const uint8_t zero[16];
		assert_memory_equal(s->give_i.v[k] + 16, zero, 16);
	}
}

static void test_same(void **state)
{
	(void)state;
	rng_state = 10;
	static const size_t none[6];
	struct node i, r;
	make_nodes(&i, &r, 1024, 5000, none);
	struct run s;
	run_init(&s, &i, &r);
	assert_int_equal(run_session(&s), 0);
	assert_int_equal(s.flights, 2); /* one round trip */
	assert_int_equal(s.status_i, R2_SAME);
	assert_int_equal(s.status_r, R2_SAME);
	assert_int_equal(s.give_r.n + s.give_i.n + s.take_r.n, 0);
	if (s.bytes > 200)
		fail_msg("a reconciliation of equal sets took %zu bytes, more than 200", s.bytes);
	run_free(&s);
	node_free(&i);
	node_free(&r);
}

static void test_decoded(void **state)
{
	(void)state;
	rng_state = 11;
	static const size_t sizes[][6] = { { 1, 0, 0, 0, 0, 0 }, { 0, 0, 1, 0, 0, 0 },
	                                   { 5, 5, 5, 5, 2, 2 }, { 40, 10, 10, 0, 0, 5 },
	                                   { 0, 60, 0, 20, 3, 0 } };
	for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
		struct node i, r;
		make_nodes(&i, &r, 2048, 700, sizes[c]);
		struct run s;
		run_init(&s, &i, &r);
		assert_int_equal(run_session(&s), 0);
		assert_int_equal(s.status_r, R2_DECODED);
		assert_int_equal(s.status_i, R2_DECODED);
		assert_true(s.flights == 4 || s.flights == 6);
		check_outcome(&s);
		run_free(&s);
		node_free(&i);
		node_free(&r);
	}
}

/* An ESTIMATE that claims R's counts equal I's: I sends a flight too
 * small, and the responder asks for MORE.  aux: add this many items to I
 * after its first flight (records arriving meanwhile). */
static void tamper_estimate(struct run *s, struct gl_buf *msg, bool to_resp)
{
	struct recon2_msg m;
	if (recon2_parse(msg->data, msg->len, &m, NULL) != 0)
		return;
	if (!to_resp && m.type == R2_ESTIMATE) {
		uint8_t counts[RECON2_COUNTS_MAX];
		riblt_sketch_counts(&s->ni->sk, 1, m.ncounts, counts);
		struct gl_buf b = { 0 };
		recon2_msg_estimate(&b, m.sid, s->ni->sk.n, counts, m.ncounts);
		gl_buf_free(msg);
		*msg = b;
	}
	if (to_resp && m.type == R2_SYMBOLS && s->aux > 0) {
		uint8_t x[32];
		for (; s->aux > 0; s->aux--) {
			make_item(x, 7);
			riblt_sketch_add(&s->ni->sk, x);
		}
	}
}

static void test_more(void **state)
{
	(void)state;
	rng_state = 12;
	static const size_t d[6] = { 30, 30, 10, 10, 0, 0 };
	for (int late = 0; late < 2; late++) {
		struct node i, r;
		make_nodes(&i, &r, 2048, 400, d);
		struct run s;
		run_init(&s, &i, &r);
		s.tamper = tamper_estimate;
		s.aux = late ? 25 : 0;
		assert_int_equal(run_session(&s), 0);
		assert_true(s.flights >= 6);
		assert_int_equal(s.status_r, R2_DECODED);
		/* the items added to I's sketch after its first flight (not to its
		 * list) are not in the session: MORE was answered from the snapshot */
		check_outcome(&s);
		run_free(&s);
		node_free(&i);
		node_free(&r);
	}
}

static void test_too_many(void **state)
{
	(void)state;
	rng_state = 13;
	/* the counts alone show too many: R ends at START */
	size_t d1[6] = { 300, 0, 0, 0, 0, 0 };
	struct node i, r;
	make_nodes(&i, &r, 256, 10, d1);
	struct run s;
	run_init(&s, &i, &r);
	assert_int_equal(run_session(&s), 0);
	assert_int_equal(s.flights, 2);
	assert_int_equal(s.status_i, R2_TOO_MANY);
	run_free(&s);
	node_free(&i);
	node_free(&r);
	/* balanced counts, but the estimate is beyond I's sketch: I ends */
	size_t d2[6] = { 200, 200, 0, 0, 0, 0 };
	make_nodes(&i, &r, 256, 10, d2);
	run_init(&s, &i, &r);
	assert_int_equal(run_session(&s), 0);
	assert_int_equal(s.flights, 3);
	assert_int_equal(s.status_i, R2_TOO_MANY);
	assert_int_equal(s.status_r, R2_TOO_MANY);
	run_free(&s);
	node_free(&i);
	node_free(&r);
}

/* SYMBOLS that decode but claim another set's digest (I's set and one item
 * more): R must not believe them. */
static void tamper_digest(struct run *s, struct gl_buf *msg, bool to_resp)
{
	struct recon2_msg m;
	if (!to_resp || recon2_parse(msg->data, msg->len, &m, NULL) != 0 || m.type != R2_SYMBOLS)
		return;
	uint8_t x[32];
	uint16_t st[RIBLT_LANES], l[RIBLT_LANES];
	memset(x, 0x99, 32);
	memcpy(st, s->ni->sk.state, sizeof st);
	riblt_lanes(x, l);
	riblt_state_apply(st, l, 1);
	riblt_state_digest(st, (uint8_t *)m.digest);
}

static void tamper_symbols(struct run *s, struct gl_buf *msg, bool to_resp)
{
	(void)s;
	struct recon2_msg m;
	if (!to_resp || recon2_parse(msg->data, msg->len, &m, NULL) != 0 || m.type != R2_SYMBOLS)
		return;
	uint8_t *w = (uint8_t *)m.symbols;
	for (uint32_t k = 0; k < m.nsymbols * RIBLT_SYMBOL_WIRE; k++)
		w[k] = (uint8_t)rnd();
}

static void test_failed(void **state)
{
	(void)state;
	rng_state = 14;
	size_t d[6] = { 10, 10, 0, 0, 0, 0 };
	void (*tampers[])(struct run *, struct gl_buf *, bool) = { tamper_digest, tamper_symbols };
	for (int t = 0; t < 2; t++) {
		struct node i, r;
		make_nodes(&i, &r, 512, 100, d);
		struct run s;
		run_init(&s, &i, &r);
		s.tamper = tampers[t];
		assert_int_equal(run_session(&s), 0);
		assert_true(s.status_r == R2_FAILED || s.status_r == R2_TOO_MANY);
		assert_int_equal(s.status_i, s.status_r);
		assert_int_equal(s.give_r.n + s.take_r.n + s.give_i.n, 0);
		if (t == 0)
			assert_int_equal(s.status_r, R2_FAILED);
		run_free(&s);
		node_free(&i);
		node_free(&r);
	}
}

/* The responder may leave out of take what it is getting elsewhere. */
static bool skip_odd(void *ctx, const uint8_t x[RECON_ITEM])
{
	(*(unsigned *)ctx)++;
	return x[31] & 1;
}

static void test_skip(void **state)
{
	(void)state;
	rng_state = 16;
	size_t d[6] = { 30, 5, 0, 0, 0, 0 };
	struct node i, r;
	make_nodes(&i, &r, 1024, 200, d);
	struct run s;
	run_init(&s, &i, &r);
	unsigned asked = 0;
	s.re.skip = skip_odd;
	s.re.skip_ctx = &asked;
	assert_int_equal(run_session(&s), 0);
	assert_int_equal(s.status_r, R2_DECODED);
	assert_int_equal(asked, 30); /* asked once for each item it would take */
	assert_true(s.take_r.n > 0 && s.take_r.n < 30);
	for (size_t k = 0; k < s.take_r.n; k++)
		assert_int_equal(s.take_r.v[k][31] & 1, 0);
	assert_int_equal(s.give_i.n, s.take_r.n); /* END names only what is taken */
	assert_int_equal(s.give_r.n, 5);
	/* the hook survives the end of a session */
	assert_ptr_equal(s.re.skip, skip_odd);
	run_free(&s);
	node_free(&i);
	node_free(&r);
}

/* Messages out of turn are errors; late ones are ignored. */
static void test_order(void **state)
{
	(void)state;
	rng_state = 15;
	size_t d[6] = { 8, 8, 0, 0, 0, 0 };
	struct node i, r;
	make_nodes(&i, &r, 1024, 100, d);
	struct recon2_init in = { 0 };
	struct recon2_resp re = { 0 };
	struct recon2_out o = { 0 }, a = { 0 };
	struct recon2_msg m;
	struct gl_buf b = { 0 };
	assert_int_equal(recon2_initiate(&in, 0, &i.sk, &o, NULL), GL_EINVAL);
	assert_int_equal(recon2_initiate(&in, 3, &i.sk, &o, NULL), 0);
	assert_int_equal(recon2_parse(o.msgs[0].data, o.msgs[0].len, &m, NULL), 0);
	assert_int_equal(recon2_responder_on(&re, &r.sk, &m, &a, NULL), 0);
	assert_int_equal(a.nmsgs, 1);
	struct recon2_msg est;
	assert_int_equal(recon2_parse(a.msgs[0].data, a.msgs[0].len, &est, NULL), 0);
	assert_int_equal(est.type, R2_ESTIMATE);
	assert_int_equal(est.ncounts, RECON2_COUNTS);
	/* an ESTIMATE of another session: ignored */
	recon2_msg_estimate(&b, 5, r.sk.n, est.counts, est.ncounts);
	assert_int_equal(recon2_parse(b.data, b.len, &m, NULL), 0);
	recon2_out_reset(&o);
	assert_int_equal(recon2_initiator_on(&in, &i.sk, &m, &o, NULL), 0);
	assert_int_equal(o.nmsgs, 0);
	/* MORE before any flight: out of turn */
	b.len = 0;
	recon2_msg_more(&b, 3, 100);
	assert_int_equal(recon2_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(recon2_initiator_on(&in, &i.sk, &m, &o, NULL), GL_EPROTO);
	/* the real one: a flight */
	assert_int_equal(recon2_initiator_on(&in, &i.sk, &est, &o, NULL), 0);
	assert_true(o.nmsgs >= 1);
	/* the same ESTIMATE again: out of turn */
	assert_int_equal(recon2_initiator_on(&in, &i.sk, &est, &o, NULL), GL_EPROTO);
	/* SYMBOLS that skip ahead: out of turn */
	struct recon2_msg sy;
	assert_int_equal(recon2_parse(o.msgs[0].data, o.msgs[0].len, &sy, NULL), 0);
	assert_int_equal(sy.type, R2_SYMBOLS);
	b.len = 0;
	recon2_msg_symbols(&b, 3, 1, sy.end, sy.count, sy.digest, sy.symbols, 1);
	assert_int_equal(recon2_parse(b.data, b.len, &m, NULL), 0);
	recon2_out_reset(&a);
	assert_int_equal(recon2_responder_on(&re, &r.sk, &m, &a, NULL), GL_EPROTO);
	/* a new START replaces the session; the old one's SYMBOLS are late */
	b.len = 0;
	uint8_t di[RIBLT_DIGEST];
	riblt_sketch_digest(&i.sk, di);
	recon2_msg_start(&b, 7, i.sk.n, di);
	assert_int_equal(recon2_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(recon2_responder_on(&re, &r.sk, &m, &a, NULL), 0);
	assert_int_equal(re.sid, 7);
	recon2_out_reset(&a);
	assert_int_equal(recon2_responder_on(&re, &r.sk, &sy, &a, NULL), 0);
	assert_int_equal(a.nmsgs, 0);
	/* an END from the initiator closes the responder's session */
	b.len = 0;
	recon2_msg_end(&b, 7, R2_TOO_MANY, NULL, 0);
	assert_int_equal(recon2_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(recon2_responder_on(&re, &r.sk, &m, &a, NULL), 0);
	assert_true(a.done);
	assert_int_equal(a.status, R2_TOO_MANY);
	assert_int_equal(re.sid, 0);
	gl_buf_free(&b);
	recon2_out_free(&o);
	recon2_out_free(&a);
	recon2_init_free(&in);
	recon2_resp_free(&re);
	node_free(&i);
	node_free(&r);
}

/* ---- messages and their limits ---- */

static int parse(const struct gl_buf *b)
{
	struct recon2_msg m;
	return recon2_parse(b->data, b->len, &m, NULL);
}

/* [type, sid, ...] with the fields packed by fn. */
static void raw(struct gl_buf *b, unsigned n, unsigned type, uint64_t sid)
{
	msgpack_packer pk;
	b->len = 0;
	tu_packer(&pk, b);
	msgpack_pack_array(&pk, n);
	msgpack_pack_uint64(&pk, type);
	msgpack_pack_uint64(&pk, sid);
}

static void test_limits(void **state)
{
	(void)state;
	struct gl_buf b = { 0 };
	msgpack_packer pk;
	uint8_t digest[32] = { 0 }, keys[RIBLT_SYMBOLS_MAX + 1][16];
	static uint8_t syms[(RECON2_FLIGHT_SYMBOLS + 1) * RIBLT_SYMBOL_WIRE];
	static uint8_t counts[RECON2_COUNTS_MAX + 1];
	memset(keys, 7, sizeof keys);
	struct recon2_msg m;

	recon2_msg_start(&b, 1, 5, digest);
	assert_int_equal(recon2_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.type, R2_START);
	assert_int_equal(m.count, 5);
	b.len = 0;
	recon2_msg_start(&b, 0, 5, digest); /* session 0 */
	assert_int_equal(parse(&b), GL_EPROTO);
	gl_buf_append(&b, "", 0);
	b.len = 0;
	recon2_msg_start(&b, 1, 5, digest);
	gl_buf_append(&b, "\xc0", 1); /* a byte after the message */
	assert_int_equal(parse(&b), GL_EPROTO);
	raw(&b, 4, R2_START, 1);
	tu_packer(&pk, &b);
	msgpack_pack_uint64(&pk, 5);
	msgpack_pack_bin_with_body(&pk, digest, 31);
	assert_int_equal(parse(&b), GL_EPROTO);

	b.len = 0;
	recon2_msg_estimate(&b, 2, 9, counts, RECON2_COUNTS_MAX);
	assert_int_equal(recon2_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.ncounts, RECON2_COUNTS_MAX);
	b.len = 0;
	recon2_msg_estimate(&b, 2, 9, counts, RECON2_COUNTS_MAX + 1);
	assert_int_equal(parse(&b), GL_EPROTO);

	b.len = 0;
	recon2_msg_symbols(&b, 1, 0, RECON2_FLIGHT_SYMBOLS, 3, digest, syms, RECON2_FLIGHT_SYMBOLS);
	assert_int_equal(recon2_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.nsymbols, RECON2_FLIGHT_SYMBOLS);
	b.len = 0;
	recon2_msg_symbols(&b, 1, 0, RIBLT_SYMBOLS_MAX, 3, digest, syms, RECON2_FLIGHT_SYMBOLS + 1);
	assert_int_equal(parse(&b), GL_EPROTO);
	b.len = 0;
	recon2_msg_symbols(&b, 1, RIBLT_SYMBOLS_MAX - 1, RIBLT_SYMBOLS_MAX, 3, digest, syms, 1);
	assert_int_equal(parse(&b), 0);
	b.len = 0;
	recon2_msg_symbols(&b, 1, RIBLT_SYMBOLS_MAX, RIBLT_SYMBOLS_MAX + 1, 3, digest, syms, 1);
	assert_int_equal(parse(&b), GL_EPROTO);
	b.len = 0;
	recon2_msg_symbols(&b, 1, 10, 11, 3, digest, syms, 2); /* past its end */
	assert_int_equal(parse(&b), GL_EPROTO);
	raw(&b, 7, R2_SYMBOLS, 1);
	tu_packer(&pk, &b);
	msgpack_pack_uint64(&pk, 0);
	msgpack_pack_uint64(&pk, 4);
	msgpack_pack_uint64(&pk, 3);
	msgpack_pack_bin_with_body(&pk, digest, 32);
	msgpack_pack_bin_with_body(&pk, syms, RIBLT_SYMBOL_WIRE + 1); /* not whole symbols */
	assert_int_equal(parse(&b), GL_EPROTO);

	b.len = 0;
	recon2_msg_more(&b, 4, RIBLT_SYMBOLS_MAX);
	assert_int_equal(parse(&b), 0);
	b.len = 0;
	recon2_msg_more(&b, 4, RIBLT_SYMBOLS_MAX + 1);
	assert_int_equal(parse(&b), GL_EPROTO);
	b.len = 0;
	recon2_msg_more(&b, 4, 0);
	assert_int_equal(parse(&b), GL_EPROTO);

	b.len = 0;
	recon2_msg_end(&b, 6, R2_DECODED, (const uint8_t (*)[16])keys, RIBLT_SYMBOLS_MAX);
	assert_int_equal(recon2_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.ntake, RIBLT_SYMBOLS_MAX);
	uint8_t k[16];
	recon2_take_key(&m, RIBLT_SYMBOLS_MAX - 1, k);
	assert_memory_equal(k, keys[0], 16);
	b.len = 0;
	recon2_msg_end(&b, 6, R2_DECODED, (const uint8_t (*)[16])keys, RIBLT_SYMBOLS_MAX + 1);
	assert_int_equal(parse(&b), GL_EPROTO);
	b.len = 0;
	recon2_msg_end(&b, 6, R2_SAME, (const uint8_t (*)[16])keys, 1); /* keys without DECODED */
	assert_int_equal(parse(&b), GL_EPROTO);
	b.len = 0;
	recon2_msg_end(&b, 6, R2_FAILED + 1, NULL, 0);
	assert_int_equal(parse(&b), GL_EPROTO);
	raw(&b, 4, R2_END, 6);
	tu_packer(&pk, &b);
	msgpack_pack_uint64(&pk, R2_DECODED);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_bin_with_body(&pk, keys[0], 15);
	assert_int_equal(parse(&b), GL_EPROTO);

	b.len = 0;
	recon2_msg_sent(&b, 0, 12); /* session 0: a v1 reconciliation's records */
	assert_int_equal(recon2_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.records, 12);
	raw(&b, 4, R2_SENT, 0); /* a field too many */
	tu_packer(&pk, &b);
	msgpack_pack_uint64(&pk, 1);
	msgpack_pack_uint64(&pk, 1);
	assert_int_equal(parse(&b), GL_EPROTO);
	raw(&b, 2, 99, 1); /* not a v2 type */
	assert_int_equal(parse(&b), GL_EPROTO);
	gl_buf_free(&b);
}

/* ---- negotiation in HELLO ---- */

static void test_negotiation(void **state)
{
	(void)state;
	const char *eps[] = { "127.0.0.1:7000" };
	struct gl_buf b = { 0 };
	struct wire_msg m;
	/* a node that lists v1 and v2, with and without its clock */
	wire_hello_recon(&b, "a", eps, 1, 1700000000000u, WIRE_RECON_V2);
	assert_int_equal(wire_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.recon_versions, WIRE_RECON_V1 | WIRE_RECON_V2);
	assert_int_equal(m.clock_ms, 1700000000000u);
	assert_int_equal(m.nendpoints, 1);
	wire_msg_free(&m);
	b.len = 0;
	wire_hello_recon(&b, "a", eps, 1, 0, WIRE_RECON_V2);
	assert_int_equal(wire_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.recon_versions, WIRE_RECON_V1 | WIRE_RECON_V2);
	assert_int_equal(m.clock_ms, 0);
	wire_msg_free(&m);
	/* a node of today: four or five items, v1 */
	b.len = 0;
	wire_hello(&b, "old", eps, 1, 1700000000000u);
	assert_int_equal(wire_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.recon_versions, WIRE_RECON_V1);
	wire_msg_free(&m);
	/* a sixth item that is not a list of versions: v1 */
	msgpack_packer pk;
	b.len = 0;
	tu_packer(&pk, &b);
	msgpack_pack_array(&pk, 6);
	msgpack_pack_uint64(&pk, WIRE_HELLO);
	msgpack_pack_uint64(&pk, 1);
	tu_str(&pk, "x");
	msgpack_pack_array(&pk, 0);
	msgpack_pack_nil(&pk);
	tu_str(&pk, "2");
	assert_int_equal(wire_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.recon_versions, WIRE_RECON_V1);
	wire_msg_free(&m);
	/* versions it does not know are ignored, v2 still found */
	b.len = 0;
	tu_packer(&pk, &b);
	msgpack_pack_array(&pk, 7);
	msgpack_pack_uint64(&pk, WIRE_HELLO);
	msgpack_pack_uint64(&pk, 1);
	tu_str(&pk, "x");
	msgpack_pack_array(&pk, 0);
	msgpack_pack_uint64(&pk, 5);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_uint64(&pk, 2);
	msgpack_pack_uint64(&pk, 9);
	msgpack_pack_uint64(&pk, 1000);
	tu_str(&pk, "a later item");
	assert_int_equal(wire_parse(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.recon_versions, WIRE_RECON_V1 | WIRE_RECON_V2 | (1u << 9));
	wire_msg_free(&m);
	/* the version used: the highest both speak */
	assert_int_equal(wire_recon_pick(WIRE_RECON_V1 | WIRE_RECON_V2, WIRE_RECON_V1), 1);
	assert_int_equal(wire_recon_pick(WIRE_RECON_V1, WIRE_RECON_V1 | WIRE_RECON_V2), 1);
	assert_int_equal(wire_recon_pick(WIRE_RECON_V1 | WIRE_RECON_V2, WIRE_RECON_V1 | WIRE_RECON_V2), 2);
	assert_int_equal(wire_recon_pick(WIRE_RECON_V2, 1u << 9 | WIRE_RECON_V2), 2);
	assert_int_equal(wire_recon_pick(0, 0), 1);
	gl_buf_free(&b);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_decoded),
		cmocka_unit_test(test_more),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_failed),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_negotiation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
