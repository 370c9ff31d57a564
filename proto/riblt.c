/*
 * riblt.c — coded symbols, sketches and peeling (riblt.h, PROTOCOL.md 6.7).
 *
 * Why the index walk is all integers: two nodes must put every item in
 * exactly the same symbols, whatever language they are written in.  The
 * paper draws the gap to the next index with a square root in floating
 * point; here the same distribution is drawn exactly.  For the mapping
 * probability 2/(k+2), the chance that an item at index j skips every
 * index up to j' is the telescoping product (j+1)(j+2) / ((j'+1)(j'+2)),
 * so drawing u = (r+1)/2^32 and taking the smallest j' whose product falls
 * below u is an inverse-transform draw, and comparing integers decides it.
 * With indices below 8192 every product fits 64 bits.
 *
 * Why decoding has budgets: the symbols come from the network.  A crafted
 * stream can make a "pure" symbol appear again after its item was peeled,
 * or make peeling toggle items in and out; so an item may be peeled once,
 * at most `end` items may be peeled (an honest difference cannot have more
 * items than symbols: each symbol yields at most one peel), and the index
 * walks of one decode share a step budget.  Past any of them the decode
 * fails, and the session falls back to range reconciliation.
 *
 * Why the digest is a lattice hash (version 3) and not a sum of group
 * elements (version 2): the node keeps its digest up to date with every
 * record it stores, on the event loop, and ristretto255 cost 40 us an item
 * (a hash to the curve, then an addition that decodes and encodes points),
 * as much as verifying the record's signature.  Adding 2 KiB of key stream
 * as 16-bit lanes costs a few microseconds; the state is hashed only when
 * a session needs the digest.
 */
#include "proto/riblt.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/alloc.h"

#define WALK_BUDGET(end) (64u * (uint64_t)(end) + 4096u)

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void riblt_hash(const uint8_t x[RIBLT_ITEM], uint32_t *chk, uint64_t *seed)
{
	uint8_t m[16 + RIBLT_ITEM], h[16];
	memcpy(m, RIBLT_TAG_H, 16);
	memcpy(m + 16, x, RIBLT_ITEM);
	crypto_generichash(h, sizeof h, m, sizeof m, NULL, 0);
	*chk = get_le32(h);
	*seed = get_le64(h + 8);
}

/* ---- the multiset hash ---- */

void riblt_lanes(const uint8_t x[RIBLT_ITEM], uint16_t l[RIBLT_LANES])
{
	static const uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES];
	uint8_t m[16 + RIBLT_ITEM], k[crypto_stream_chacha20_ietf_KEYBYTES], b[RIBLT_STATE];
	memcpy(m, RIBLT_TAG_L, 16);
	memcpy(m + 16, x, RIBLT_ITEM);
	crypto_generichash(k, sizeof k, m, sizeof m, NULL, 0);
	crypto_stream_chacha20_ietf(b, sizeof b, nonce, k);
	for (int i = 0; i < RIBLT_LANES; i++)
		l[i] = (uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
}

void riblt_state_apply(uint16_t state[RIBLT_LANES], const uint16_t l[RIBLT_LANES], int sign)
{
	if (sign > 0)
		for (int i = 0; i < RIBLT_LANES; i++)
			state[i] = (uint16_t)(state[i] + l[i]);
	else
		for (int i = 0; i < RIBLT_LANES; i++)
			state[i] = (uint16_t)(state[i] - l[i]);
}

void riblt_state_digest(const uint16_t state[RIBLT_LANES], uint8_t d[RIBLT_DIGEST])
{
	uint8_t b[16 + RIBLT_STATE];
	memcpy(b, RIBLT_TAG_D, 16);
	for (int i = 0; i < RIBLT_LANES; i++) {
		b[16 + 2 * i] = (uint8_t)state[i];
		b[16 + 2 * i + 1] = (uint8_t)(state[i] >> 8);
	}
	crypto_generichash(d, RIBLT_DIGEST, b, sizeof b, NULL, 0);
}

/* ---- the index walk ---- */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void riblt_walk_start(struct riblt_walk *w, uint64_t seed)
{
	w->state = seed;
	w->index = 0;
}

bool riblt_walk_next(struct riblt_walk *w)
{
	const uint64_t max = RIBLT_SYMBOLS_MAX;
	if (w->index >= max)
		return false;
	uint64_t r = splitmix64(&w->state) >> 32;
	uint64_t j = w->index;
	uint64_t t = (((j + 1) * (j + 2)) << 32) / (r + 1);
	/* every m <= max has m(m+1) <= t: the next index is past the last */
	if (t >= max * (max + 1)) {
		w->index = (uint32_t)max;
		return false;
	}
	/* the smallest m with m(m+1) > t; m = j+1 never qualifies (r+1 <= 2^32
	 * makes t >= (j+1)(j+2)), m = max always does */
	uint64_t lo = j + 2, hi = max;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (mid * (mid + 1) > t)
			hi = mid;
		else
			lo = mid + 1;
	}
	w->index = (uint32_t)(lo - 1);
	return true;
}

/* ---- sketches ---- */

int riblt_sketch_init(struct riblt_sketch *s, uint32_t size)
{
	if (size < 1 || size > RIBLT_SYMBOLS_MAX)
		return GL_EINVAL;
	memset(s, 0, sizeof *s);
	s->sym = gl_xcalloc(size, sizeof *s->sym);
	s->size = size;
	return 0;
}

void riblt_sketch_free(struct riblt_sketch *s)
{
	free(s->sym);
	memset(s, 0, sizeof *s);
}

void riblt_sketch_copy(struct riblt_sketch *dst, const struct riblt_sketch *src)
{
	if (dst->size != src->size) {
		free(dst->sym);
		dst->sym = gl_xmalloc((size_t)src->size * sizeof *dst->sym);
		dst->size = src->size;
	}
	memcpy(dst->sym, src->sym, (size_t)src->size * sizeof *dst->sym);
	dst->n = src->n;
	memcpy(dst->state, src->state, sizeof dst->state);
}

static void xor32(uint8_t *a, const uint8_t *b)
{
	for (int i = 0; i < RIBLT_ITEM; i++)
		a[i] ^= b[i];
}

void riblt_sketch_apply(struct riblt_sketch *s, const uint8_t x[RIBLT_ITEM], const uint16_t *l,
                        int sign)
{
	uint32_t chk;
	uint64_t seed;
	riblt_hash(x, &chk, &seed);
	struct riblt_walk w;
	riblt_walk_start(&w, seed);
	do {
		if (w.index >= s->size)
			break;
		struct riblt_sym *y = &s->sym[w.index];
		xor32(y->sum, x);
		y->chk ^= chk;
		y->count += (uint64_t)(int64_t)sign;
	} while (riblt_walk_next(&w));
	s->n += (uint64_t)(int64_t)sign;
	if (l)
		riblt_state_apply(s->state, l, sign);
}

void riblt_sketch_add(struct riblt_sketch *s, const uint8_t x[RIBLT_ITEM])
{
	uint16_t l[RIBLT_LANES];
	riblt_lanes(x, l);
	riblt_sketch_apply(s, x, l, 1);
}

void riblt_sketch_remove(struct riblt_sketch *s, const uint8_t x[RIBLT_ITEM])
{
	uint16_t l[RIBLT_LANES];
	riblt_lanes(x, l);
	riblt_sketch_apply(s, x, l, -1);
}

void riblt_sketch_digest(const struct riblt_sketch *s, uint8_t d[RIBLT_DIGEST])
{
	riblt_state_digest(s->state, d);
}

void riblt_sketch_encode(const struct riblt_sketch *s, uint32_t first, uint32_t k, uint8_t *out)
{
	for (uint32_t i = 0; i < k; i++, out += RIBLT_SYMBOL_WIRE) {
		const struct riblt_sym *y = &s->sym[first + i];
		memcpy(out, y->sum, RIBLT_ITEM);
		put_le32(out + RIBLT_ITEM, y->chk);
		out[RIBLT_ITEM + 4] = (uint8_t)y->count;
	}
}

void riblt_sketch_counts(const struct riblt_sketch *s, uint32_t first, uint32_t k, uint8_t *out)
{
	for (uint32_t i = 0; i < k; i++)
		out[i] = (uint8_t)s->sym[first + i].count;
}

/* ---- decoding ---- */

/* A symbol of the difference; counts modulo 256, as they travel. */
struct dsym {
	uint8_t sum[RIBLT_ITEM];
	uint32_t chk;
	uint8_t cnt;
};

struct peel {
	struct dsym *d;
	uint32_t end;
	uint32_t *stack;
	size_t top, cap;
	uint64_t steps; /* walk steps left */
	uint8_t (*plus)[RIBLT_ITEM], (*minus)[RIBLT_ITEM];
	size_t nplus, nminus;
};

static bool maybe_pure(const struct dsym *d)
{
	return d->cnt == 1 || d->cnt == 255;
}

static void push(struct peel *p, uint32_t i)
{
	if (p->top == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->stack = gl_xrealloc(p->stack, p->cap * sizeof *p->stack);
	}
	p->stack[p->top++] = i;
}

/* Does the walk of seed reach index i?  Spends steps; false when spent. */
static bool walk_hits(struct peel *p, uint64_t seed, uint32_t i)
{
	struct riblt_walk w;
	riblt_walk_start(&w, seed);
	while (w.index < i && p->steps > 0) {
		p->steps--;
		riblt_walk_next(&w);
	}
	return w.index == i;
}

/* Remove x (sign +1: the peer's, -1: ours) from every symbol below end. */
static void subtract(struct peel *p, const uint8_t x[RIBLT_ITEM], uint32_t chk, uint64_t seed,
                     uint8_t sign)
{
	struct riblt_walk w;
	riblt_walk_start(&w, seed);
	do {
		if (w.index >= p->end || p->steps == 0)
			break;
		p->steps--;
		struct dsym *y = &p->d[w.index];
		xor32(y->sum, x);
		y->chk ^= chk;
		y->cnt = (uint8_t)(y->cnt - sign);
		if (maybe_pure(y))
			push(p, w.index);
	} while (riblt_walk_next(&w));
}

static int peel_all(struct peel *p, struct gl_error *err)
{
	while (p->top > 0) {
		uint32_t i = p->stack[--p->top];
		struct dsym *y = &p->d[i];
		if (!maybe_pure(y))
			continue;
		uint32_t chk;
		uint64_t seed;
		riblt_hash(y->sum, &chk, &seed);
		if (chk != y->chk || !walk_hits(p, seed, i)) {
			if (p->steps == 0)
				break;
			continue;
		}
		if (p->nplus + p->nminus == p->end)
			return gl_errorf(err, GL_EPROTO, "recon2: more items peeled than symbols (%u)",
			                 (unsigned)p->end);
		uint8_t x[RIBLT_ITEM];
		memcpy(x, y->sum, RIBLT_ITEM);
		uint8_t sign = y->cnt;
		if (sign == 1)
			memcpy(p->plus[p->nplus++], x, RIBLT_ITEM);
		else
			memcpy(p->minus[p->nminus++], x, RIBLT_ITEM);
		subtract(p, x, chk, seed, sign);
	}
	if (p->steps == 0)
		return gl_errorf(err, GL_EPROTO, "recon2: decoding %u symbols took too many steps",
		                 (unsigned)p->end);
	return 0;
}

static int cmp_item(const void *a, const void *b)
{
	return memcmp(a, b, RIBLT_ITEM);
}

/* Sorted, no item twice in one list or in both. */
static int check_unique(struct peel *p, struct gl_error *err)
{
	qsort(p->plus, p->nplus, RIBLT_ITEM, cmp_item);
	qsort(p->minus, p->nminus, RIBLT_ITEM, cmp_item);
	for (size_t i = 1; i < p->nplus; i++)
		if (memcmp(p->plus[i - 1], p->plus[i], RIBLT_ITEM) == 0)
			return gl_errorf(err, GL_EPROTO, "recon2: an item peeled twice");
	for (size_t i = 1; i < p->nminus; i++)
		if (memcmp(p->minus[i - 1], p->minus[i], RIBLT_ITEM) == 0)
			return gl_errorf(err, GL_EPROTO, "recon2: an item peeled twice");
	size_t a = 0, b = 0;
	while (a < p->nplus && b < p->nminus) {
		int c = memcmp(p->plus[a], p->minus[b], RIBLT_ITEM);
		if (c == 0)
			return gl_errorf(err, GL_EPROTO, "recon2: an item peeled on both sides");
		if (c < 0)
			a++;
		else
			b++;
	}
	return 0;
}

static bool all_empty(const struct peel *p)
{
	static const uint8_t zero[RIBLT_ITEM];
	for (uint32_t i = 0; i < p->end; i++) {
		const struct dsym *y = &p->d[i];
		if (y->cnt || y->chk || memcmp(y->sum, zero, RIBLT_ITEM))
			return false;
	}
	return true;
}

static void diff_init(struct peel *p, const uint8_t *peer, const struct riblt_sketch *own)
{
	for (uint32_t i = 0; i < p->end; i++, peer += RIBLT_SYMBOL_WIRE) {
		struct dsym *y = &p->d[i];
		const struct riblt_sym *o = &own->sym[i];
		for (int k = 0; k < RIBLT_ITEM; k++)
			y->sum[k] = peer[k] ^ o->sum[k];
		y->chk = get_le32(peer + RIBLT_ITEM) ^ o->chk;
		y->cnt = (uint8_t)(peer[RIBLT_ITEM + 4] - (uint8_t)o->count);
		if (maybe_pure(y))
			push(p, i);
	}
}

int riblt_decode(const uint8_t *peer, uint32_t end, const struct riblt_sketch *own,
                 struct riblt_result *out, struct gl_error *err)
{
	if (end > own->size || end > RIBLT_SYMBOLS_MAX || (end && !peer))
		return gl_errorf(err, GL_EINVAL, "recon2: %u symbols to decode, %u kept", (unsigned)end,
		                 (unsigned)own->size);
	struct peel p = { .end = end, .steps = WALK_BUDGET(end) };
	p.d = gl_xmalloc((end ? end : 1) * sizeof *p.d);
	p.plus = gl_xmalloc((end ? end : 1) * RIBLT_ITEM);
	p.minus = gl_xmalloc((end ? end : 1) * RIBLT_ITEM);
	diff_init(&p, peer, own);
	int rc = peel_all(&p, err);
	if (rc == 0)
		rc = all_empty(&p) ? check_unique(&p, err) : 1;
	free(p.d);
	free(p.stack);
	if (rc == 0) {
		out->plus = p.plus;
		out->minus = p.minus;
		out->nplus = p.nplus;
		out->nminus = p.nminus;
		return 0;
	}
	free(p.plus);
	free(p.minus);
	return rc;
}

void riblt_result_free(struct riblt_result *r)
{
	free(r->plus);
	free(r->minus);
	memset(r, 0, sizeof *r);
}

int riblt_verify(const struct riblt_result *r, const struct riblt_sketch *own, uint64_t peer_n,
                 const uint8_t peer_digest[RIBLT_DIGEST], struct gl_error *err)
{
	if (own->n + r->nplus - r->nminus != peer_n)
		return gl_errorf(err, GL_EPROTO,
		                 "recon2: the difference (+%zu -%zu) does not take %llu items to the "
		                 "peer's %llu",
		                 r->nplus, r->nminus, (unsigned long long)own->n,
		                 (unsigned long long)peer_n);
	uint16_t st[RIBLT_LANES], l[RIBLT_LANES];
	uint8_t d[RIBLT_DIGEST];
	memcpy(st, own->state, sizeof st);
	for (size_t i = 0; i < r->nplus + r->nminus; i++) {
		bool plus = i < r->nplus;
		riblt_lanes(plus ? r->plus[i] : r->minus[i - r->nplus], l);
		riblt_state_apply(st, l, plus ? 1 : -1);
	}
	riblt_state_digest(st, d);
	if (memcmp(d, peer_digest, RIBLT_DIGEST) != 0)
		return gl_errorf(err, GL_EPROTO,
		                 "recon2: the decoded difference does not lead to the peer's digest");
	return 0;
}
