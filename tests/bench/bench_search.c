/*
 * Benchmark (issue 22): search_query() in this process, as gilded's web
 * server runs it for GET /api/v1/search, a new question each time
 * ("financiering zq<n>": a common word and one no record holds, as
 * bench_web.py asks), over a store made by bench_query (BENCH_KEEP=1).
 * Prints the CPU time of one query and the queries a core runs a second,
 * beside one walk over the store's offers (store_scan of one kind) in the
 * same run; with a limit, how many blocks of the index's block maxima
 * (textindex.h) a query scored and passed over, and how many documents
 * score as much as the page's last (a block holding one is always read).
 *
 * usage: bench_search DATADIR [QUERIES] [LIMIT] [none|cache]   (default 200 20, both)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query/search.h"
#include "store/store.h"
#include "store/textindex.h"

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count(void *ctx, const struct store_entry *e)
{
	(void)e;
	++*(size_t *)ctx;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_search DATADIR [QUERIES] [LIMIT] [none|cache]\n");
		return 2;
	}
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 200;
	size_t limit = argc > 3 ? (size_t)atoi(argv[3]) : 20;
	struct gl_error err = { 0 };
	struct store *s;
	struct store_txn *t;
	if (store_open(argv[1], STORE_RDONLY, 0, &s, &err) || store_begin(s, false, &t, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	size_t offers = 0;
	struct store_filter f = { .kind = RK_OFFER };
	double c0 = cpu_s();
	if (store_scan(t, &f, count, &offers, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double walk = cpu_s() - c0;
	printf("walk of the %zu offers (store_scan): %.2f ms CPU\n", offers, walk * 1e3);
	struct search_cache *cache = search_cache_new();
	{ /* how many documents score as the last of the page: a block that
	   * holds one is scored whatever its bound, as its key may rank first */
		struct search_hit *h;
		size_t nh, ties = 0, above = 0;
		struct search_opts all = { 0 };
		if (search_query(t, "financiering zq1", &all, &h, &nh, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		for (size_t i = 0; limit && nh >= limit && i < nh; i++) {
			ties += h[i].score == h[limit - 1].score;
			above += h[i].score > h[limit - 1].score;
		}
		printf("%zu hits; %zu score above the page's last, %zu as much as it\n", nh, above,
		       ties);
		free(h);
	}
	const char *only = argc > 4 ? argv[4] : "";
	for (int cached = !strcmp(only, "cache"); cached < 2 - !strcmp(only, "none"); cached++) {
		size_t hits = 0, scored = 0, passed = 0, whole = 0;
		struct search_work work = { 0 };
		struct search_opts o = { .max_hits = limit, .cache = cached ? cache : NULL,
			                 .work = &work };
		c0 = cpu_s();
		for (unsigned i = 0; i < n; i++) {
			char q[64];
			snprintf(q, sizeof q, "financiering zq%u", i * 7919u + 1);
			struct search_hit *h;
			size_t nh;
			if (search_query(t, q, &o, &h, &nh, &err)) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			hits += nh;
			scored += work.blocks_scored;
			passed += work.blocks_passed;
			whole += work.whole;
			free(h);
		}
		double one = (cpu_s() - c0) / n;
		printf("search_query \"financiering zq<n>\", limit %zu, %s: %.3f ms CPU, %.3f x the "
		       "walk, %.0f queries/s a core (%zu hits a query)\n", limit,
		       cached ? "lengths kept (as gilded)" : "no cache (as gilde)", one * 1e3,
		       one / walk, 1 / one, hits / (n ? n : 1));
		if (limit)
			printf("  blocks of %d documents a query: %zu scored, %zu passed over; %zu of %u "
			       "queries scored every document (too many blocks could reach the page)\n",
			       TEXTINDEX_BLOCK_DOCS, scored / (n ? n : 1), passed / (n ? n : 1), whole, n);
	}
	printf("the cache holds %zu bytes\n", search_cache_bytes(cache));
	search_cache_free(cache);
	store_abort(t);
	store_close(s);
	return 0;
}
