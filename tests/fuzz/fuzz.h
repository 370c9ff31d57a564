/*
 * fuzz.h — what the fuzz targets and the seed generator share: the fixed
 * keys and the two in-memory item sets of the recon target.  Everything
 * here is deterministic, so a saved input replays the same way in the
 * replay program, under libFuzzer and on every machine.
 *
 * Each target defines LLVMFuzzerTestOneInput() and keeps to libFuzzer's
 * rules: no state carried from one input to the next except what is
 * loaded once (schemas, keys, item sets), nothing leaked, and an input
 * that breaks an invariant of the code under test stops the process
 * through FZ_CHECK (abort), so the fuzzer keeps it as a crash.
 */
#ifndef GILDE_FUZZ_H
#define GILDE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/alloc.h"
#include "proto/recon.h"
#include "proto/riblt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fill bytes of the fixed keys and key seeds. */
#define FZ_NETKEY 0x4e    /* the federation's network key */
#define FZ_SEED_I 0x11    /* initiator's long-term Ed25519 seed */
#define FZ_SEED_R 0x22    /* responder's long-term Ed25519 seed */
#define FZ_EPH_I 0x33     /* initiator's ephemeral seed (hs_init_seeded) */
#define FZ_EPH_R 0x44     /* responder's ephemeral seed */
#define FZ_FRAME_KEY 0x46 /* the key of the frame stream */
#define FZ_RECON_KEY 0x52 /* the reconciliation key */
#define FZ_SEED_AUTHOR 0x41

/* Items in the recon target's own set (a) and its peer's set (b). */
#define FZ_SET_A 256

#define FZ_CHECK(cond)                                                          \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, \
			        __LINE__, #cond);                               \
			abort();                                                \
		}                                                               \
	} while (0)

static inline void fz_init(void)
{
	static int done;
	if (!done) {
		if (sodium_init() < 0)
			abort();
		done = 1;
	}
}

static inline void fz_key(uint8_t fill, uint8_t key[32])
{
	memset(key, fill, 32);
}

/* An Ed25519 key pair from a seed of 32 `fill` bytes. */
static inline void fz_keypair(uint8_t fill, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	memset(seed, fill, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
}

/* ---- item sets: sorted arrays behind a recon_source ---- */

struct fz_set {
	uint8_t (*v)[RECON_ITEM];
	size_t n;
};

static inline uint64_t fz_rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* key hash (16 bytes) || version (8, big-endian) || content prefix (8) */
static inline void fz_item(uint64_t *state, uint64_t version, uint8_t x[RECON_ITEM])
{
	for (int i = 0; i < 16; i++)
		x[i] = (uint8_t)fz_rnd(state);
	for (int i = 0; i < 8; i++)
		x[16 + i] = (uint8_t)(version >> (56 - 8 * i));
	for (int i = 24; i < RECON_ITEM; i++)
		x[i] = (uint8_t)fz_rnd(state);
}

static inline int fz_cmp_item(const void *a, const void *b)
{
	return memcmp(a, b, RECON_ITEM);
}

/* Sort and keep one item per key hash, as a node holds them. */
static inline void fz_set_sort(struct fz_set *s)
{
	qsort(s->v, s->n, RECON_ITEM, fz_cmp_item);
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (k == 0 || memcmp(s->v[k - 1], s->v[i], 16) != 0)
			memmove(s->v[k++], s->v[i], RECON_ITEM);
	s->n = k;
}

/* First index with v[i] >= x. */
static inline size_t fz_set_lower(const struct fz_set *s, const uint8_t *x)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(s->v[mid], x, RECON_ITEM) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline int fz_set_scan(void *ctx, const uint8_t *lo, const uint8_t *hi,
                              int (*fn)(void *arg, const uint8_t item[RECON_ITEM]), void *arg)
{
	const struct fz_set *s = ctx;
	for (size_t i = lo ? fz_set_lower(s, lo) : 0; i < s->n; i++) {
		if (hi && memcmp(s->v[i], hi, RECON_ITEM) >= 0)
			break;
		if (fn(arg, s->v[i]))
			break;
	}
	return 0;
}

static inline int fz_set_has(const struct fz_set *s, const uint8_t x[RECON_ITEM])
{
	size_t i = fz_set_lower(s, x);
	return i < s->n && memcmp(s->v[i], x, RECON_ITEM) == 0;
}

/*
 * Set a: FZ_SET_A items of versions 1 to 5.  Set b, its peer: a without
 * every seventh item, with every fifth item at a newer version, and 24
 * items of its own.  Built once; the storage lives as long as the process.
 */
static inline const struct fz_set *fz_set(int which)
{
	static struct fz_set sets[2];
	if (!sets[0].v) {
		uint64_t st = 0x67696c6465;
		struct fz_set *a = &sets[0], *b = &sets[1];
		a->v = gl_xmalloc(FZ_SET_A * RECON_ITEM);
		for (size_t i = 0; i < FZ_SET_A; i++)
			fz_item(&st, 1 + fz_rnd(&st) % 5, a->v[i]);
		a->n = FZ_SET_A;
		fz_set_sort(a);
		b->v = gl_xmalloc((a->n + 24) * RECON_ITEM);
		for (size_t i = 0; i < a->n; i++) {
			if (i % 7 == 3)
				continue;
			memcpy(b->v[b->n], a->v[i], RECON_ITEM);
			if (i % 5 == 1) {
				b->v[b->n][23]++; /* version + 1 (at most 6: no carry) */
				for (int k = 24; k < RECON_ITEM; k++)
					b->v[b->n][k] = (uint8_t)fz_rnd(&st);
			}
			b->n++;
		}
		for (int i = 0; i < 24; i++)
			fz_item(&st, 1, b->v[b->n++]);
		fz_set_sort(b);
	}
	return &sets[which];
}

static inline struct recon_source fz_source(int which)
{
	struct recon_source src = { .ctx = (void *)fz_set(which), .scan = fz_set_scan };
	return src;
}

/* Symbols the v2 targets keep of each set. */
#define FZ_SKETCH 512

/* The v2 sketch of set a or b (riblt.h), built once like the sets. */
static inline const struct riblt_sketch *fz_sketch(int which)
{
	static struct riblt_sketch sk[2];
	if (!sk[which].sym) {
		const struct fz_set *s = fz_set(which);
		if (riblt_sketch_init(&sk[which], FZ_SKETCH) != 0)
			abort();
		for (size_t i = 0; i < s->n; i++)
			riblt_sketch_add(&sk[which], s->v[i]);
	}
	return &sk[which];
}

#endif
