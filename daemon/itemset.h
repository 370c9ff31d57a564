/*
 * itemset.h — bounded sets of 32-byte reconciliation items, and plain
 * lists of them.
 *
 * struct itemset is exact, with a capacity fixed at creation: an insert
 * into a full set fails rather than grows (the caller decides what that
 * means).  Each entry carries a 64-bit stamp (a time, for expiry).
 *
 * struct itemcache is lossy: a direct-mapped table of 64-bit hashes, for
 * "this peer probably holds this item".  A newer insert may evict an older
 * one, so a lookup can miss (costing one redundant announcement) but a
 * false hit needs a 64-bit collision.
 */
#ifndef GILDE_ITEMSET_H
#define GILDE_ITEMSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/recon.h"

struct itemset {
	uint8_t (*keys)[32];
	uint64_t *stamps;   /* 0 marks an empty slot */
	size_t cap;         /* a power of two */
	size_t n;
	size_t max;         /* at most this many entries (cap * 3/4) */
};

void itemset_init(struct itemset *s, size_t max_entries);
void itemset_free(struct itemset *s);
/* Insert with a non-zero stamp; false if the set is full. */
bool itemset_put(struct itemset *s, const uint8_t item[32], uint64_t stamp);
/* The stamp of item, or 0 if absent. */
uint64_t itemset_get(const struct itemset *s, const uint8_t item[32]);
void itemset_del(struct itemset *s, const uint8_t item[32]);
/* Remove every entry with a stamp below `before`. */
void itemset_expire(struct itemset *s, uint64_t before);

struct itemcache {
	uint64_t *slots;
	size_t mask;
};

void itemcache_init(struct itemcache *c, size_t slots_pow2);
void itemcache_free(struct itemcache *c);
void itemcache_put(struct itemcache *c, const uint8_t item[32]);
bool itemcache_has(const struct itemcache *c, const uint8_t item[32]);

/* Append item to l (proto/recon.h's list: v, n, cap), growing it; the
 * owner frees l->v. */
void itemlist_push(struct recon_items *l, const uint8_t item[32]);

#endif
