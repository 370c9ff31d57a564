/*
 * riblt.h — rateless invertible Bloom lookup tables over reconciliation
 * items (PROTOCOL.md 6.7), the coding under reconciliation v2 (recon2.h).
 * Pure computation: no I/O, no allocation that grows with the set.
 *
 * The idea (Yang, Gilad, Alizadeh, "Practical Rateless Set
 * Reconciliation", SIGCOMM 2024): every item x of a set is added into an
 * endless sequence of coded symbols.  Symbol 0 holds every item; symbol i
 * holds x with probability 2/(i+2), the indices of x being drawn by a
 * generator seeded from x.  A coded symbol is
 *
 *   sum    the XOR of its items (32 bytes)
 *   chk    the XOR of their checksums c(x) (32 bits)
 *   count  how many items it holds
 *
 * Subtracting the symbols of two sets index by index leaves the symbols of
 * their symmetric difference, which are peeled: a symbol holding exactly one
 * item shows it (count +1 or -1, and c(sum) == chk), the item is removed
 * from every other symbol it is in, and so on.  About 1.35 to 1.75 symbols
 * per differing item decode it; the first symbols of a set do not depend on
 * anything but the set, so a node keeps them up to date as items come and
 * go (struct riblt_sketch) and a reconciliation costs nothing that grows
 * with the set.
 *
 * Definitions (normative in PROTOCOL.md 6.7; this is the C contract):
 *
 *   h(x)     BLAKE2b, 16-byte output, no key, over "gilde-recon-v2/h" || x
 *            (16 ASCII bytes, then the 32-byte item)
 *   c(x)     h(x) bytes 0..3 as a little-endian uint32: the checksum
 *   s(x)     h(x) bytes 8..15 as a little-endian uint64: the seed
 *   L(x)     2048 bytes: the ChaCha20 key stream (RFC 8439; libsodium
 *            crypto_stream_chacha20_ietf) under the key k(x) = BLAKE2b-256,
 *            no key, over "gilde-recon-v3/l" || x, nonce 12 zero bytes,
 *            block counter from 0; read as 1024 little-endian uint16 lanes
 *   state    the lane-wise sum, modulo 2^16, of L(x) over the set (a
 *            multiset hash after LtHash; the empty set's is all zeros)
 *   digest   BLAKE2b-256, no key, over "gilde-recon-v3/d" || the state's
 *            2048 bytes (lanes little-endian): 32 bytes on the wire
 *
 *   indices of x: j = 0 first; then, with a SplitMix64 state starting at
 *   s(x), each next index is drawn from r = the high 32 bits of the next
 *   SplitMix64 output as the smallest j' with
 *       (j'+1)(j'+2) > T,  T = floor((j+1)(j+2) * 2^32 / (r+1)),
 *   and the walk stops at the first j' >= RIBLT_SYMBOLS_MAX.
 *
 * The digest is a multiset hash whose collisions are as hard as short
 * integer solutions in a lattice of dimension 1024 modulo 2^16 (PROTOCOL.md
 * 6.7.2): a decoded difference is accepted only if it moves one side's
 * state and count exactly onto the other's digest and count
 * (riblt_verify), so no choice of items or symbols can make two nodes
 * believe they agree when they do not.  Adding an item to the state costs
 * one BLAKE2b, 2 KiB of ChaCha20 and 1024 additions (a few us); the
 * digest is hashed from the state when it is needed (a session's START,
 * SYMBOLS or verification), not per item.
 *
 * Caveats: a symbol's count is kept in full in a sketch but travels modulo
 * 256; a decoder works modulo 256.  Items are added once: adding an item
 * the set holds already, or removing one it does not hold, corrupts the
 * sketch (the caller's store knows which it is).
 */
#ifndef GILDE_RIBLT_H
#define GILDE_RIBLT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"

#define RIBLT_ITEM 32
/* Symbol indices are 0 .. RIBLT_SYMBOLS_MAX - 1: a session never uses more. */
#define RIBLT_SYMBOLS_MAX 8192u
/* A symbol on the wire: sum (32) || chk (4, little-endian) || count mod 256 (1). */
#define RIBLT_SYMBOL_WIRE 37
#define RIBLT_DIGEST 32
/* The multiset hash: lanes of a state, its bytes. */
#define RIBLT_LANES 1024
#define RIBLT_STATE (2 * RIBLT_LANES)
/* The 16-byte prefixes of the item hashes and of the digest.  h(x) keeps
 * v2's tag: the coded symbols did not change. */
#define RIBLT_TAG_H "gilde-recon-v2/h"
#define RIBLT_TAG_L "gilde-recon-v3/l"
#define RIBLT_TAG_D "gilde-recon-v3/d"

/* One coded symbol in memory. */
struct riblt_sym {
	uint8_t sum[RIBLT_ITEM];
	uint32_t chk;
	uint64_t count; /* modulo 2^64; the wire carries the low byte */
};

/* c(x) and s(x) of an item. */
void riblt_hash(const uint8_t x[RIBLT_ITEM], uint32_t *chk, uint64_t *seed);

/* The walk of one item over the symbol indices. */
struct riblt_walk {
	uint64_t state; /* SplitMix64 state */
	uint32_t index; /* the current index; RIBLT_SYMBOLS_MAX when done */
};

/* Start at index 0 with seed s(x). */
void riblt_walk_start(struct riblt_walk *w, uint64_t seed);
/* Move to the next index; false (and index RIBLT_SYMBOLS_MAX) past the last. */
bool riblt_walk_next(struct riblt_walk *w);

/* L(x): 1024 lanes. */
void riblt_lanes(const uint8_t x[RIBLT_ITEM], uint16_t l[RIBLT_LANES]);
/* state = state + l (sign > 0) or state - l (sign < 0), lane-wise mod 2^16. */
void riblt_state_apply(uint16_t state[RIBLT_LANES], const uint16_t l[RIBLT_LANES], int sign);
/* The digest of a state. */
void riblt_state_digest(const uint16_t state[RIBLT_LANES], uint8_t d[RIBLT_DIGEST]);

/*
 * A sketch: the first `size` coded symbols of a set, its item count and
 * its multiset-hash state, kept up to date one item at a time.  Each add
 * or remove touches about 2 ln(size) symbols and adds or subtracts one
 * L(x) (4-6 us in all, bench_recon).  Invariant: sym holds `size` symbols; n and state
 * describe exactly the items added and not removed.
 */
struct riblt_sketch {
	struct riblt_sym *sym;
	uint32_t size;
	uint64_t n;
	uint16_t state[RIBLT_LANES];
};

/* An empty sketch of size symbols (1 to RIBLT_SYMBOLS_MAX): 0 or GL_EINVAL. */
int riblt_sketch_init(struct riblt_sketch *s, uint32_t size);
void riblt_sketch_free(struct riblt_sketch *s);
/* Copy src into dst (initialised or zeroed; resized to src's size). */
void riblt_sketch_copy(struct riblt_sketch *dst, const struct riblt_sketch *src);
/* Add or remove one item. */
void riblt_sketch_add(struct riblt_sketch *s, const uint8_t x[RIBLT_ITEM]);
void riblt_sketch_remove(struct riblt_sketch *s, const uint8_t x[RIBLT_ITEM]);
/*
 * Add (sign +1) or remove (-1) an item whose L(x) the caller already has
 * (l may be NULL: the state is then left alone and the caller keeps it).
 * For building many sketches over one shared set (the simulator).
 */
void riblt_sketch_apply(struct riblt_sketch *s, const uint8_t x[RIBLT_ITEM],
                        const uint16_t *l, int sign);
/* The sketch's digest (hashes the state: about 3 us). */
void riblt_sketch_digest(const struct riblt_sketch *s, uint8_t d[RIBLT_DIGEST]);

/* Symbols [first, first + k) in wire form into out (k * RIBLT_SYMBOL_WIRE
 * bytes); first + k <= s->size. */
void riblt_sketch_encode(const struct riblt_sketch *s, uint32_t first, uint32_t k, uint8_t *out);
/* The counts of symbols [first, first + k), modulo 256, one byte each. */
void riblt_sketch_counts(const struct riblt_sketch *s, uint32_t first, uint32_t k, uint8_t *out);

/* A decoded difference: the items only the peer holds (`plus`) and those
 * only we hold (`minus`), each ascending and without repeats. */
struct riblt_result {
	uint8_t (*plus)[RIBLT_ITEM];
	uint8_t (*minus)[RIBLT_ITEM];
	size_t nplus, nminus;
};

void riblt_result_free(struct riblt_result *r);

/*
 * Decode the difference of the peer's symbols [0, end) (wire form, end *
 * RIBLT_SYMBOL_WIRE bytes) and own's.  Every peel is checked: count +-1,
 * c(sum) == chk, and the symbol's index among the item's indices; each
 * item is peeled at most once and at most `end` items are peeled, so the
 * work is bounded by end whatever the symbols hold.
 * Returns 0 with *out filled (every symbol resolved), 1 if symbols remain
 * that do not peel (more are needed; *out untouched), GL_EINVAL if own is
 * smaller than end, or GL_EPROTO with a reason if the symbols cannot come
 * from an honest peer (an item peeled twice, a walk over its budget).
 * A result still needs riblt_verify before anything is done with it.
 */
int riblt_decode(const uint8_t *peer, uint32_t end, const struct riblt_sketch *own,
                 struct riblt_result *out, struct gl_error *err);

/*
 * Check a decoded difference against the peer's item count and digest:
 * peer_n == own n + nplus - nminus and peer digest == the digest of own
 * state + sum L(plus) - sum L(minus).  Returns 0 or GL_EPROTO (the difference is
 * not the whole truth: crafted symbols or crafted items).
 */
int riblt_verify(const struct riblt_result *r, const struct riblt_sketch *own, uint64_t peer_n,
                 const uint8_t peer_digest[RIBLT_DIGEST], struct gl_error *err);

#endif
