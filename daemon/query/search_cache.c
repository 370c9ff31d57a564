/*
 * search_cache.c — the length and kind of every document of the search
 * index, in memory (search.h: struct search_cache), so that a query scores
 * a document without reading its entry in the index.
 *
 * Why a table that only grows is right: a document number is never given
 * twice (store/textindex.h), so the length and kind read for a number in
 * one committed state are that number's in every state that has it.  A
 * number a state lacks (its document gone, or not yet read) is 0 in the
 * table: "ask the index".  The table is read up to the highest number a
 * query's postings name, from the first number not read yet, in that
 * query's transaction; numbers below the end that this walk did not find
 * stay 0 (gone in that state: postings of a newer state never name them).
 */
#include "query/search_int.h"

#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "store/textindex.h"


struct search_cache *search_cache_new(void)
{
	struct search_cache *c = gl_xcalloc(1, sizeof *c);
	pthread_rwlockattr_t a;
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&c->lock, &a);
	pthread_rwlockattr_destroy(&a);
	return c;
}

void search_cache_free(struct search_cache *c)
{
	if (!c)
		return;
	pthread_rwlock_destroy(&c->lock);
	free(c->e);
	free(c);
}

size_t search_cache_bytes(const struct search_cache *c)
{
	return c ? c->cap * sizeof *c->e : 0;
}

/* Read the documents numbered c->n and up (all of them, up to
 * SEARCH_CACHE_DOCS) in t; the caller holds the lock for writing. */
static int cache_read(struct search_cache *c, struct store_txn *t, struct gl_error *err)
{
	struct textindex_docs *d;
	int rc = textindex_docs_open(t, &d, err);
	if (rc)
		return rc;
	uint64_t from = c->n ? c->n : 1;
	bool found = true;
	struct textindex_doc doc;
	while (from < SEARCH_CACHE_DOCS &&
	       !(rc = textindex_docs_next(d, from, &found, &doc, err)) && found) {
		if (doc.num >= SEARCH_CACHE_DOCS) { /* those below it not found are gone */
			c->n = SEARCH_CACHE_DOCS;
			break;
		}
		if (doc.num >= c->cap) {
			size_t cap = c->cap ? c->cap : 4096;
			while (cap <= doc.num)
				cap *= 2;
			cap = cap < SEARCH_CACHE_DOCS ? cap : SEARCH_CACHE_DOCS;
			c->e = gl_xrealloc(c->e, cap * sizeof *c->e);
			memset(c->e + c->cap, 0, (cap - c->cap) * sizeof *c->e);
			c->cap = cap;
		}
		/* a length too long for an entry, or a kind too large: ask the index */
		bool fits = doc.len < (UINT32_MAX >> SEARCH_CACHE_KIND_BITS) && doc.kind > 0 &&
		            doc.kind < (1 << SEARCH_CACHE_KIND_BITS);
		c->e[doc.num] = fits ? SEARCH_CACHE_ENTRY(doc.len, doc.kind) : 0;
		c->n = doc.num + 1;
		from = doc.num + 1;
	}
	textindex_docs_close(d);
	return rc;
}

int search_cache_hold(struct search_cache *c, struct store_txn *t, uint64_t upto,
                      struct gl_error *err)
{
	int rc = 0;
	pthread_rwlock_rdlock(&c->lock);
	if (upto <= c->n || c->n >= SEARCH_CACHE_DOCS)
		return 0;
	pthread_rwlock_unlock(&c->lock);
	/* the queries holding the table end soon; those after wait (the lock
	 * prefers writers: a steady stream of queries does not starve it) */
	pthread_rwlock_wrlock(&c->lock);
	if (upto > c->n) /* another may have read them meanwhile */
		rc = cache_read(c, t, err);
	pthread_rwlock_unlock(&c->lock);
	if (rc)
		return rc;
	pthread_rwlock_rdlock(&c->lock);
	return 0;
}

void search_cache_release(struct search_cache *c)
{
	pthread_rwlock_unlock(&c->lock);
}
