/*
 * recon.h — range-based set reconciliation of two nodes' item sets
 * (PROTOCOL.md 6.4).  Pure logic over an abstract sorted item source; the
 * daemon plugs in the store, tests plug in arrays.
 *
 * Items are the 32-byte values of record_item(): key hash (16) || version
 * (8, big-endian) || content id prefix (8), compared bytewise.  A node
 * holds at most one item per key hash.
 *
 * A RECON message body is a msgpack array of ranges that together cover
 * the whole item space, in ascending order.  Range i covers
 * [upper bound of range i-1, own upper bound); the first starts at 32 zero
 * bytes.  Each range is an array of three:
 *
 *   [bound, mode, payload]
 *   bound    nil = the end of the space (only and always on the last
 *            range), else a bin of 1 to 32 bytes b, meaning the 32-byte
 *            value b || zeros.  Bounds strictly increase.
 *   mode 0   SKIP: nothing to do here; payload nil
 *   mode 1   FINGERPRINT of the sender's items in the range; payload bin 16
 *   mode 2   LIST of all the sender's items in the range; payload an array
 *            of bin 32, strictly ascending, each inside the range
 *
 * Fingerprint: with k the connection's recon key (hs_result.recon),
 *   h(x)   = BLAKE2b-256(key = k, msg = x)             for each item x
 *   sum    = the sum of h(x) over the range's items, as 256-bit
 *            little-endian integers, modulo 2^256
 *   fp     = BLAKE2b-128(no key, msg = sum (32 bytes, little-endian) ||
 *            count of items (8 bytes, little-endian))
 * The key keeps a third party from crafting records whose fingerprints
 * cancel out (the weakness of plain additive fingerprints).
 *
 * The initiator's first message is one range over everything: LIST if it
 * holds at most RECON_LIST_MAX items, else FINGERPRINT.  A side answering
 * a message handles each range in turn and emits, for its part of the
 * space:
 *
 *   SKIP         -> SKIP
 *   FINGERPRINT  -> SKIP if its own fingerprint of the range is equal;
 *                   else LIST of its own items if it holds at most
 *                   RECON_LIST_MAX there; else its own items there split
 *                   by count into RECON_BRANCH consecutive ranges, bucket j
 *                   (0-based) holding items [floor(j*c/B), floor((j+1)*c/B)),
 *                   each sent as FINGERPRINT, the split bounds chosen as
 *                   below and the last one keeping the received bound;
 *   LIST         -> SKIP, after comparing the two lists key by key (items
 *                   with equal key hash): a key only it holds, or whose
 *                   own item wins, goes to `give` (the peer lacks it; past
 *                   RECON_GIVE_LISTED of them the range goes to `spans`
 *                   instead, and none of its items to `give`);
 *                   a key only the peer holds, or whose peer item wins,
 *                   goes to `take` (ask for it).  An item wins if its
 *                   version is greater, or at equal versions its content
 *                   prefix is greater.  Equal items are ignored.
 *
 * Adjacent SKIP ranges are merged.  An answer holds at most
 * RECON_RANGES_MAX ranges and fits one frame: the received ranges are
 * answered in order while they fit (keeping room for one more); when the
 * answer to the next range [lo, hi) would not, the answer ends with one
 * range [nil, FINGERPRINT, fp] over all own items from lo to the end, and
 * the received ranges from lo on are left to later rounds (no give, no
 * take for them).  An answer in which every range is SKIP
 * is sent as the empty array: "finished".  The side receiving the empty
 * array is finished too and answers nothing.
 *
 * Split bound between consecutive own items a < b: the shortest prefix of
 * b that is greater than a, i.e. b's first L+1 bytes where L is the length
 * of the common prefix of a and b.
 */
#ifndef GILDE_RECON_H
#define GILDE_RECON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/alloc.h"
#include "proto/err.h"

#define RECON_ITEM 32
#define RECON_BRANCH 16
#define RECON_LIST_MAX 16
/* Bounds on what a received message may hold. */
#define RECON_RANGES_MAX 4096
#define RECON_ITEMS_MAX 65536

/* The items a node holds, visited in ascending order. */
struct recon_source {
	void *ctx;
	/*
	 * Call fn for each item x with lo <= x < hi (lo NULL: from the
	 * start; hi NULL: to the end), ascending, until fn returns non-zero.
	 * Returns 0, or a negative error code.
	 */
	int (*scan)(void *ctx, const uint8_t *lo, const uint8_t *hi,
	            int (*fn)(void *arg, const uint8_t item[RECON_ITEM]), void *arg);
};

/* A growable list of items. */
struct recon_items {
	uint8_t (*v)[RECON_ITEM];
	size_t n, cap;
};

/*
 * A span: a range [lo, hi) (to_end: [lo, end of space)) in which the peer
 * lacks more than RECON_GIVE_LISTED of our items, so many that listing them
 * would only spend memory.  The peer's items there (from its LIST, ascending)
 * tell which of ours it has already: send every own record whose item x
 * satisfies recon_span_wants(), in any order, reading the store as it goes.
 */
struct recon_span {
	uint8_t lo[RECON_ITEM], hi[RECON_ITEM];
	bool to_end;
	uint8_t (*peer)[RECON_ITEM];
	size_t npeer;
};

#define RECON_GIVE_LISTED 1024

/* Is x in the span, and does the peer lack it (no item for its key, or a
 * losing one)? */
bool recon_span_wants(const struct recon_span *sp, const uint8_t x[RECON_ITEM]);
void recon_span_free(struct recon_span *sp);

/* What one step of reconciliation produces. */
struct recon_out {
	struct gl_buf msg;        /* the msgpack ranges array to send */
	bool finished;            /* msg is the empty array (or nothing is due) */
	struct recon_items give;  /* own items the peer lacks: send these records */
	struct recon_span *spans; /* ranges where it lacks too many to list */
	size_t nspans, spans_cap;
	struct recon_items take;  /* peer items we lack: ask for these records */
	unsigned ranges;          /* ranges in msg */
};

/* The fingerprint of items v[0..n) under key (for tests and benchmarks). */
void recon_fingerprint(const uint8_t key[32], const uint8_t (*v)[RECON_ITEM], size_t n,
                       uint8_t fp[16]);

/* Build the initiator's first message into out (cleared first). */
int recon_initiate(const struct recon_source *src, const uint8_t key[32],
                   struct recon_out *out, struct gl_error *err);

/*
 * Answer a received ranges array (msg, len bytes, as it came in the RECON
 * message).  If msg is the empty array, out->finished is set and out->msg
 * left empty: send nothing.  Otherwise out->msg holds the answer, which
 * is the empty array when every range resolved (out->finished set): send
 * it, so the peer learns it is finished.  Records to send and to ask for
 * accumulate in out->give / out->take.
 * Returns 0, or GL_EPROTO (malformed, bounds out of order, over the
 * RECON_* bounds) with a reason in err.
 */
int recon_respond(const struct recon_source *src, const uint8_t key[32],
                  const uint8_t *msg, size_t len, struct recon_out *out,
                  struct gl_error *err);

void recon_out_reset(struct recon_out *out);
void recon_out_free(struct recon_out *out);

#endif
