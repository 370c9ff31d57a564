/*
 * bench_recon — benchmark (a) of the federation issue: what range-based
 * reconciliation (proto/recon.c) costs for two nodes sharing n = 100,000
 * items with d differences, against the physical references: the records
 * that must move anyway, the ids of the differences, and sending every id.
 *
 * Both nodes run in this process over sorted in-memory arrays; no network,
 * no store.  Run: build/tests/bench/bench_recon (or meson test --benchmark).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "proto/recon.h"
#include "timing.h"

#define N_SHARED 100000
#define RECORD_AVG 1200 /* assumed average record envelope, bytes */
#define WANT_FRAMING 8  /* assumed bytes of framing per WANT message */
#define REPS 3

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

static void make_item(uint8_t x[32], uint64_t version)
{
	for (int i = 0; i < 16; i++)
		x[i] = (uint8_t)rnd();
	put_be64(x + 16, version);
	for (int i = 24; i < 32; i++)
		x[i] = (uint8_t)rnd();
}

struct set {
	uint8_t (*v)[32];
	size_t n, cap;
	uint64_t visits; /* items handed to scan callbacks */
};

static void set_add(struct set *s, const uint8_t x[32])
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->v = gl_xrealloc(s->v, s->cap * 32);
	}
	memcpy(s->v[s->n++], x, 32);
}

static int cmp_item(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static int set_scan(void *ctx, const uint8_t *lo, const uint8_t *hi,
                    int (*fn)(void *arg, const uint8_t item[RECON_ITEM]), void *arg)
{
	struct set *s = ctx;
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
		s->visits++;
		if (fn(arg, s->v[i]))
			break;
	}
	return 0;
}

/* n shared items; d differences in turn: only on A, only on B, a newer
 * version of a shared key on one side (alternating A, B). */
static void make_pair(struct set *a, struct set *b, size_t n, size_t d)
{
	uint8_t x[32], y[32];
	for (size_t i = 0; i < n; i++) {
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
			/* the key is shared; one side holds a newer version */
			memcpy(y, x, 32);
			put_be64(y + 16, 1000001 + rnd() % 1000);
			y[31] ^= 0x5a;
			set_add((k / 3) % 2 ? a : b, x);
			set_add((k / 3) % 2 ? b : a, y);
		}
	}
	qsort(a->v, a->n, 32, cmp_item);
	qsort(b->v, b->n, 32, cmp_item);
}

struct result {
	unsigned msgs;
	uint64_t bytes, want_bytes, moved, visits;
	double seconds;
};

static int reconcile(struct set *a, struct set *b, const uint8_t key[32], struct result *res)
{
	struct recon_source sa = { a, set_scan }, sb = { b, set_scan };
	struct recon_out oa = { 0 }, ob = { 0 };
	struct gl_error err = { 0 };
	memset(res, 0, sizeof *res);
	a->visits = b->visits = 0;
	double t0 = now_s();
	if (recon_initiate(&sa, key, &oa, &err))
		goto fail;
	res->msgs = 1;
	res->bytes = oa.msg.len;
	struct recon_out *from = &oa, *to = &ob;
	const struct recon_source *src = &sb;
	for (int round = 0; round < 1000; round++) {
		size_t took = to->take.n;
		if (recon_respond(src, key, from->msg.data, from->msg.len, to, &err))
			goto fail;
		if (to->take.n > took)
			res->want_bytes += 32 * (to->take.n - took) + WANT_FRAMING;
		if (to->msg.len == 0) {
			res->seconds = now_s() - t0;
			res->moved = oa.give.n + oa.take.n + ob.give.n + ob.take.n;
			res->visits = a->visits + b->visits;
			recon_out_free(&oa);
			recon_out_free(&ob);
			return 0;
		}
		res->msgs++;
		res->bytes += to->msg.len;
		struct recon_out *t = from;
		from = to;
		to = t;
		src = src == &sb ? &sa : &sb;
	}
	gl_errorf(&err, GL_EPROTO, "did not finish in 1000 messages");
fail:
	fprintf(stderr, "bench_recon: %s\n", err.msg);
	recon_out_free(&oa);
	recon_out_free(&ob);
	return -1;
}

/* Keyed BLAKE2b-256 of 32-byte items, hashes per second. */
static double hash_rate(const uint8_t key[32])
{
	uint8_t x[32] = { 0 }, h[32];
	uint64_t count = 0;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 100000; i++) {
			x[0] = (uint8_t)i;
			crypto_generichash(h, 32, x, 32, key, 32);
			x[1] ^= h[0];
		}
		count += 100000;
		t = now_s() - t0;
	} while (t < 1.0);
	return (double)count / t;
}

static void header(double rate)
{
	printf("bench_recon: n = %d shared items, d differences split evenly: only on A,\n"
	       "only on B, a newer version on one side.  Both nodes in one process.\n\n",
	       N_SHARED);
	printf("  msgs      RECON messages both ways, the empty 'finished' one included\n"
	       "  rtt       round trips = ceil(msgs / 2)\n"
	       "  recon_B   bytes of all RECON message bodies, both ways\n"
	       "  want_B    WANT lists: 32 B per taken item + %d B framing per WANT\n"
	       "            message, one WANT per answer step that takes (assumption)\n"
	       "  recs      records transferred (give + take, both sides); must equal d\n"
	       "  recs_B    d x %d B, the assumed average record size\n"
	       "  x_ids     recon_B / (d x 32 B of ids)\n"
	       "  x_all     recon_B / (n x 32 B): sending every id = %d B\n"
	       "  ms        wall time of one whole reconciliation (both sides, mean of %d)\n"
	       "  visits    items visited by scans (each visit by a fingerprint or split\n"
	       "            scan is one keyed hash; LIST comparisons visit without hashing)\n"
	       "  v/n       visits per shared item\n"
	       "  x_hash    ms / (visits at the raw hash rate): 1.0 = pure hashing\n\n",
	       WANT_FRAMING, RECORD_AVG, N_SHARED * 32, REPS);
	printf("raw keyed hash rate (BLAKE2b-256, 32-byte key, 32-byte input): %.3g hashes/s\n\n",
	       rate);
	printf("%6s %5s %4s %9s %8s %5s %9s %7s %7s %8s %9s %6s %6s\n", "d", "msgs", "rtt",
	       "recon_B", "want_B", "recs", "recs_B", "x_ids", "x_all", "ms", "visits", "v/n",
	       "x_hash");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	static const size_t ds[] = { 0, 1, 10, 100, 1000 };
	uint8_t key[32];
	memset(key, 0x5c, sizeof key);
	double rate = hash_rate(key);
	header(rate);
	for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
		size_t d = ds[k];
		rng_state = 1000 + d;
		struct set a = { 0 }, b = { 0 };
		make_pair(&a, &b, N_SHARED, d);
		struct result r, sum = { 0 };
		for (int rep = 0; rep < REPS; rep++) {
			if (reconcile(&a, &b, key, &r))
				return 1;
			sum.seconds += r.seconds;
		}
		if (r.moved != d) {
			fprintf(stderr, "bench_recon: d = %zu but %" PRIu64 " records moved\n", d,
			        r.moved);
			return 1;
		}
		double ms = sum.seconds / REPS * 1e3;
		double hash_ms = (double)r.visits / rate * 1e3;
		char ids[16];
		if (d)
			snprintf(ids, sizeof ids, "%.1f", (double)r.bytes / (32.0 * (double)d));
		else
			snprintf(ids, sizeof ids, "-");
		printf("%6zu %5u %4u %9" PRIu64 " %8" PRIu64 " %5" PRIu64 " %9zu %7s %7.4f %8.1f %9" PRIu64
		       " %6.2f %6.2f\n",
		       d, r.msgs, (r.msgs + 1) / 2, r.bytes, r.want_bytes, r.moved,
		       d * (size_t)RECORD_AVG, ids, (double)r.bytes / (32.0 * N_SHARED), ms,
		       r.visits, (double)r.visits / N_SHARED, ms / hash_ms);
		free(a.v);
		free(b.v);
	}
	return 0;
}
