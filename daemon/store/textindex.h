/*
 * textindex.h — the full-text index over partners, offers, events and
 * news, kept in step with the records (store_int.h) in their write
 * transaction.  Queries over it (parsing, ranking) are query/search.h's.
 *
 * What is indexed: every live record of kind partner, offer, event or
 * news, in three fields —
 *   title (weight SEARCH_WEIGHT_TITLE): "name" (partner, offer, event)
 *                                        and "title" (news);
 *   label (weight SEARCH_WEIGHT_LABEL): the Dutch and English labels of
 *                                        the taxonomy terms the record is
 *                                        tagged with: "needs", "sectors",
 *                                        "activities", at the top or in an
 *                                        offer's "eligibility"; a narrower
 *                                        need brings its parent's label
 *                                        ("financing-loan": "Lening",
 *                                        "Loan", "Financiering", "Funding");
 *   text  (weight SEARCH_WEIGHT_TEXT):  "description", "summary", "body".
 * Name and text fields are language maps; every language present is cut
 * into terms with that language's rules (text.h: Dutch and English
 * stemmed, others not).  Other body fields, and fields of another shape,
 * are ignored: the index never refuses a record the store accepts.
 *
 * Why labels are a field of their own: a tag is what the partner says
 * the record is for, a stronger sign than a word met in its description,
 * but shared by many records where a name is the record's own; so they
 * weigh between the two.  The labels come from schemas/taxonomy.json, made
 * into a table when gilde is built (textindex_labels.py): the index
 * writer, which cuts terms on the threads that check signatures, looks a
 * tag up in memory and never reads the store or the schemas.  A partner's
 * name is not copied into its offers: query/search.c finds the offers of
 * the partners a query names, so that a renamed partner, or one whose
 * record arrives after its offers, is searched as it is now.
 *
 * The terms a record gives are the index's rules: text.h's steps, the
 * fields above and the labels.  TEXTINDEX_RULES_VERSION (bumped when the
 * code's rules change) and a digest of the labels, together
 * textindex_rules(), are kept in the store's meta: a write open of a store
 * indexed by other rules rebuilds the index (reindex.c), as it does for an
 * older layout, and a read-only one does not search it.
 *
 * Layout (store layout 6; four databases of the store; integers
 * big-endian in keys and in postings, little-endian in other values):
 *   postings key  term || 0x00 || field(1)        MDB_DUPSORT | MDB_DUPFIXED;
 *            dup  docnum(6) || frequency u16      one per document, in
 *                                                 document number order
 *   docs     key  rkey                            val  docnum(6)
 *            key  "\0stats"                       val  documents u64,
 *                                                      total length u64,
 *                                                      next docnum u64
 *   docnums  key  docnum(6)                       val  length u32, kind u8, rkey
 *   blocks   key  term || 0x00                    MDB_DUPSORT | MDB_DUPFIXED;
 *            dup  start docnum(6) || held (TEXTINDEX_BLOCK_DOCS bits, u64s)
 *                 || maxtf u16 for title, text, label || mindl u32 ||
 *                 fields u8                      one per block of
 *                                                 TEXTINDEX_BLOCK_DOCS
 *                                                 numbers the term is in
 *                                                 (layout 6)
 * Every indexed document gets the next document number (from 1; never
 * reused, so a new document's postings go at the end of each term's).
 * A document's length is its number of terms (all fields, all
 * languages).  Terms never contain 0x00, so one term's postings are the
 * keys that start with term || 0x00.  A posting holds 8 bytes where
 * layout 3 held the 33-97-byte record key in each posting's key: the
 * index is about a third the size.
 *
 * A term's blocks: the numbers [start, start + TEXTINDEX_BLOCK_DOCS)
 * where it has postings; held says exactly which documents have one (in
 * any field: their count is the term's document frequency, without
 * reading its postings), maxtf at least the highest frequency in each
 * field and mindl at most the shortest length of a document held, so
 * that BM25 of (maxtf, mindl) bounds the score of any document in the
 * block (query/search.c passes over blocks that cannot reach its page).
 * Written with the postings (textindex_flush); a document taken out
 * clears its bit and leaves the maxima, which may then be above what the
 * block holds, never below; a block that holds none goes.
 *
 * Indexing after the commit (store layout 5).  A record written with
 * its terms' defer flag set (textindex_terms: gilded's ingest does, so
 * that checking signatures, not filing terms, sets the pace of an import
 * or a sync) enters no posting in its write transaction: its key joins a
 * queue, and textindex_catch_up() indexes the queue later, in commit
 * order, in bounded steps, each in a transaction of its own (gilded's
 * writer does, in its idle time):
 *   textqueue key  seq u64 big-endian              val  rkey
 *   meta "textqueue"  next u64, done u64 (little-endian): the next seq
 *                     to give, and the first not yet indexed ("indexed
 *                     up to"); the queue holds exactly the seqs done ..
 *                     next - 1.
 * The mark moves in the same transaction as the entries it counts, so a
 * crash or a restart goes on from it and never loses nor doubles a
 * posting.  A queued key is indexed as the record held under it then is:
 * a record replaced or deleted while it waits leaves its entry to be
 * passed over (the replacement's remove finds no document; its own entry,
 * or the older one, indexes the newer version once, and the other finds
 * it indexed).  textindex_behind() says how many entries wait: records
 * not yet searchable, counting a record replaced while it waited twice
 * until the queue reaches it.
 *
 * Invariants, kept in the record's write transaction and in each step of
 * textindex_catch_up: a live searchable record is either indexed — it
 * has exactly one docs entry, one docnums entry and one posting per
 * distinct (term, field) of its text — or waiting: it has none of them
 * and its key is in the queue.  Nothing else is in docs, docnums or
 * postings; the stats are the count and the sum of lengths of the
 * documents indexed.  textindex_recount() checks them.
 */
#ifndef GILDE_STORE_TEXTINDEX_H
#define GILDE_STORE_TEXTINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/alloc.h"
#include "proto/bounds.h"
#include "proto/err.h"
#include "proto/record.h"
#include "store/store.h"

/* A posting's field: where in the record the term stands. */
enum { TEXTINDEX_TITLE = 1, TEXTINDEX_TEXT = 2, TEXTINDEX_LABEL = 3 };

/* The rules the index was cut by (above): bump the version when text.c or
 * textindex_cut.c change the terms a record gives. */
#define TEXTINDEX_RULES_VERSION 1
#define TEXTINDEX_RULES_LEN 12 /* version u32 little-endian, labels' digest */
#define TEXTINDEX_RULES_KEY "textrules" /* in the store's meta */
/* This build's rules, for the store's meta. */
void textindex_rules(uint8_t out[TEXTINDEX_RULES_LEN]);

/*
 * The terms of one record, cut before its write transaction: on the
 * threads that check signatures, so that the one writer only files them.
 * Private but for the flag: ready once textindex_cut() has filled it.
 */
struct textindex_terms {
	struct gl_buf packed; /* (term, field, frequency) after another (textindex_cut.c) */
	uint32_t length;      /* the document's length: its terms in all */
	bool ready;
	bool defer;           /* not cut: the record waits in the queue (above) */
};

/*
 * Cut r's terms into *out (zeroed or used before; it is emptied first), on
 * any thread: each thread has stemmers of its own.  A tombstone or a kind
 * that is not searchable has none.  Returns 0, GL_ESTORE (a body that
 * does not read: cannot happen after record_parse) or GL_ECONFIG
 * (libstemmer lacks Dutch or English).
 */
int textindex_cut(const struct record *r, struct textindex_terms *out, struct gl_error *err);
void textindex_terms_free(struct textindex_terms *st);

/* Index hooks (daemon/store/index.c calls these inside the write transaction;
 * r is the record entering or, for remove, the one leaving; a tombstone
 * is ignored; cut: r's terms if cut already, or NULL).  Return 0,
 * GL_ENOSPC, GL_EIO, GL_ESTORE (a body that does not read: cannot happen
 * after record_parse) or GL_ECONFIG (libstemmer lacks Dutch or English);
 * then abort the transaction. */
int textindex_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                     const struct record *r, const struct textindex_terms *cut,
                     struct gl_error *err);
int textindex_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        const struct record *r, struct gl_error *err);

/* Whether records of kind are indexed: partner, offer, event, news. */
bool textindex_searchable(int kind);

/*
 * Reading the index (query/search.c).  All of these read in t (a read or
 * a write transaction; in a write one, the postings that wait are written
 * first) and return 0, GL_ESTORE (damaged, or not ready: see
 * textindex_ready) or GL_EIO.
 *
 * textindex_ready: GL_ESTORE when the store is of layout 2 or 3, was
 * indexed by other rules (textindex_rules), or its rebuild was cut short,
 * and it is open read-only: the message says to start gilded once, which
 * rebuilds the index.
 */
int textindex_ready(const struct store_txn *t, struct gl_error *err);

/* The number of documents indexed and the sum of their lengths. */
int textindex_totals(struct store_txn *t, uint64_t *docs, uint64_t *total,
                     struct gl_error *err);

/* One posting: a document (by number) holds the term tf times in field. */
struct textindex_posting {
	uint64_t doc;
	uint8_t field;  /* TEXTINDEX_TITLE, TEXTINDEX_TEXT or TEXTINDEX_LABEL */
	uint16_t tf;
};

/*
 * Append the postings of term (len bytes, 1..TEXT_TERM_MAX) in every field
 * to *p, which holds *n of room for *cap and grows with gl_xrealloc (the
 * caller frees it).  Each field's postings come in document order, the
 * fields one after the other.  GL_EINVAL for a term of a bad length.
 */
int textindex_postings(struct store_txn *t, const char *term, size_t len,
                       struct textindex_posting **p, size_t *n, size_t *cap,
                       struct gl_error *err);

/* One of a term's blocks (above): read by textindex_blocks. */
#define TEXTINDEX_BLOCK_DOCS 64
struct textindex_block {
	uint64_t start;  /* its first number, a multiple of TEXTINDEX_BLOCK_DOCS */
	uint64_t held[TEXTINDEX_BLOCK_DOCS / 64]; /* bit i: document start + i */
	uint16_t maxtf[4]; /* by field (TEXTINDEX_TITLE..LABEL; [0] unused) */
	uint32_t mindl;
	uint8_t fields;  /* bit f: field f has had postings in the block */
};

/*
 * Append the blocks of term (len bytes, 1..TEXT_TERM_MAX), in number
 * order, to *b (as textindex_postings' array).  GL_EINVAL for a term of a
 * bad length.
 */
int textindex_blocks(struct store_txn *t, const char *term, size_t len,
                     struct textindex_block **b, size_t *n, size_t *cap, struct gl_error *err);

/*
 * A reader of postings a range of document numbers at a time (for the
 * blocks a query does not pass over): open it in t, close it before t
 * ends.  textindex_range_get appends term's postings in field with
 * numbers in [from, to), in number order, to *p (as textindex_postings).
 * Both return 0, GL_ESTORE, GL_EIO, or GL_EINVAL for a term of a bad
 * length; *out is set only on success.
 */
struct textindex_range;
int textindex_range_open(struct store_txn *t, struct textindex_range **out,
                         struct gl_error *err);
int textindex_range_get(struct textindex_range *r, const char *term, size_t len, uint8_t field,
                        uint64_t from, uint64_t to, struct textindex_posting **p, size_t *n,
                        size_t *cap, struct gl_error *err);
void textindex_range_close(struct textindex_range *r);

/* A document: its number, its length in terms, its record's kind and key
 * (rkey points into the store, valid while t is and is not written to). */
struct textindex_doc {
	uint64_t num;
	uint32_t len;
	int kind;
	const uint8_t *rkey;
	size_t rlen;
};

/* Document number doc; *found false if the index has none (a posting
 * left by an index out of step, which a query passes over). */
int textindex_doc(struct store_txn *t, uint64_t doc, bool *found, struct textindex_doc *out,
                  struct gl_error *err);
/*
 * A reader of many documents by number, for a query that looks up every
 * document its postings name: one cursor, stepped on to a number a few
 * ahead of the last one read, so that documents asked for in rising order
 * cost about a walk over them, not a search each.  Open it in t and close it before t ends;
 * the documents it gives are as textindex_doc's.  textindex_docs_open
 * returns 0, GL_ESTORE (see textindex_ready) or GL_EIO; *out is set only
 * on success.  textindex_docs_get returns as textindex_doc.
 */
#define TEXTINDEX_DOCS_STEPS 16 /* a number this far ahead is stepped to, not searched for */
struct textindex_docs;
int textindex_docs_open(struct store_txn *t, struct textindex_docs **out, struct gl_error *err);
int textindex_docs_get(struct textindex_docs *d, uint64_t doc, bool *found,
                       struct textindex_doc *out, struct gl_error *err);
/* The first document numbered doc or more (*found false past the last):
 * for a walk over the documents in number order.  Returns as
 * textindex_doc. */
int textindex_docs_next(struct textindex_docs *d, uint64_t doc, bool *found,
                        struct textindex_doc *out, struct gl_error *err);
void textindex_docs_close(struct textindex_docs *d);

/* The document of record key rkey (rlen bytes); *found false if the
 * record is not indexed.  GL_EINVAL for a key of an impossible length. */
int textindex_doc_of(struct store_txn *t, const uint8_t *rkey, size_t rlen, bool *found,
                     struct textindex_doc *out, struct gl_error *err);

struct textindex_counts {
	uint64_t docs;      /* documents indexed */
	uint64_t total_len; /* terms in all of them */
	uint64_t postings;  /* entries in terms */
	uint64_t waiting;   /* textindex_stats: queue entries (textindex_behind);
	                     * textindex_recount: live records waiting in it */
};

/* The statistics as the index keeps them (postings: entries in terms). */
int textindex_stats(struct store_txn *t, struct textindex_counts *out, struct gl_error *err);

/*
 * The statistics the index should have, recomputed from the live records
 * (a full scan, for checks and tests): a record whose key waits in the
 * queue and that has no document counts as waiting, every other one as
 * indexed.  docs, total_len and postings are equal to textindex_stats()'s
 * iff the counts are in step; waiting is at most textindex_stats()'s, and
 * equal when no record was replaced while it waited.
 */
int textindex_recount(struct store_txn *t, struct textindex_counts *out, struct gl_error *err);

/*
 * Empty the index and index every live searchable record again, in write
 * transaction t: for a store filled before the index existed, after the
 * terms rules (text.h) change, or when textindex_check finds it out of step.
 * A held record that does not parse is left out of the index and counted
 * in *skipped (if skipped is not NULL).
 */
int textindex_rebuild(struct store_txn *t, uint64_t *skipped, struct gl_error *err);

/*
 * A rebuild in steps, each in a transaction of its own, so that no
 * transaction holds the whole index's pages in memory (store_open's):
 * textindex_empty() empties the index; textindex_rebuild_step() indexes the live
 * searchable records after key `after` (NULL: from the first; keys as
 * store_entry_key gives them), stopping once it indexed
 * TEXTINDEX_STEP_RECORDS records or TEXTINDEX_STEP_TERMS terms.  It sets *last
 * to the key to resume after, *done once no record is left, and adds the
 * records that do not parse to *skipped.
 */
#define TEXTINDEX_STEP_RECORDS 2000
#define TEXTINDEX_STEP_TERMS 65536
int textindex_empty(struct store_txn *t, struct gl_error *err);
/*
 * Empty the index in steps too: take out the postings of up to max_terms
 * terms; once none are left, empty docs and docnums and set *done.
 * (textindex_empty drops the postings at once, and LMDB reads every page of
 * the table to do it: the whole index mapped in one call.)
 */
#define TEXTINDEX_EMPTY_STEP_TERMS 8192
int textindex_empty_step(struct store_txn *t, unsigned max_terms, bool *done,
                      struct gl_error *err);
int textindex_rebuild_step(struct store_txn *t, const uint8_t *after, size_t after_len,
                        uint8_t last[STORE_KEY_MAX], size_t *last_len, bool *done,
                        uint64_t *skipped, struct gl_error *err);

/*
 * The records committed but not yet indexed (the queue's entries, above):
 * 0 for a store that never deferred one.  A lookup; in any transaction.
 * Returns 0 or GL_ESTORE (a damaged mark).
 */
int textindex_behind(struct store_txn *t, uint64_t *n, struct gl_error *err);

/*
 * Index the oldest waiting records, in commit order, in write transaction
 * t (its own: the caller commits it, and a failure aborts it, leaving the
 * queue as it was): at most max_records of them, or fewer once
 * TEXTINDEX_STEP_TERMS terms are filed.  *left says how many wait after
 * it.  A waiting key whose record is gone, a tombstone or indexed already
 * is passed over; one whose record does not parse is left out of the
 * index (counted in *skipped, if not NULL), as a rebuild does.  Returns 0,
 * GL_ENOSPC, GL_EIO, GL_ESTORE or GL_ECONFIG, as textindex_add.
 */
#define TEXTINDEX_CATCH_UP_RECORDS 4096
int textindex_catch_up(struct store_txn *t, unsigned max_records, uint64_t *left,
                       uint64_t *skipped, struct gl_error *err);

#endif
