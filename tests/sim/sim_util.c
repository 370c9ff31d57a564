/* sim_util.c — the simulator's containers: sorted item arrays and an item map. */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

size_t sarr_lower(const uint8_t (*v)[32], size_t n, const uint8_t *x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(v[mid], x, 32) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool sarr_has(const struct sarr *a, const uint8_t x[32])
{
	size_t i = sarr_lower((const uint8_t (*)[32])a->v, a->n, x);
	return i < a->n && memcmp(a->v[i], x, 32) == 0;
}

void sarr_insert(struct sarr *a, const uint8_t x[32])
{
	size_t i = sarr_lower((const uint8_t (*)[32])a->v, a->n, x);
	if (i < a->n && memcmp(a->v[i], x, 32) == 0)
		return;
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->v = gl_xrealloc(a->v, a->cap * 32);
	}
	memmove(a->v[i + 1], a->v[i], (a->n - i) * 32);
	memcpy(a->v[i], x, 32);
	a->n++;
}

void sarr_remove(struct sarr *a, const uint8_t x[32])
{
	size_t i = sarr_lower((const uint8_t (*)[32])a->v, a->n, x);
	if (i < a->n && memcmp(a->v[i], x, 32) == 0) {
		memmove(a->v[i], a->v[i + 1], (a->n - i - 1) * 32);
		a->n--;
	}
}

/* Items are hashes already: their first 8 bytes spread well. */
static size_t slot_of(const uint8_t x[32], size_t cap)
{
	uint64_t h;
	memcpy(&h, x, 8);
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static void imap_grow(struct imap *m)
{
	struct imap old = *m;
	m->cap = old.cap ? 2 * old.cap : 64;
	m->k = gl_xcalloc(m->cap, 32);
	m->val = gl_xcalloc(m->cap, sizeof *m->val);
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.val[i])
			imap_put(m, old.k[i], old.val[i]);
	free(old.k);
	free(old.val);
}

uint64_t imap_get(const struct imap *m, const uint8_t x[32])
{
	if (!m->cap)
		return 0;
	for (size_t i = slot_of(x, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->val[i])
			return 0;
		if (memcmp(m->k[i], x, 32) == 0)
			return m->val[i];
	}
}

void imap_put(struct imap *m, const uint8_t x[32], uint64_t v)
{
	if (4 * (m->n + 1) > 3 * m->cap)
		imap_grow(m);
	for (size_t i = slot_of(x, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->val[i]) {
			memcpy(m->k[i], x, 32);
			m->val[i] = v;
			m->n++;
			return;
		}
		if (memcmp(m->k[i], x, 32) == 0) {
			m->val[i] = v;
			return;
		}
	}
}

/* Linear probing deletes by shifting back the entries that follow. */
void imap_del(struct imap *m, const uint8_t x[32])
{
	if (!m->cap)
		return;
	size_t mask = m->cap - 1, i = slot_of(x, m->cap);
	while (m->val[i] && memcmp(m->k[i], x, 32) != 0)
		i = (i + 1) & mask;
	if (!m->val[i])
		return;
	m->val[i] = 0;
	m->n--;
	for (size_t j = (i + 1) & mask; m->val[j]; j = (j + 1) & mask) {
		size_t home = slot_of(m->k[j], m->cap);
		/* move j back to i if its home is not in (i, j] cyclically */
		bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!between) {
			memcpy(m->k[i], m->k[j], 32);
			m->val[i] = m->val[j];
			m->val[j] = 0;
			i = j;
		}
	}
}

void imap_free(struct imap *m)
{
	free(m->k);
	free(m->val);
	memset(m, 0, sizeof *m);
}
