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
 * summed over the query's words.  The fields are the record's name or
 * title (SEARCH_WEIGHT_TITLE), the labels of its tags (SEARCH_WEIGHT_LABEL)
 * and its text (SEARCH_WEIGHT_TEXT), as textindex.h indexes them; and,
 * for an offer, event or news item, the name of its partner: a partner
 * record whose name holds the word lends its records the word's score in
 * a name field of weight SEARCH_WEIGHT_PARTNER, with the partner's own
 * length, found at query time (the records of a partner are its author's
 * whose "partner" names it, or that name none when it is the author's
 * first partner record).  "Wintercircus" finds the offers of the
 * Wintercircus, the partner above them: its name weighs more in its own
 * record, of the same length.
 *
 * Languages: a query word is cut with Dutch rules, English rules and none
 * (text.h), each a form of it, or with one language's only (lang).  A word
 * that is a stop word in any language of the query is ignored.  A word
 * counts once per document, with the best of its forms.  With a preferred
 * language (prefer: the reader's), a form that language's rules did not
 * make counts SEARCH_OTHER_LANG of its score: a record found in the
 * reader's own language ranks above one found as well in another, and one
 * found only in another ("financieringen" on the English page) is still
 * found.  Why not only break ties: scores of different records hardly ever
 * tie, so a tie-break would change nothing a reader sees.
 *
 * Short words: a word from a token shorter than TEXT_STRONG_MIN bytes
 * ("up", "ai"; text.h: TEXT_WEAK) is common in both languages and in
 * names.  It adds to a document's score only if the document holds a
 * longer word of the query too; a query of such words only finds what
 * holds them.  So "level up" does not find a record for its "up".  A
 * hyphenated compound is one word, joined ("scale-up" asks for
 * "scaleup", which the index holds for "scale-up" and "scaleup" alike).
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
#define SEARCH_WEIGHT_LABEL 2
#define SEARCH_WEIGHT_PARTNER 2
#define SEARCH_WEIGHT_TEXT 1
#define SEARCH_BM25_K1 1.2
#define SEARCH_BM25_B 0.75
/* What a form made by another language's rules than the preferred counts. */
#define SEARCH_OTHER_LANG 0.8
/* Bytes of query text, at most. */
#define SEARCH_QUERY_MAX 1024
/* Words in a query, at most (stop words and short tokens not counted). */
#define SEARCH_QUERY_WORDS 32

/* One result: the record's key (author || kind || id, rkey_len bytes, held
 * in the same allocation as the array of hits, freed with it), its score
 * and kind, and its place among the hits in key order (0 for the hit of
 * the lowest key: the hits' key_ranks are 0 to n - 1, each once; a reader
 * that visits the records in key order, one cursor over the store, finds
 * each hit's place in the answer by it). */
struct search_hit {
	const uint8_t *rkey;
	size_t rkey_len;
	double score;
	int kind;
	size_t key_rank;
};

/*
 * The length and kind of the index's documents, kept in memory between
 * queries by a process that searches often (gilded's web server), so
 * that a query scores a document without reading the index's entry for
 * it (query/search_cache.c says why a table that only grows stays right).
 * A query given one (search_opts.cache) in a read transaction reads it,
 * and first reads into it the documents it lacks; in a write
 * transaction it is not used.  The answers are the same either way.
 * At most SEARCH_CACHE_DOCS document numbers (4 bytes each); documents
 * numbered above are read from the index.  One cache serves one store.
 * Thread-safe; free it after the last query that used it has returned.
 */
#define SEARCH_CACHE_DOCS (1u << 22)
struct search_cache;
struct search_cache *search_cache_new(void);
void search_cache_free(struct search_cache *c);
/* The bytes its table holds. */
size_t search_cache_bytes(const struct search_cache *c);

/* What to search for besides the text, and how. */
struct search_opts {
	int kind;           /* 0 for any, or RK_PARTNER / RK_OFFER / RK_EVENT / RK_NEWS */
	const char *lang;   /* "nl" or "en": cut the query with that language's rules
	                     * only; NULL: with Dutch, English and no stemming alike */
	const char *prefer; /* "nl" or "en": the reader's language, whose forms count
	                     * in full (above); NULL: every form does.  Not with lang */
	size_t max_hits;    /* at most this many hits (0: all) */
	struct search_cache *cache; /* the documents' lengths and kinds kept; NULL: none */
	struct search_work *work;   /* if not NULL: told what the query did */
};

/* What a query with a limit did: blocks of documents (textindex.h:
 * TEXTINDEX_BLOCK_DOCS numbers) scored, and passed over because the bound
 * of their maxima could not reach the page; or (whole) every document
 * scored, as too many blocks could (for benchmarks and tests). */
struct search_work {
	size_t blocks_scored, blocks_passed;
	bool whole;
};

/*
 * Find the live records that match `text` (UTF-8, at most
 * SEARCH_QUERY_MAX bytes), best first; equal scores in record key order.
 * A record matches if it holds a query word (a short one only beside
 * another: above) in one of the fields above.  o says what else (NULL:
 * all zero).
 * On success *hits is a malloc'd array of *nhits entries (NULL when there
 * are none) that the caller frees.  A query with no words (only stop
 * words, say) has no hits.
 * Returns 0, GL_EINVAL (kind not searchable, or both lang and prefer),
 * GL_ELIMIT (text too long, too many words), GL_EFORMAT (not UTF-8),
 * GL_ECONFIG (no stemmer), GL_ESTORE (index damaged, or a store of layout
 * 2 or 3 or indexed by other rules opened read-only: the message says to
 * start gilded once) or GL_EIO; *hits and *nhits are written only on
 * success.
 */
int search_query(struct store_txn *t, const char *text, const struct search_opts *o,
                 struct search_hit **hits, size_t *nhits, struct gl_error *err);

/*
 * The record of a hit, as store_get() returns it (pointers valid until
 * the transaction ends).  In the query's own transaction it is always
 * live; in a later one it may be gone (GL_ENOTFOUND) or a tombstone
 * (out->tombstone).  GL_EINVAL for a hit with an impossible key.
 */
int search_hit_entry(struct store_txn *t, const struct search_hit *h, struct store_entry *out,
                     struct gl_error *err);
/* The same by a reader (store.h: store_reader), for many hits read in
 * key order, by key_rank. */
int search_hit_read(struct store_reader *r, const struct search_hit *h,
                    struct store_entry *out, struct gl_error *err);

#endif
