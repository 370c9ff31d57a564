/* test_topk.c — the bounded heap of query/topk.h against a sort of the
 * whole stream: the same first k, in order, whatever the stream; and
 * topk_wants() says exactly what topk_offer() keeps. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "query/topk.h"

struct el {
	int key;
	unsigned seq; /* ties broken by arrival: a total order */
};

static int el_cmp(const void *va, const void *vb)
{
	const struct el *a = va, *b = vb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* A small generator of its own, so that runs repeat. */
static unsigned next_rand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

static void one_stream(size_t k, size_t len, int spread, unsigned seed)
{
	struct el *all = calloc(len ? len : 1, sizeof *all);
	struct topk t;
	topk_init(&t, k, sizeof(struct el), el_cmp);
	for (size_t i = 0; i < len; i++) {
		all[i] = (struct el){ (int)(next_rand(&seed) % (unsigned)spread), (unsigned)i };
		bool wants = topk_wants(&t, &all[i]);
		assert_int_equal(wants, topk_offer(&t, &all[i]));
		assert_true(t.n <= k);
	}
	topk_sort(&t);
	qsort(all, len, sizeof *all, el_cmp);
	size_t want = len < k ? len : k;
	assert_int_equal(t.n, want);
	for (size_t i = 0; i < want; i++)
		assert_memory_equal(topk_at(&t, i), &all[i], sizeof *all);
	topk_free(&t);
	free(all);
}

static void test_topk_against_sort(void **state)
{
	(void)state;
	static const size_t ks[] = { 1, 2, 3, 7, 50, 201 };
	static const size_t lens[] = { 0, 1, 5, 49, 50, 51, 1000 };
	static const int spreads[] = { 1, 3, 1000000 };
	unsigned seed = 1;
	for (size_t a = 0; a < sizeof ks / sizeof ks[0]; a++)
		for (size_t b = 0; b < sizeof lens / sizeof lens[0]; b++)
			for (size_t c = 0; c < sizeof spreads / sizeof spreads[0]; c++)
				one_stream(ks[a], lens[b], spreads[c], seed++);
}

/* A stream in ascending order fills the heap and then wants nothing more;
 * in descending order every element is wanted. */
static void test_topk_wants(void **state)
{
	(void)state;
	struct topk t;
	topk_init(&t, 3, sizeof(struct el), el_cmp);
	for (unsigned i = 0; i < 10; i++) {
		struct el e = { (int)i, i };
		assert_int_equal(topk_wants(&t, &e), i < 3);
		topk_offer(&t, &e);
	}
	topk_free(&t);
	topk_init(&t, 3, sizeof(struct el), el_cmp);
	for (unsigned i = 0; i < 10; i++) {
		struct el e = { 100 - (int)i, i };
		assert_true(topk_wants(&t, &e));
		assert_true(topk_offer(&t, &e));
	}
	topk_sort(&t);
	assert_int_equal(((struct el *)topk_at(&t, 0))->key, 91);
	assert_int_equal(((struct el *)topk_at(&t, 2))->key, 93);
	topk_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topk_against_sort),
		cmocka_unit_test(test_topk_wants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
