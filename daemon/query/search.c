/* search.c — BM25 queries over the store's full-text index (search.h). */
#include "query/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
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
};

static int qcollect(void *ctx, const char *term, size_t len, unsigned pos, unsigned flags)
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
		w->weak = flags & TEXT_WEAK; /* of the token: the same in every run */
	}
	w->runs |= 1u << q->run;
	for (unsigned i = 0; i < w->nforms; i++)
		if (w->len[i] == len && !memcmp(w->form[i], term, len)) {
			w->fruns[i] |= (uint8_t)(1u << q->run);
			return 0;
		}
	if (w->nforms < QUERY_FORMS) {
		w->len[w->nforms] = (uint8_t)len;
		w->fruns[w->nforms] = (uint8_t)(1u << q->run);
		memcpy(w->form[w->nforms++], term, len);
	}
	return 0;
}

/* Cut the query into words, each with its forms (one per language run). */
static int parse_query(const char *text, const struct search_opts *o, struct qparse *q,
                       struct gl_error *err)
{
	static const char *const all[QUERY_RUNS] = { "nl", "en", "" };
	const char *one[] = { o->lang };
	const char *const *runs = o->lang ? one : all;
	unsigned nruns = o->lang ? 1 : QUERY_RUNS;
	q->own = (1u << nruns) - 1;
	for (unsigned r = 0; o->prefer && r < nruns; r++)
		if (!strcmp(runs[r], o->prefer))
			q->own = 1u << r;
	struct text_stemmers *st;
	int rc = text_thread_stemmers(&st, err);
	for (q->run = 0; q->run < nruns && rc == 0; q->run++)
		rc = text_terms(st, text, strlen(text), runs[q->run], TEXT_QUERY, qcollect, q, err);
	if (rc)
		return rc;
	/* a stop word in any language of the query is no word */
	size_t keep = 0;
	for (size_t i = 0; i < q->n; i++)
		if (q->w[i].runs == (1u << nruns) - 1) {
			q->strong |= !q->w[i].weak;
			q->w[keep++] = q->w[i];
		}
	q->n = keep;
	if (q->n > SEARCH_QUERY_WORDS)
		return gl_errorf(err, GL_ELIMIT, "the search has %zu words; at most %d",
		                 q->n, SEARCH_QUERY_WORDS);
	return 0;
}

/* A query word's contribution to one document's score (rkey points into
 * the store: valid in the transaction).  Parts are grouped by order, the
 * document's number and the word: integers to compare, where record keys
 * share their first 32 bytes with every record of the same author. */
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

/* A run of one form's postings in document order (one field's). */
struct prun {
	size_t pos, end; /* in qrun.p */
};

/* One form of a query word, its postings read (read_form). */
struct qform {
	size_t word;
	double factor;     /* 1, or SEARCH_OTHER_LANG for another language's form */
	double idf;
	size_t run0, nrun; /* its runs in qrun.runs */
};

struct qrun {
	struct store_txn *t;
	struct textindex_docs *docs;
	int kind;
	double n_docs, avgdl;
	struct textindex_posting *p; /* every form's postings */
	size_t np, pcap;
	struct prun *runs;
	size_t nruns, runcap;
	struct qform *forms;
	size_t nforms, formcap;
	struct part *parts;   /* score_docs' in (document, word) order, then lend_names' */
	size_t nparts, partcap;
	size_t nscored;       /* score_docs' */
	struct pname *pn;
	size_t npn, pncap;
};

static int rkey_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : al < bl ? -1 : al > bl;
}

static int part_cmp(const void *a, const void *b)
{
	const struct part *x = a, *y = b;
	return (x->order > y->order) - (x->order < y->order);
}

static int pname_cmp(const void *a, const void *b)
{
	const struct pname *x = a, *y = b;
	return rkey_cmp(x->rkey, x->rlen, y->rkey, y->rlen);
}

static void add_part(struct qrun *qr, const struct textindex_doc *doc, size_t word, double sc)
{
	if (qr->nparts == qr->partcap) {
		qr->partcap = qr->partcap ? 2 * qr->partcap : 64;
		qr->parts = gl_xrealloc(qr->parts, qr->partcap * sizeof *qr->parts);
	}
	qr->parts[qr->nparts++] = (struct part){ doc->num << PART_WORD_BITS | word, doc->rkey, sc,
		                                 (uint32_t)doc->rlen };
}

static void add_pname(struct qrun *qr, const struct textindex_doc *doc, size_t word, double sc)
{
	if (qr->npn == qr->pncap) {
		qr->pncap = qr->pncap ? 2 * qr->pncap : 16;
		qr->pn = gl_xrealloc(qr->pn, qr->pncap * sizeof *qr->pn);
	}
	qr->pn[qr->npn++] = (struct pname){ doc->rkey, doc->rlen, word, sc };
}

static double weight(uint8_t field)
{
	return field == TEXTINDEX_TITLE ? SEARCH_WEIGHT_TITLE
	       : field == TEXTINDEX_LABEL ? SEARCH_WEIGHT_LABEL : SEARCH_WEIGHT_TEXT;
}

static double bm25(const struct qrun *qr, double idf, double tf, uint32_t dl)
{
	double norm = 1.0 - SEARCH_BM25_B + SEARCH_BM25_B * (double)dl / qr->avgdl;
	return idf * tf * (SEARCH_BM25_K1 + 1.0) / (tf + SEARCH_BM25_K1 * norm);
}

/* Whether partners' names lend words to the records searched for. */
static bool lends(int kind)
{
	return kind == 0 || kind == RK_OFFER || kind == RK_EVENT || kind == RK_NEWS;
}

/* The lowest document number at the head of runs r[0..n) (UINT64_MAX if
 * all are done). */
static uint64_t runs_head(const struct textindex_posting *p, const struct prun *r, size_t n)
{
	uint64_t doc = UINT64_MAX;
	for (size_t i = 0; i < n; i++)
		if (r[i].pos < r[i].end && p[r[i].pos].doc < doc)
			doc = p[r[i].pos].doc;
	return doc;
}

/* Read the postings of one form of query word `word` (append them to
 * qr->p, cut into runs in document order: each field's) and its idf from
 * the documents that hold it (a posting of no document, left by an index
 * out of step, counts too, as it always did). */
static int read_form(struct qrun *qr, size_t word, double factor, const char *term, size_t len,
                     struct gl_error *err)
{
	size_t start = qr->np;
	int rc = textindex_postings(qr->t, term, len, &qr->p, &qr->np, &qr->pcap, err);
	if (rc)
		return rc;
	if (qr->nforms == qr->formcap) {
		qr->formcap = qr->formcap ? 2 * qr->formcap : 8;
		qr->forms = gl_xrealloc(qr->forms, qr->formcap * sizeof *qr->forms);
	}
	struct qform *f = &qr->forms[qr->nforms++];
	*f = (struct qform){ .word = word, .factor = factor, .run0 = qr->nruns };
	for (size_t i = start; i < qr->np; i++) {
		if (i > start && qr->p[i].doc > qr->p[i - 1].doc) {
			qr->runs[qr->nruns - 1].end = i + 1;
			continue;
		}
		if (qr->nruns == qr->runcap) {
			qr->runcap = qr->runcap ? 2 * qr->runcap : 16;
			qr->runs = gl_xrealloc(qr->runs, qr->runcap * sizeof *qr->runs);
		}
		qr->runs[qr->nruns++] = (struct prun){ i, i + 1 };
	}
	f->nrun = qr->nruns - f->run0;
	/* df: the distinct documents of its runs, merged (on a copy) */
	struct prun *r = gl_xmalloc((f->nrun ? f->nrun : 1) * sizeof *r);
	if (f->nrun)
		memcpy(r, qr->runs + f->run0, f->nrun * sizeof *r);
	size_t df = 0;
	for (uint64_t doc; (doc = runs_head(qr->p, r, f->nrun)) != UINT64_MAX; df++)
		for (size_t i = 0; i < f->nrun; i++)
			while (r[i].pos < r[i].end && qr->p[r[i].pos].doc == doc)
				r[i].pos++;
	free(r);
	double n = qr->n_docs > (double)df ? qr->n_docs : (double)df;
	f->idf = log(1.0 + (n - (double)df + 0.5) / ((double)df + 0.5));
	return 0;
}

/* Form f's BM25 in document doc into *sc, whose postings stand at the
 * heads of its runs (which move past them); false if it has none or is of
 * another kind than searched for.  A partner whose name holds it is kept
 * for its records (lend_names). */
static bool score_doc(struct qrun *qr, struct qform *f, const struct textindex_doc *doc,
                      double *sc)
{
	double tf = 0, name = 0;
	bool has = false;
	for (size_t k = f->run0; k < f->run0 + f->nrun; k++) {
		struct prun *r = &qr->runs[k];
		for (; r->pos < r->end && qr->p[r->pos].doc == doc->num; r->pos++) {
			const struct textindex_posting *p = &qr->p[r->pos];
			tf += weight(p->field) * (double)p->tf;
			if (p->field == TEXTINDEX_TITLE)
				name += (double)p->tf;
			has = true;
		}
	}
	if (!has)
		return false;
	/* with the partner's length: the partner ranks above what it lends to */
	if (doc->kind == RK_PARTNER && name > 0 && lends(qr->kind))
		add_pname(qr, doc, f->word,
		          f->factor * bm25(qr, f->idf, SEARCH_WEIGHT_PARTNER * name, doc->len));
	if (qr->kind && doc->kind != qr->kind)
		return false;
	*sc = f->factor * bm25(qr, f->idf, tf, doc->len);
	return true;
}

/* Document doc's parts: one per word it holds, the best of the word's
 * forms (the forms come word by word), as gather_hits would take it. */
static void score_words(struct qrun *qr, const struct textindex_doc *doc)
{
	size_t word = 0;
	double best = 0, sc;
	bool open = false;
	for (size_t f = 0; f < qr->nforms; f++) {
		if (!score_doc(qr, &qr->forms[f], doc, &sc))
			continue;
		if (open && qr->forms[f].word != word) {
			add_part(qr, doc, word, best);
			open = false;
		}
		if (!open) {
			word = qr->forms[f].word;
			best = 0;
			open = true;
		}
		if (sc > best)
			best = sc;
	}
	if (open)
		add_part(qr, doc, word, best);
}

/* Every document the forms' postings name, in number order, each looked
 * up once: its parts come in (document, word) order, as gather_hits wants
 * them, one per word.  A posting of no document counts for nothing. */
static int score_docs(struct qrun *qr, struct gl_error *err)
{
	for (uint64_t doc; (doc = runs_head(qr->p, qr->runs, qr->nruns)) != UINT64_MAX;) {
		bool found;
		struct textindex_doc d;
		int rc = textindex_docs_get(qr->docs, doc, &found, &d, err);
		if (rc)
			return rc;
		if (!found) { /* pass over its postings */
			for (size_t k = 0; k < qr->nruns; k++)
				while (qr->runs[k].pos < qr->runs[k].end &&
				       qr->p[qr->runs[k].pos].doc == doc)
					qr->runs[k].pos++;
			continue;
		}
		score_words(qr, &d);
	}
	return 0;
}

/* One partner's records, as lend_names finds them. */
struct lend {
	struct qrun *qr;
	const struct pname *pn; /* the partner's names, npn of them */
	size_t npn;
	const uint8_t *pid;     /* its id */
	size_t pid_len;
	bool first;             /* it is its author's first partner record */
	struct gl_error *err;
};

static int first_partner(void *ctx, const struct store_entry *e)
{
	struct lend *l = ctx;
	l->first = e->id_len == l->pid_len && !memcmp(e->id, l->pid, l->pid_len);
	return 1;
}

static int lend_visit(void *ctx, const struct store_entry *e)
{
	struct lend *l = ctx;
	struct record r;
	const uint8_t *pid;
	uint32_t pid_len;
	if (record_parse_held(e->env, e->env_len, &r, NULL) || !r.body)
		return 0;
	if (body_str(r.body, r.body_len, "partner", &pid, &pid_len)
	            ? pid_len != l->pid_len || memcmp(pid, l->pid, pid_len)
	            : !l->first)
		return 0;
	uint8_t rkey[STORE_KEY_MAX];
	size_t rlen = store_entry_key(e, rkey);
	bool found;
	struct textindex_doc doc;
	int rc = textindex_doc_of(l->qr->t, rkey, rlen, &found, &doc, l->err);
	if (rc || !found)
		return rc;
	for (size_t i = 0; i < l->npn; i++)
		add_part(l->qr, &doc, l->pn[i].word, l->pn[i].score);
	return 0;
}

/* The records of each partner whose name holds a query word get the
 * word's score for a field of weight SEARCH_WEIGHT_PARTNER (search.h). */
static int lend_names(struct qrun *qr, struct gl_error *err)
{
	static const int kinds[] = { RK_OFFER, RK_EVENT, RK_NEWS };
	if (qr->npn > 1)
		qsort(qr->pn, qr->npn, sizeof *qr->pn, pname_cmp);
	int rc = 0;
	for (size_t i = 0, j; i < qr->npn && rc == 0; i = j) {
		const struct pname *p = &qr->pn[i];
		for (j = i; j < qr->npn && !pname_cmp(p, &qr->pn[j]); j++)
			;
		struct lend l = { .qr = qr, .pn = p, .npn = j - i, .pid = p->rkey + RECORD_KEY_LEN + 1,
		                  .pid_len = p->rlen - RECORD_KEY_LEN - 1, .err = err };
		struct store_filter f = { .kind = RK_PARTNER, .author = p->rkey };
		if ((rc = store_scan(qr->t, &f, first_partner, &l, err)) < 0)
			break;
		rc = 0;
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && rc == 0; k++) {
			if (qr->kind && qr->kind != kinds[k])
				continue;
			f.kind = kinds[k];
			rc = store_scan(qr->t, &f, lend_visit, &l, err);
		}
	}
	return rc;
}

/* A hit before it is copied out: its score and its record's key (in the
 * store: valid in the transaction). */
struct ranked {
	double score;
	const uint8_t *rkey;
	size_t rlen;
};

/* Hits' order: the higher score first; equal scores in record key order
 * (keys differ, so no two hits tie). */
static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return rkey_cmp(x->rkey, x->rlen, y->rkey, y->rlen);
}

/* Sift h[i] down the heap h[0..n) whose top ranks last. */
static void sift_down(struct ranked *h, size_t n, size_t i)
{
	for (;;) {
		size_t m = i, l = 2 * i + 1;
		if (l < n && ranked_cmp(&h[l], &h[m]) > 0)
			m = l;
		if (l + 1 < n && ranked_cmp(&h[l + 1], &h[m]) > 0)
			m = l + 1;
		if (m == i)
			return;
		struct ranked x = h[i];
		h[i] = h[m];
		h[m] = x;
		i = m;
	}
}

/* The best k of h's n hits (all if k is 0 or k >= n) into h[0..), in
 * order; returns how many.  A page of 20 of 60,000 hits keeps a heap of
 * the 20 best seen and sorts those, not all 60,000. */
static size_t rank_best(struct ranked *h, size_t n, size_t k)
{
	if (k == 0 || k >= n) {
		qsort(h, n, sizeof *h, ranked_cmp);
		return n;
	}
	for (size_t i = k / 2; i-- > 0;)
		sift_down(h, k, i);
	for (size_t i = k; i < n; i++)
		if (ranked_cmp(&h[i], &h[0]) < 0) {
			h[0] = h[i];
			sift_down(h, k, 0);
		}
	qsort(h, k, sizeof *h, ranked_cmp);
	return k;
}

/* Put the parts in (document, word) order: score_docs' are, lend_names'
 * (a partner's records, fewer) are sorted and merged with them. */
static void order_parts(struct qrun *qr)
{
	size_t a = qr->nscored, n = qr->nparts;
	if (a == n)
		return;
	qsort(qr->parts + a, n - a, sizeof *qr->parts, part_cmp);
	struct part *m = gl_xmalloc(n * sizeof *m);
	size_t i = 0, j = a, k = 0;
	while (i < a || j < n)
		m[k++] = j == n || (i < a && qr->parts[i].order <= qr->parts[j].order) ? qr->parts[i++]
		                                                                       : qr->parts[j++];
	free(qr->parts);
	qr->parts = m;
	qr->partcap = n;
}

/* Sum the parts per document (the best form of each word) into r (room
 * for qr->nparts); a document that holds only weak words of a query that
 * has others is no hit (search.h).  Returns how many. */
static size_t gather_hits(struct qrun *qr, const struct qparse *q, struct ranked *r)
{
	size_t nh = 0;
	order_parts(qr);
	for (size_t i = 0, j; i < qr->nparts; i = j) {
		const struct part *p = &qr->parts[i];
		uint64_t doc = p->order >> PART_WORD_BITS;
		double sum = 0, best = 0;
		bool strong = false;
		for (j = i; j < qr->nparts && qr->parts[j].order >> PART_WORD_BITS == doc; j++) {
			if (j > i && qr->parts[j].order != qr->parts[j - 1].order) {
				sum += best;
				best = 0;
			}
			if (qr->parts[j].score > best)
				best = qr->parts[j].score;
			size_t word = (size_t)(qr->parts[j].order & ((1u << PART_WORD_BITS) - 1));
			strong |= !q->w[word].weak;
		}
		if (q->strong && !strong)
			continue;
		r[nh++] = (struct ranked){ sum + best, p->rkey, p->rlen };
	}
	return nh;
}

/* An array of n hits (NULL for none) with room for keys bytes of their
 * record keys after it (*arena): one allocation, one free(). */
static struct search_hit *hits_alloc(size_t n, size_t keys, uint8_t **arena)
{
	*arena = NULL;
	if (n == 0)
		return NULL;
	struct search_hit *h = gl_xmalloc(n * sizeof *h + keys);
	*arena = (uint8_t *)(h + n);
	return h;
}

/* The best max hits (0: all) of the parts, in order, into *out (NULL if
 * none); returns how many. */
static size_t best_hits(struct qrun *qr, const struct qparse *q, size_t max,
                        struct search_hit **out)
{
	*out = NULL;
	if (qr->nparts == 0)
		return 0;
	struct ranked *r = gl_xmalloc(qr->nparts * sizeof *r);
	size_t nh = rank_best(r, gather_hits(qr, q, r), max), keys = 0;
	for (size_t i = 0; i < nh; i++)
		keys += r[i].rlen;
	uint8_t *arena;
	struct search_hit *h = hits_alloc(nh, keys, &arena);
	for (size_t i = 0; i < nh; i++) {
		memcpy(arena, r[i].rkey, r[i].rlen);
		h[i] = (struct search_hit){ .rkey = arena, .rkey_len = r[i].rlen, .score = r[i].score,
			                    .kind = r[i].rkey[RECORD_KEY_LEN] };
		arena += r[i].rlen;
	}
	free(r);
	*out = h;
	return nh;
}

static int check_opts(const char *text, const struct search_opts *o, struct gl_error *err)
{
	if (o->kind && !textindex_searchable(o->kind))
		return gl_errorf(err, GL_EINVAL, "search: kind %d is not searchable (partner, offer, "
		                 "event, news)", o->kind);
	if (o->lang && o->prefer)
		return gl_errorf(err, GL_EINVAL, "search: a language to cut the query in (lang) or "
		                 "one to prefer (prefer), not both");
	if (strlen(text) > SEARCH_QUERY_MAX)
		return gl_errorf(err, GL_ELIMIT, "the search text has %zu bytes; at most %d",
		                 strlen(text), SEARCH_QUERY_MAX);
	return 0;
}

int search_query(struct store_txn *t, const char *text, const struct search_opts *o,
                 struct search_hit **hits, size_t *nhits, struct gl_error *err)
{
	static const struct search_opts none = { 0 };
	o = o ? o : &none;
	struct qparse q = { 0 };
	struct qrun qr = { .t = t, .kind = o->kind };
	struct search_hit *h = NULL;
	size_t nh = 0;
	uint64_t docs, total;
	int rc;
	if ((rc = check_opts(text, o, err)) || (rc = textindex_ready(t, err)) ||
	    (rc = parse_query(text, o, &q, err)) || (rc = textindex_totals(t, &docs, &total, err)))
		goto out;
	if ((rc = textindex_docs_open(t, &qr.docs, err)))
		goto out;
	qr.n_docs = (double)docs;
	qr.avgdl = docs && total ? (double)total / (double)docs : 1.0;
	for (size_t w = 0; w < q.n && docs; w++) {
		for (unsigned f = 0; f < q.w[w].nforms; f++) {
			double factor = q.w[w].fruns[f] & q.own ? 1.0 : SEARCH_OTHER_LANG;
			if ((rc = read_form(&qr, w, factor, q.w[w].form[f], q.w[w].len[f], err)))
				goto out;
		}
	}
	if ((rc = score_docs(&qr, err)))
		goto out;
	qr.nscored = qr.nparts;
	if ((rc = lend_names(&qr, err)))
		goto out;
	nh = best_hits(&qr, &q, o->max_hits, &h);
	*hits = h;
	*nhits = nh;
out:
	textindex_docs_close(qr.docs);
	free(q.w);
	free(qr.p);
	free(qr.runs);
	free(qr.forms);
	free(qr.parts);
	free(qr.pn);
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
