/*
 * topk.h — the first k of a stream in an order, kept in a bounded heap:
 * whatever the stream's length, at most k elements are held.  For the
 * lists that show a page of what a store scan finds (news.c: the newest;
 * directory.c: a page of offers), so that the scan holds small keys and
 * only the elements kept are turned into answers afterwards.
 *
 * Elements are plain bytes of `size`, copied in; cmp(a, b) < 0 when a
 * comes before b.  Not thread-safe: one topk belongs to one scan.
 */
#ifndef GILDE_QUERY_TOPK_H
#define GILDE_QUERY_TOPK_H

#include <stdbool.h>
#include <stddef.h>

struct topk {
	unsigned char *v;   /* k + 1 slots: a heap of n, v[0] the last kept; then a spare */
	size_t n, k, size;
	int (*cmp)(const void *a, const void *b);
};

/* Hold at most k >= 1 elements of size bytes, in cmp's order. */
void topk_init(struct topk *t, size_t k, size_t size, int (*cmp)(const void *, const void *));
/* Whether topk_offer(t, elem) would keep elem: to skip the costly part
 * of judging an element that could not be kept anyway. */
bool topk_wants(const struct topk *t, const void *elem);
/* Keep a copy of elem if it is among the first k so far (dropping the
 * last kept when full); true if kept. */
bool topk_offer(struct topk *t, const void *elem);
/* Sort what is kept, first first: t->n elements at t->v, each t->size
 * bytes (topk_at).  Offer nothing after this. */
void topk_sort(struct topk *t);
/* The i-th element kept (after topk_sort: in order). */
void *topk_at(const struct topk *t, size_t i);
void topk_free(struct topk *t);

#endif
