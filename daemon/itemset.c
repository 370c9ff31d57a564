#include "daemon/itemset.h"

#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"

/* Items are hash outputs in their first 16 bytes, so any 8 of them index well;
 * mix in the version and content bytes so versions of one key spread too. */
static uint64_t item_hash(const uint8_t item[32])
{
	uint64_t a, b, c;
	memcpy(&a, item, 8);
	memcpy(&b, item + 16, 8);
	memcpy(&c, item + 24, 8);
	uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ull) ^ (c * 0xc2b2ae3d27d4eb4full);
	return h ? h : 1;
}

void itemset_init(struct itemset *s, size_t max_entries)
{
	size_t cap = 16;
	while (cap * 3 / 4 < max_entries)
		cap *= 2;
	s->cap = cap;
	s->max = max_entries;
	s->n = 0;
	s->keys = gl_xcalloc(cap, 32);
	s->stamps = gl_xcalloc(cap, sizeof *s->stamps);
}

void itemset_free(struct itemset *s)
{
	free(s->keys);
	free(s->stamps);
	memset(s, 0, sizeof *s);
}

static size_t find(const struct itemset *s, const uint8_t item[32], bool *found)
{
	size_t i = item_hash(item) & (s->cap - 1);
	for (;;) {
		if (s->stamps[i] == 0) {
			*found = false;
			return i;
		}
		if (memcmp(s->keys[i], item, 32) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & (s->cap - 1);
	}
}

bool itemset_put(struct itemset *s, const uint8_t item[32], uint64_t stamp)
{
	bool found;
	size_t i = find(s, item, &found);
	if (!found) {
		if (s->n >= s->max)
			return false;
		memcpy(s->keys[i], item, 32);
		s->n++;
	}
	s->stamps[i] = stamp ? stamp : 1;
	return true;
}

uint64_t itemset_get(const struct itemset *s, const uint8_t item[32])
{
	bool found;
	size_t i = find(s, item, &found);
	return found ? s->stamps[i] : 0;
}

void itemset_del(struct itemset *s, const uint8_t item[32])
{
	bool found;
	size_t i = find(s, item, &found);
	if (!found)
		return;
	/* backward-shift deletion keeps probe chains whole */
	s->stamps[i] = 0;
	s->n--;
	size_t j = i;
	for (;;) {
		j = (j + 1) & (s->cap - 1);
		if (s->stamps[j] == 0)
			return;
		size_t home = item_hash(s->keys[j]) & (s->cap - 1);
		/* move j back to i if its home is not in (i, j] cyclically */
		bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!between) {
			memcpy(s->keys[i], s->keys[j], 32);
			s->stamps[i] = s->stamps[j];
			s->stamps[j] = 0;
			i = j;
		}
	}
}

void itemset_expire(struct itemset *s, uint64_t before)
{
	/* rebuild: simple, and expiry runs rarely */
	size_t cap = s->cap;
	uint8_t (*keys)[32] = s->keys;
	uint64_t *stamps = s->stamps;
	s->keys = gl_xcalloc(cap, 32);
	s->stamps = gl_xcalloc(cap, sizeof *s->stamps);
	s->n = 0;
	for (size_t i = 0; i < cap; i++)
		if (stamps[i] && stamps[i] >= before)
			itemset_put(s, keys[i], stamps[i]);
	free(keys);
	free(stamps);
}

void itemcache_init(struct itemcache *c, size_t slots_pow2)
{
	c->slots = gl_xcalloc(slots_pow2, sizeof *c->slots);
	c->mask = slots_pow2 - 1;
}

void itemcache_free(struct itemcache *c)
{
	free(c->slots);
	c->slots = NULL;
}

void itemcache_put(struct itemcache *c, const uint8_t item[32])
{
	uint64_t h = item_hash(item);
	c->slots[h & c->mask] = h;
}

bool itemcache_has(const struct itemcache *c, const uint8_t item[32])
{
	uint64_t h = item_hash(item);
	return c->slots[h & c->mask] == h;
}

void itemlist_push(struct recon_items *l, const uint8_t item[32])
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = gl_xrealloc(l->v, l->cap * 32);
	}
	memcpy(l->v[l->n++], item, 32);
}
