/*
 * search_int.h — the insides query/search.c (the query, its postings, the
 * partners' names), search_score.c (scoring and ranking) and
 * search_cache.c (the documents' lengths kept) share, and nothing else.
 */
#ifndef GILDE_QUERY_SEARCH_INT_H
#define GILDE_QUERY_SEARCH_INT_H

#include <pthread.h>
#include <string.h>

#include "query/search.h"
#include "store/text.h"
#include "store/textindex.h"

#define QUERY_RUNS 3  /* Dutch, English, unstemmed */
#define QUERY_FORMS 3 /* at most one per run */

struct qword {
	unsigned pos;
	unsigned runs;   /* bit i: run i produced a form */
	bool weak;       /* from a short token (text.h: TEXT_WEAK) */
	unsigned nforms;
	uint8_t len[QUERY_FORMS];
	uint8_t fruns[QUERY_FORMS]; /* bit i: run i produced this form */
	char form[QUERY_FORMS][TEXT_TERM_MAX];
};

struct qparse {
	struct qword *w;
	size_t n, cap;
	unsigned run;
	unsigned own;    /* the runs whose forms count in full */
	bool strong;     /* a word is not weak */
	uint32_t strong_words; /* bit i: word i is not weak */
};

/* What a partner's name lends one of its records for one query word
 * (lend_names; rkey points into the store: valid in the transaction).
 * Parts are ordered by the document's number and the word. */
struct part {
	uint64_t order; /* doc << PART_WORD_BITS | word */
	const uint8_t *rkey;
	double score;
	uint32_t rlen;
};
#define PART_WORD_BITS 8
_Static_assert(SEARCH_QUERY_WORDS < (1 << PART_WORD_BITS), "a word's number fits a part");

/* A partner whose name holds a query word: what it lends its records. */
struct pname {
	const uint8_t *rkey; /* the partner's */
	size_t rlen;
	size_t word;
	double score;  /* the word's in a name field of the partner's */
};

/* A run of one form's postings in document order (one field's, or more
 * fields' one after the other when their documents rise). */
struct prun {
	size_t pos, end; /* in qrun.p */
};

/* One form of a query word, its postings read (read_form). */
struct qform {
	size_t word;
	double factor;     /* 1, or SEARCH_OTHER_LANG for another language's form */
	double idf;
	size_t run0, nrun; /* its runs in qrun.runs */
	const char *term;  /* the form (in the query's qparse), tlen bytes */
	size_t tlen;
	size_t blk0, nblk; /* a query with a limit: its blocks in qrun.blk */
};

/* A hit as scoring finds it: its score, its document and, once read
 * (cand_key), its record's key (in the store: valid in the transaction). */
struct cand {
	double score;
	uint64_t doc;
	const uint8_t *rkey;
	size_t rlen;
};

struct qrun {
	struct store_txn *t;
	struct textindex_docs *docs;
	struct search_cache *cache; /* held (search_int.h), or NULL */
	int kind;
	double n_docs, avgdl;
	struct textindex_posting *p; /* every form's postings */
	size_t np, pcap;
	struct prun *runs;
	size_t nruns, runcap;
	struct qform *forms;
	size_t nforms, formcap;
	struct part *parts;   /* lend_names', then in (document, word) order */
	size_t nparts, partcap;
	struct pname *pn;
	size_t npn, pncap;
	struct cand *best;    /* the best max so far, a heap whose top ranks last;
	                       * every hit when max is 0 */
	size_t nbest, bestcap, max;
	bool blocked;         /* max is set: by blocks (search_block.c) */
	struct textindex_block *blk; /* every form's blocks (blocked) */
	size_t nblk, blkcap;
	struct textindex_range *range; /* reads postings a block at a time */
	struct search_work *work;      /* what it did, or NULL */
	size_t *live;         /* the forms that have postings, in order */
	size_t nlive;
	int rc;               /* of reading a key (cand_key), with err */
	struct gl_error *err;
};


static inline int search_rkey_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : al < bl ? -1 : al > bl;
}

static inline double search_weight(uint8_t field)
{
	static const double w[4] = { SEARCH_WEIGHT_TEXT, SEARCH_WEIGHT_TITLE, SEARCH_WEIGHT_TEXT,
		                     SEARCH_WEIGHT_LABEL };
	_Static_assert(TEXTINDEX_TITLE == 1 && TEXTINDEX_TEXT == 2 && TEXTINDEX_LABEL == 3,
	               "the fields' weights by number");
	return w[field & 3];
}

static inline double search_bm25(const struct qrun *qr, double idf, double tf, uint32_t dl)
{
	double norm = 1.0 - SEARCH_BM25_B + SEARCH_BM25_B * (double)dl / qr->avgdl;
	return idf * tf * (SEARCH_BM25_K1 + 1.0) / (tf + SEARCH_BM25_K1 * norm);
}

/* Whether partners' names lend words to the records searched for. */
static inline bool search_lends(int kind)
{
	return kind == 0 || kind == RK_OFFER || kind == RK_EVENT || kind == RK_NEWS;
}

/* The lowest document number at the head of runs r[0..n) (UINT64_MAX if
 * all are done). */
static inline uint64_t search_runs_head(const struct textindex_posting *p, const struct prun *r, size_t n)
{
	uint64_t doc = UINT64_MAX;
	for (size_t i = 0; i < n; i++)
		if (r[i].pos < r[i].end && p[r[i].pos].doc < doc)
			doc = p[r[i].pos].doc;
	return doc;
}


/* Scoring over an array a document (search_score.c: score_dense) when
 * the documents a query names span at most SEARCH_DENSE_SPREAD numbers a
 * posting and the arrays fit in SEARCH_DENSE_BYTES; else by a merge. */
#define SEARCH_DENSE_SPREAD 64
#define SEARCH_DENSE_BYTES (4u << 20)

/* Document doc's length and kind (its key too when read from the index):
 * from the cache if it knows it, else from the index (search_score.c). */
int search_doc_meta(struct qrun *qr, uint64_t doc, bool *found, struct textindex_doc *d,
                    struct gl_error *err);

/* Score every document the forms' postings (qr->live: the forms that
 * have some) and the partners' names (qr->parts, in document order)
 * name, keeping the best qr->max in qr->best (search_score.c). */
int search_score_docs(struct qrun *qr, const struct qparse *q, struct gl_error *err);

/* The same by a merge of the runs of postings qr->p holds (in document
 * order), without the dense array (search_score.c). */
int search_score_merged(struct qrun *qr, const struct qparse *q, struct gl_error *err);

/*
 * A query with a limit (qr->max) by blocks (search_block.c).
 * search_read_blocks: one form's blocks (appended to qr->blk; f->blk0,
 * f->nblk), its idf from the documents they hold, and its title postings
 * as f's one run (for the partners' names).  search_blocks_top: the
 * highest document number the blocks name, plus one.  search_score_blocks:
 * as search_score_docs, but each block of TEXTINDEX_BLOCK_DOCS numbers
 * read and scored only if the bound of its maxima can reach the best
 * qr->max found so far: the hits are the same.
 */
int search_read_blocks(struct qrun *qr, struct qform *f, struct gl_error *err);
/* search_score_blocks returns SEARCH_BLOCKS_MANY (qr->best then holds
 * some) when, the page full after the best SEARCH_BLOCKS_FIRST blocks (and
 * again after 2, 4, ... times as many), more than 1 in SEARCH_BLOCKS_SHARE
 * of the blocks are left that can reach it: scoring every document from
 * the postings read whole costs less then (a block read and scored alone
 * costs about four times a block of that walk). */
#define SEARCH_BLOCKS_MANY 1
#define SEARCH_BLOCKS_FIRST 32
#define SEARCH_BLOCKS_SHARE 5
uint64_t search_blocks_top(const struct qrun *qr);
int search_score_blocks(struct qrun *qr, const struct qparse *q, struct gl_error *err);

/* qr->best in order as hits into *out (NULL if none), *n of them; both
 * written only on success (search_score.c). */
int search_best_hits(struct qrun *qr, struct search_hit **out, size_t *n);

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
struct search_cache {
	pthread_rwlock_t lock; /* writers: the walk that reads more of the table */
	uint32_t *e;           /* entries by document number */
	uint64_t n;            /* numbers below n have been looked for */
	size_t cap;
};
static inline uint32_t search_cache_get(const struct search_cache *c, uint64_t doc)
{
	return doc < c->n && doc < c->cap ? c->e[doc] : 0;
}

#endif
