/*
 * sketch.h — the node's sketch of its reconciliation items for v3
 * (PROTOCOL.md 6.7.2, riblt.h): RIBLT_SYMBOLS_MAX coded symbols, the item
 * count and the multiset-hash state (whose hash is the digest) of exactly
 * the items the store has committed.
 *
 * How it stays exact:
 *   - the store reports every committed transaction's item changes
 *     (store_set_items_hook) on the writer thread; they wait, with the
 *     transaction's id, in a journal under a mutex, and a uv_async wakes
 *     the loop to apply them (riblt_sketch_add / remove);
 *   - at start the sketch is built on the thread pool from one read
 *     transaction (store_items_scan); its snapshot id says which journal
 *     entries it holds already (id <= snapshot: dropped) and which come
 *     after (applied).  Until the build is done the sketch is not ready and
 *     the node reconciles with v1 (sketch_get returns NULL).
 *
 * Cost on the loop: one L(x) added to the state and about 17 symbol
 * updates per committed item change, a few us (bench_recon's first lines);
 * nothing that grows with the number of items.  The build takes the same
 * per item, on the pool (100,000 items: 1.3 s in bench_recon on a loaded
 * machine).
 *
 * Loop thread, but for the hook (writer thread) and the build (pool).
 */
#ifndef GILDE_SKETCH_H
#define GILDE_SKETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/node.h"
#include "proto/riblt.h"

/* Symbols kept: all a session may use (PROTOCOL.md 6.7.2). */
#define SKETCH_SYMBOLS RIBLT_SYMBOLS_MAX

/* Watch the store's items (call before the writer runs) and start the
 * build on the pool.  The uv_async handle is closed with the loop's other
 * handles. */
void sketch_start(struct node *n);
/* Free it, after the loop closed. */
void sketch_free(struct node *n);

/* The sketch, up to date with every change the writer reported; NULL while
 * it is being built (use v1).  Valid until control returns to the loop. */
const struct riblt_sketch *sketch_get(struct node *n);

/* Is the sketch being built (sketch_get NULL for now, but not for long)? */
bool sketch_building(const struct node *n);

/* Was a version of item's key (its first 16 bytes) stored less than
 * within_ms ago (at most SKETCH_RECENT_MS)?  The time is the writer's
 * commit (clock_mono_ms), taken on its thread (so before anything on the
 * loop learns of the record), for at most SKETCH_RECENT_MAX keys. */
#define SKETCH_RECENT_MS 10000
#define SKETCH_RECENT_MAX 16384
bool sketch_recent(struct node *n, const uint8_t item[32], uint64_t within_ms);

/* What sketch_check found. */
struct sketch_check {
	bool ready;      /* the sketch was built */
	bool moved;      /* the store committed meanwhile: ask again */
	bool equal;      /* symbols, count and state equal a fresh build */
	uint64_t items;  /* the sketch's count */
	uint64_t fresh_items;
	uint64_t txn_id; /* the commit both describe */
	int rc;          /* a store error (then nothing else holds) */
};

/*
 * Compare the sketch with one built anew from the store (on the pool), for
 * tests and `gilde` operators: done(ctx, r) on the loop.  If the store
 * moved on between the two, r->moved is set: call again.
 */
void sketch_check(struct node *n, void (*done)(void *ctx, const struct sketch_check *r), void *ctx);

#endif
