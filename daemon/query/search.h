/*
 * search.h — full-text search over partners, offers, events and news,
 * from the index the store keeps in step with the records
 * (store/textindex.h), not from a scan.
 *
 * Ranking is BM25 (k1 = SEARCH_BM25_K1, b = SEARCH_BM25_B) with the field
 * weight multiplying the term frequency (a light BM25F): for a query word
 * w and a document d of length dl,
 *     tf'   = sum over fields f of weight(f) * tf(w, f, d)
 *     score = idf(w) * tf' * (k1 + 1) / (tf' + k1 * (1 - b + b * dl / avgdl))
 *     idf   = ln(1 + (N - df + 0.5) / (df + 0.5))
 * summed over the query's words.  A query word stemmed in several
 * languages counts once per document: with the best of its forms.
 */
#ifndef GILDE_QUERY_SEARCH_H
#define GILDE_QUERY_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"
#include "proto/record.h"
#include "store/store.h"

#define SEARCH_WEIGHT_TITLE 3
#define SEARCH_WEIGHT_TEXT 1
#define SEARCH_BM25_K1 1.2
#define SEARCH_BM25_B 0.75
/* Bytes of query text, at most. */
#define SEARCH_QUERY_MAX 1024
/* Words in a query, at most (stop words and short tokens not counted). */
#define SEARCH_QUERY_WORDS 32

/* One result: the record's key (author || kind || id), its score and kind. */
struct search_hit {
	uint8_t rkey[STORE_KEY_MAX];
	size_t rkey_len;
	double score;
	int kind;
};

/*
 * Find the live records that match `text` (UTF-8, at most
 * SEARCH_QUERY_MAX bytes), best first; equal scores in record key order.
 * A record matches if it holds any query word.
 *   kind     0 for any, or RK_PARTNER / RK_OFFER / RK_EVENT / RK_NEWS;
 *   lang     "nl" or "en": cut the query with that language's rules only;
 *            NULL: with Dutch, English and no stemming alike (a word that
 *            is a Dutch or English stop word is ignored);
 *   max_hits at most this many hits (0: all).
 * On success *hits is a malloc'd array of *nhits entries (NULL when there
 * are none) that the caller frees.  A query with no words (only stop
 * words, say) has no hits.
 * Returns 0, GL_EINVAL (kind not searchable), GL_ELIMIT (text too long,
 * too many words), GL_EFORMAT (not UTF-8), GL_ECONFIG (no stemmer),
 * GL_ESTORE (index damaged, or a store of layout 2 or 3 opened read-only:
 * the message says to start gilded once) or GL_EIO; *hits and *nhits are written only
 * on success.
 */
int search_query(struct store_txn *t, const char *text, int kind, const char *lang,
                 size_t max_hits, struct search_hit **hits, size_t *nhits,
                 struct gl_error *err);

/*
 * The record of a hit, as store_get() returns it (pointers valid until
 * the transaction ends).  In the query's own transaction it is always
 * live; in a later one it may be gone (GL_ENOTFOUND) or a tombstone
 * (out->tombstone).  GL_EINVAL for a hit with an impossible key.
 */
int search_hit_entry(struct store_txn *t, const struct search_hit *h, struct store_entry *out,
                     struct gl_error *err);

#endif
