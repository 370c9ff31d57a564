/*
 * search_int.h — query/search.c's and search_cache.c's shared insides:
 * the table of the documents' lengths and kinds a search cache keeps
 * (search.h: struct search_cache).
 */
#ifndef GILDE_QUERY_SEARCH_INT_H
#define GILDE_QUERY_SEARCH_INT_H

#include "query/search.h"

/*
 * Read into the cache the documents numbered below `upto` that it lacks
 * (in t: waiting for the queries that hold it), then hold it for reading
 * (not twice in one thread: a waiting writer would block the second):
 * search_cache_get() may be called until search_cache_release().
 * t must be a read transaction (store_txn_snapshot not 0): a write one may
 * yet abort, and its document numbers be given to other documents.
 * Returns 0, or what textindex_docs_open/_next return (the cache is then
 * not held).
 */
int search_cache_hold(struct search_cache *c, struct store_txn *t, uint64_t upto,
                      struct gl_error *err);
void search_cache_release(struct search_cache *c);

/* Document doc's entry, SEARCH_CACHE_ENTRY(length, kind), or 0 when the
 * cache does not know it (then ask the index). */
#define SEARCH_CACHE_KIND_BITS 4
#define SEARCH_CACHE_ENTRY(len, kind) ((uint32_t)(len) << SEARCH_CACHE_KIND_BITS | (uint32_t)(kind))
uint32_t search_cache_get(const struct search_cache *c, uint64_t doc);

#endif
