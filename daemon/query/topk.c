/* topk.c — the first k of a stream, in a bounded heap (topk.h). */
#include "query/topk.h"

#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"

void topk_init(struct topk *t, size_t k, size_t size, int (*cmp)(const void *, const void *))
{
	*t = (struct topk){ .v = gl_xmalloc((k + 1) * size), .k = k, .size = size, .cmp = cmp };
}

void *topk_at(const struct topk *t, size_t i)
{
	return t->v + i * t->size;
}

/* Heap order: a parent comes after its children (v[0] the last kept). */
static void swap(struct topk *t, size_t i, size_t j)
{
	void *spare = topk_at(t, t->k);
	memcpy(spare, topk_at(t, i), t->size);
	memcpy(topk_at(t, i), topk_at(t, j), t->size);
	memcpy(topk_at(t, j), spare, t->size);
}

static void sift_down(struct topk *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, last = i;
		if (l < t->n && t->cmp(topk_at(t, l), topk_at(t, last)) > 0)
			last = l;
		if (r < t->n && t->cmp(topk_at(t, r), topk_at(t, last)) > 0)
			last = r;
		if (last == i)
			return;
		swap(t, i, last);
		i = last;
	}
}

bool topk_wants(const struct topk *t, const void *elem)
{
	return t->n < t->k || t->cmp(elem, topk_at(t, 0)) < 0;
}

bool topk_offer(struct topk *t, const void *elem)
{
	if (t->n == t->k) {
		if (t->cmp(elem, topk_at(t, 0)) >= 0)
			return false; /* after every element kept */
		memcpy(topk_at(t, 0), elem, t->size);
		sift_down(t, 0);
		return true;
	}
	size_t i = t->n++;
	memcpy(topk_at(t, i), elem, t->size);
	while (i > 0 && t->cmp(topk_at(t, i), topk_at(t, (i - 1) / 2)) > 0) {
		swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return true;
}

void topk_sort(struct topk *t)
{
	qsort(t->v, t->n, t->size, t->cmp);
}

void topk_free(struct topk *t)
{
	free(t->v);
	*t = (struct topk){ 0 };
}
