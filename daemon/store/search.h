/*
 * search.h — full-text search over partners, offers, events and news,
 * from an index kept in step with the records (store_int.h), not from a
 * scan.
 *
 * What is indexed: every live record of kind partner, offer, event or
 * news, in two fields —
 *   title (weight SEARCH_WEIGHT_TITLE): "name" (partner, offer, event)
 *                                        and "title" (news);
 *   text  (weight SEARCH_WEIGHT_TEXT):  "description", "summary", "body".
 * Each is a language map; every language present is cut into terms with
 * that language's rules (text.h: Dutch and English stemmed, others not).
 * Other body fields, and fields of another shape, are ignored: the index
 * never refuses a record the store accepts.
 *
 * Layout (store layout 4; three databases of the store; integers
 * big-endian in keys and in postings, little-endian in other values):
 *   postings key  term || 0x00 || field(1)        MDB_DUPSORT | MDB_DUPFIXED;
 *            dup  docnum(6) || frequency u16      one per document, in
 *                                                 document number order
 *   docs     key  rkey                            val  docnum(6)
 *            key  "\0stats"                       val  documents u64,
 *                                                      total length u64,
 *                                                      next docnum u64
 *   docnums  key  docnum(6)                       val  length u32, kind u8, rkey
 * Every indexed document gets the next document number (from 1; never
 * reused, so a new document's postings go at the end of each term's).
 * A document's length is its number of terms (all fields, all
 * languages).  Terms never contain 0x00, so one term's postings are the
 * keys that start with term || 0x00.  A posting holds 8 bytes where
 * layout 3 held the 33-97-byte record key in each posting's key: the
 * index is about a third the size.
 *
 * Invariants, kept in the record's write transaction: a live searchable
 * record has exactly one docs entry, one docnums entry and one posting
 * per distinct (term, field) of its text; nothing else is in any of the
 * three databases; the stats are the count and the sum of lengths of the
 * documents.  search_recount() checks them.
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
#ifndef GILDE_SEARCH_H
#define GILDE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "bounds.h"
#include "err.h"
#include "record.h"
#include "store.h"

#define SEARCH_WEIGHT_TITLE 3
#define SEARCH_WEIGHT_TEXT 1
#define SEARCH_BM25_K1 1.2
#define SEARCH_BM25_B 0.75
/* Bytes of query text, at most. */
#define SEARCH_QUERY_MAX 1024
/* Words in a query, at most (stop words and short tokens not counted). */
#define SEARCH_QUERY_WORDS 32
/* Bytes in a record key: author || kind || id. */
#define SEARCH_RKEY_MAX (RECORD_KEY_LEN + 1 + GL_ID_MAX)

/*
 * The terms of one record, cut before its write transaction: on the
 * threads that check signatures, so that the one writer only files them.
 * Private but for the flag: ready once search_terms_cut() has filled it.
 */
struct search_terms {
	struct gl_buf packed; /* (term, field, frequency) after another (search.c) */
	uint32_t length;      /* the document's length: its terms in all */
	bool ready;
};

/*
 * Cut r's terms into *out (zeroed or used before; it is emptied first), on
 * any thread: each thread has stemmers of its own.  A tombstone or a kind
 * that is not searchable has none.  Returns 0, GL_ESTORE (a body that
 * does not read: cannot happen after record_parse) or GL_ECONFIG
 * (libstemmer lacks Dutch or English).
 */
int search_terms_cut(const struct record *r, struct search_terms *out, struct gl_error *err);
void search_terms_free(struct search_terms *st);

/* Index hooks (daemon/store/index.c calls these inside the write transaction;
 * r is the record entering or, for remove, the one leaving; a tombstone
 * is ignored; cut: r's terms if cut already, or NULL).  Return 0,
 * GL_ENOSPC, GL_EIO, GL_ESTORE (a body that does not read: cannot happen
 * after record_parse) or GL_ECONFIG (libstemmer lacks Dutch or English);
 * then abort the transaction. */
int search_index_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                     const struct record *r, const struct search_terms *cut,
                     struct gl_error *err);
int search_index_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        const struct record *r, struct gl_error *err);

/* One result: the record's key (author || kind || id), its score and kind. */
struct search_hit {
	uint8_t rkey[SEARCH_RKEY_MAX];
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

struct search_stats {
	uint64_t docs;      /* documents indexed */
	uint64_t total_len; /* terms in all of them */
	uint64_t postings;  /* entries in terms */
};

/* The statistics as the index keeps them (postings: entries in terms). */
int search_stats(struct store_txn *t, struct search_stats *out, struct gl_error *err);

/*
 * The statistics the index should have, recomputed from the live records
 * (a full scan, for checks and tests).  Equal to search_stats() iff the
 * counts are in step.
 */
int search_recount(struct store_txn *t, struct search_stats *out, struct gl_error *err);

/*
 * Empty the index and index every live searchable record again, in write
 * transaction t: for a store filled before the index existed, after the
 * terms rules (text.h) change, or when search_check finds it out of step.
 * A held record that does not parse is left out of the index and counted
 * in *skipped (if skipped is not NULL).
 */
int search_rebuild(struct store_txn *t, uint64_t *skipped, struct gl_error *err);

/*
 * A rebuild in steps, each in a transaction of its own, so that no
 * transaction holds the whole index's pages in memory (store_open's):
 * search_empty() empties the index; search_rebuild_step() indexes the live
 * searchable records after key `after` (NULL: from the first; keys as
 * store_entry_key gives them), stopping once it indexed
 * SEARCH_STEP_RECORDS records or SEARCH_STEP_TERMS terms.  It sets *last
 * to the key to resume after, *done once no record is left, and adds the
 * records that do not parse to *skipped.
 */
#define SEARCH_STEP_RECORDS 2000
#define SEARCH_STEP_TERMS 65536
int search_empty(struct store_txn *t, struct gl_error *err);
/*
 * Empty the index in steps too: take out the postings of up to max_terms
 * terms; once none are left, empty docs and docnums and set *done.
 * (search_empty drops the postings at once, and LMDB reads every page of
 * the table to do it: the whole index mapped in one call.)
 */
#define SEARCH_EMPTY_STEP_TERMS 8192
int search_empty_step(struct store_txn *t, unsigned max_terms, bool *done,
                      struct gl_error *err);
int search_rebuild_step(struct store_txn *t, const uint8_t *after, size_t after_len,
                        uint8_t last[STORE_KEY_MAX], size_t *last_len, bool *done,
                        uint64_t *skipped, struct gl_error *err);


#endif
