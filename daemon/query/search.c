/* search.c — BM25 queries over the store's full-text index (search.h). */
#include "query/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "store/text.h"
#include "store/textindex.h"

#define QUERY_FORMS 3 /* Dutch, English, unstemmed */

struct qword {
	unsigned pos;
	unsigned runs;   /* bit i: run i produced a form */
	unsigned nforms;
	uint8_t len[QUERY_FORMS];
	char form[QUERY_FORMS][TEXT_TERM_MAX];
};

struct qparse {
	struct qword *w;
	size_t n, cap;
	unsigned run;
};

static int qcollect(void *ctx, const char *term, size_t len, unsigned pos)
{
	struct qparse *q = ctx;
	struct qword *w = NULL;
	for (size_t i = 0; i < q->n && !w; i++)
		if (q->w[i].pos == pos)
			w = &q->w[i];
	if (!w) {
		if (q->n == q->cap) {
			q->cap = q->cap ? 2 * q->cap : 16;
			q->w = gl_xrealloc(q->w, q->cap * sizeof *q->w);
		}
		w = &q->w[q->n++];
		memset(w, 0, sizeof *w);
		w->pos = pos;
	}
	w->runs |= 1u << q->run;
	for (unsigned i = 0; i < w->nforms; i++)
		if (w->len[i] == len && !memcmp(w->form[i], term, len))
			return 0;
	if (w->nforms < QUERY_FORMS) {
		w->len[w->nforms] = (uint8_t)len;
		memcpy(w->form[w->nforms++], term, len);
	}
	return 0;
}

/* Cut the query into words, each with its forms (one per language run). */
static int parse_query(const char *text, const char *lang, struct qparse *q,
                       struct gl_error *err)
{
	static const char *const all[] = { "nl", "en", "" };
	const char *one[] = { lang };
	const char *const *runs = lang ? one : all;
	unsigned nruns = lang ? 1 : 3;
	struct text_stemmers *st;
	int rc = text_thread_stemmers(&st, err);
	for (q->run = 0; q->run < nruns && rc == 0; q->run++)
		rc = text_terms(st, text, strlen(text), runs[q->run], qcollect, q, err);
	if (rc)
		return rc;
	/* a stop word in any language of the query is no word */
	size_t keep = 0;
	for (size_t i = 0; i < q->n; i++)
		if (q->w[i].runs == (1u << nruns) - 1)
			q->w[keep++] = q->w[i];
	q->n = keep;
	if (q->n > SEARCH_QUERY_WORDS)
		return gl_errorf(err, GL_ELIMIT, "the search has %zu words; at most %d",
		                 q->n, SEARCH_QUERY_WORDS);
	return 0;
}

/* A query word's contribution to one document's score (rkey points into
 * the store: valid in the transaction). */
struct part {
	const uint8_t *rkey;
	size_t rlen;
	size_t word;
	double score;
};

struct qrun {
	struct store_txn *t;
	int kind;
	double n_docs, avgdl;
	struct textindex_posting *p;
	size_t np, pcap;
	struct part *parts;
	size_t nparts, partcap;
};

static int rkey_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : al < bl ? -1 : al > bl;
}

static int posting_cmp(const void *a, const void *b)
{
	const struct textindex_posting *x = a, *y = b;
	return (x->doc > y->doc) - (x->doc < y->doc);
}

static int part_cmp(const void *a, const void *b)
{
	const struct part *x = a, *y = b;
	int c = rkey_cmp(x->rkey, x->rlen, y->rkey, y->rlen);
	return c ? c : x->word < y->word ? -1 : x->word > y->word;
}

/* All postings of one term into qr->p (replacing what was there), by
 * document number. */
static int read_postings(struct qrun *qr, const char *term, size_t len, struct gl_error *err)
{
	qr->np = 0;
	int rc = textindex_postings(qr->t, term, len, &qr->p, &qr->np, &qr->pcap, err);
	/* each field's postings are in order: merge the two */
	if (rc == 0 && qr->np > 1)
		qsort(qr->p, qr->np, sizeof *qr->p, posting_cmp);
	return rc;
}

static void add_part(struct qrun *qr, const uint8_t *rkey, size_t rlen, size_t word, double sc)
{
	if (qr->nparts == qr->partcap) {
		qr->partcap = qr->partcap ? 2 * qr->partcap : 64;
		qr->parts = gl_xrealloc(qr->parts, qr->partcap * sizeof *qr->parts);
	}
	qr->parts[qr->nparts++] = (struct part){ rkey, rlen, word, sc };
}

/* BM25 of one term form for every document holding it (postings grouped
 * by document).  A posting of no document (left by an index out of step)
 * counts for nothing. */
static int score_form(struct qrun *qr, size_t word, struct gl_error *err)
{
	size_t df = 0;
	for (size_t i = 0; i < qr->np; i++)
		df += i == 0 || qr->p[i - 1].doc != qr->p[i].doc;
	double n = qr->n_docs > (double)df ? qr->n_docs : (double)df;
	double idf = log(1.0 + (n - (double)df + 0.5) / ((double)df + 0.5));
	for (size_t i = 0, j; i < qr->np; i = j) {
		double tf = 0;
		for (j = i; j < qr->np && qr->p[i].doc == qr->p[j].doc; j++)
			tf += (qr->p[j].field == TEXTINDEX_TITLE ? SEARCH_WEIGHT_TITLE : SEARCH_WEIGHT_TEXT) *
			      (double)qr->p[j].tf;
		bool found;
		struct textindex_doc doc;
		int rc = textindex_doc(qr->t, qr->p[i].doc, &found, &doc, err);
		if (rc)
			return rc;
		if (!found || (qr->kind && doc.kind != qr->kind))
			continue;
		double norm = 1.0 - SEARCH_BM25_B + SEARCH_BM25_B * (double)doc.len / qr->avgdl;
		double sc = idf * tf * (SEARCH_BM25_K1 + 1.0) / (tf + SEARCH_BM25_K1 * norm);
		add_part(qr, doc.rkey, doc.rlen, word, sc);
	}
	return 0;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct search_hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return rkey_cmp(x->rkey, x->rkey_len, y->rkey, y->rkey_len);
}

/* Sum the parts per document (the best form of each word) into hits. */
static size_t gather_hits(struct qrun *qr, struct search_hit **out)
{
	*out = NULL;
	if (qr->nparts == 0)
		return 0;
	qsort(qr->parts, qr->nparts, sizeof *qr->parts, part_cmp);
	struct search_hit *h = gl_xcalloc(qr->nparts, sizeof *h);
	size_t nh = 0;
	for (size_t i = 0, j; i < qr->nparts; i = j) {
		const struct part *p = &qr->parts[i];
		double sum = 0, best = 0;
		for (j = i; j < qr->nparts && !rkey_cmp(p->rkey, p->rlen, qr->parts[j].rkey,
		                                        qr->parts[j].rlen); j++) {
			if (j > i && qr->parts[j].word != qr->parts[j - 1].word) {
				sum += best;
				best = 0;
			}
			if (qr->parts[j].score > best)
				best = qr->parts[j].score;
		}
		memcpy(h[nh].rkey, p->rkey, p->rlen);
		h[nh].rkey_len = p->rlen;
		h[nh].kind = p->rkey[RECORD_KEY_LEN];
		h[nh++].score = sum + best;
	}
	qsort(h, nh, sizeof *h, hit_cmp);
	*out = h;
	return nh;
}

int search_query(struct store_txn *t, const char *text, int kind, const char *lang,
                 size_t max_hits, struct search_hit **hits, size_t *nhits,
                 struct gl_error *err)
{
	if (kind && !textindex_searchable(kind))
		return gl_errorf(err, GL_EINVAL, "search: kind %d is not searchable (partner, offer, "
		                 "event, news)", kind);
	if (strlen(text) > SEARCH_QUERY_MAX)
		return gl_errorf(err, GL_ELIMIT, "the search text has %zu bytes; at most %d",
		                 strlen(text), SEARCH_QUERY_MAX);
	struct qparse q = { 0 };
	struct qrun qr = { .t = t, .kind = kind };
	struct search_hit *h = NULL;
	size_t nh = 0;
	uint64_t docs, total;
	int rc;
	if ((rc = textindex_ready(t, err)) || (rc = parse_query(text, lang, &q, err)) ||
	    (rc = textindex_totals(t, &docs, &total, err)))
		goto out;
	qr.n_docs = (double)docs;
	qr.avgdl = docs && total ? (double)total / (double)docs : 1.0;
	for (size_t w = 0; w < q.n && docs; w++) {
		for (unsigned f = 0; f < q.w[w].nforms; f++) {
			if ((rc = read_postings(&qr, q.w[w].form[f], q.w[w].len[f], err)) ||
			    (rc = score_form(&qr, w, err)))
				goto out;
		}
	}
	nh = gather_hits(&qr, &h);
	if (max_hits && nh > max_hits)
		nh = max_hits;
	if (nh == 0) {
		free(h);
		h = NULL;
	}
	*hits = h;
	*nhits = nh;
out:
	free(q.w);
	free(qr.p);
	free(qr.parts);
	return rc;
}

int search_hit_entry(struct store_txn *t, const struct search_hit *h, struct store_entry *out,
                     struct gl_error *err)
{
	if (h->rkey_len <= RECORD_KEY_LEN + 1 || h->rkey_len > STORE_KEY_MAX)
		return gl_errorf(err, GL_EINVAL, "search hit with a record key of %zu bytes",
		                 h->rkey_len);
	return store_get(t, h->rkey, h->rkey[RECORD_KEY_LEN],
	                 (const char *)h->rkey + RECORD_KEY_LEN + 1,
	                 h->rkey_len - RECORD_KEY_LEN - 1, out, err);
}
