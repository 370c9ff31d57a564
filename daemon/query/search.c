/* search.c — BM25 queries over the store's full-text index (search.h). */
#include "query/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "query/search_int.h"
#include "store/text.h"
#include "store/textindex.h"

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
			q->strong_words |= (uint32_t)!q->w[i].weak << (keep & 31);
			q->w[keep++] = q->w[i];
		}
	q->n = keep;
	if (q->n > SEARCH_QUERY_WORDS)
		return gl_errorf(err, GL_ELIMIT, "the search has %zu words; at most %d",
		                 q->n, SEARCH_QUERY_WORDS);
	return 0;
}

static int part_cmp(const void *a, const void *b)
{
	const struct part *x = a, *y = b;
	return (x->order > y->order) - (x->order < y->order);
}

static int pname_cmp(const void *a, const void *b)
{
	const struct pname *x = a, *y = b;
	return search_rkey_cmp(x->rkey, x->rlen, y->rkey, y->rlen);
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

/* The distinct documents of n postings (each document at most once a
 * field): a bit a document over the range they span, or a merge of
 * their runs when the range is too wide for that. */
#define DF_BITS_MAX (1u << 26) /* bits (8 MiB): a range wider is merged */
static size_t distinct_docs(const struct textindex_posting *p, size_t n)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t df = 0;
	for (size_t i = 0; i < n; i++) {
		lo = p[i].doc < lo ? p[i].doc : lo;
		hi = p[i].doc > hi ? p[i].doc : hi;
	}
	if (n == 0)
		return 0;
	if (hi - lo < DF_BITS_MAX) {
		uint64_t *bits = gl_xcalloc((size_t)((hi - lo) / 64 + 1), sizeof *bits);
		for (size_t i = 0; i < n; i++) {
			uint64_t d = p[i].doc - lo, m = 1ull << (d % 64);
			df += !(bits[d / 64] & m);
			bits[d / 64] |= m;
		}
		free(bits);
		return df;
	}
	/* runs: where the document number does not rise, another begins */
	size_t nrun = 1;
	for (size_t i = 1; i < n; i++)
		nrun += p[i].doc <= p[i - 1].doc;
	struct prun *r = gl_xmalloc(nrun * sizeof *r);
	r[0] = (struct prun){ 0, 1 };
	for (size_t i = 1, k = 0; i < n; i++) {
		if (p[i].doc <= p[i - 1].doc)
			r[++k].pos = i;
		r[k].end = i + 1;
	}
	for (uint64_t doc; (doc = search_runs_head(p, r, nrun)) != UINT64_MAX; df++)
		for (size_t i = 0; i < nrun; i++)
			while (r[i].pos < r[i].end && p[r[i].pos].doc == doc)
				r[i].pos++;
	free(r);
	return df;
}

/* Read the postings of one form of query word `word` (append them to
 * qr->p, cut into runs in document order) and its idf from the documents
 * that hold it (a posting of no document, left by an index out of step,
 * counts too, as it always did). */
/* Read all of form f's postings (appended to qr->p, cut into runs in
 * document order) and its idf from the documents that hold it. */
static int read_postings(struct qrun *qr, struct qform *f, struct gl_error *err)
{
	size_t start = qr->np;
	f->run0 = qr->nruns;
	int rc = textindex_postings(qr->t, f->term, f->tlen, &qr->p, &qr->np, &qr->pcap, err);
	if (rc)
		return rc;
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
	size_t df = distinct_docs(qr->p + start, qr->np - start);
	double n = qr->n_docs > (double)df ? qr->n_docs : (double)df;
	f->idf = log(1.0 + (n - (double)df + 0.5) / ((double)df + 0.5));
	return 0;
}

static int read_form(struct qrun *qr, size_t word, double factor, const char *term, size_t len,
                     struct gl_error *err)
{
	if (qr->nforms == qr->formcap) {
		qr->formcap = qr->formcap ? 2 * qr->formcap : 8;
		qr->forms = gl_xrealloc(qr->forms, qr->formcap * sizeof *qr->forms);
	}
	struct qform *f = &qr->forms[qr->nforms++];
	*f = (struct qform){ .word = word, .factor = factor, .run0 = qr->nruns, .term = term,
		             .tlen = len };
	/* with a limit its blocks, and only its title's postings */
	return qr->blocked ? search_read_blocks(qr, f, err) : read_postings(qr, f, err);
}

/* A query with a limit whose blocks' bounds leave too many to score one
 * by one (search_score_blocks): every document, as without a limit, the
 * best found so far let go of. */
static int score_all(struct qrun *qr, const struct qparse *q, struct gl_error *err)
{
	int rc = 0;
	qr->np = qr->nruns = qr->nbest = qr->nlive = 0;
	for (size_t f = 0; f < qr->nforms && rc == 0; f++)
		rc = read_postings(qr, &qr->forms[f], err);
	for (size_t f = 0; f < qr->nforms; f++)
		if (qr->forms[f].nrun)
			qr->live[qr->nlive++] = f;
	return rc ? rc : search_score_docs(qr, q, err);
}

/* The partners whose name holds a form, with the form's score in a name
 * field of weight SEARCH_WEIGHT_PARTNER, the partner's length: what they
 * lend their records (lend_names).  Read before the scoring, so that a
 * record's whole score is known when it is scored. */
static int find_names(struct qrun *qr, struct gl_error *err)
{
	for (size_t fi = 0; fi < qr->nforms && search_lends(qr->kind); fi++) {
		const struct qform *f = &qr->forms[fi];
		if (!f->nrun)
			continue;
		size_t from = qr->runs[f->run0].pos, to = qr->runs[f->run0 + f->nrun - 1].end;
		for (size_t i = from; i < to; i++) {
			const struct textindex_posting *p = &qr->p[i];
			bool found;
			struct textindex_doc d;
			int rc;
			if (p->field != TEXTINDEX_TITLE || p->tf == 0)
				continue;
			if ((rc = search_doc_meta(qr, p->doc, &found, &d, err)))
				return rc;
			if (!found || d.kind != RK_PARTNER)
				continue;
			if (!d.rkey && (rc = textindex_doc(qr->t, p->doc, &found, &d, err)))
				return rc;
			if (found)
				add_pname(qr, &d, f->word, f->factor * search_bm25(qr, f->idf,
				          SEARCH_WEIGHT_PARTNER * (double)p->tf, d.len));
		}
	}
	return 0;
}

/* One author's records, as lend_names reads them: each goes to the names
 * of its partner (its "partner", else the author's first partner record). */
struct lend {
	struct qrun *qr;
	const struct pname *pn; /* the author's partners' names, sorted by id */
	size_t npn;
	uint8_t first[GL_ID_MAX]; /* the author's first partner record's id */
	size_t first_len;         /* 0: it has none */
	struct gl_error *err;
};

static int first_partner(void *ctx, const struct store_entry *e)
{
	struct lend *l = ctx;
	if (e->id_len <= sizeof l->first) {
		memcpy(l->first, e->id, e->id_len);
		l->first_len = e->id_len;
	}
	return 1;
}

static const uint8_t *pname_pid(const struct pname *p, size_t *len)
{
	*len = p->rlen - RECORD_KEY_LEN - 1;
	return p->rkey + RECORD_KEY_LEN + 1;
}

/* The first of l's names whose partner id is pid or after it. */
static size_t lend_lower(const struct lend *l, const uint8_t *pid, size_t pid_len)
{
	size_t lo = 0, hi = l->npn, len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const uint8_t *at = pname_pid(&l->pn[mid], &len);
		if (search_rkey_cmp(at, len, pid, pid_len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int lend_visit(void *ctx, const struct store_entry *e)
{
	struct lend *l = ctx;
	struct record r;
	const uint8_t *pid;
	uint32_t pid_len;
	if (record_parse_held(e->env, e->env_len, &r, NULL) || !r.body)
		return 0;
	if (!body_str(r.body, r.body_len, "partner", &pid, &pid_len)) {
		pid = l->first;
		pid_len = (uint32_t)l->first_len;
		if (!pid_len)
			return 0;
	}
	size_t i = lend_lower(l, pid, pid_len), len;
	const uint8_t *at = i < l->npn ? pname_pid(&l->pn[i], &len) : NULL;
	if (!at || search_rkey_cmp(at, len, pid, pid_len))
		return 0; /* no partner of a name that matched */
	uint8_t rkey[STORE_KEY_MAX];
	size_t rlen = store_entry_key(e, rkey);
	bool found;
	struct textindex_doc doc;
	int rc = textindex_doc_of(l->qr->t, rkey, rlen, &found, &doc, l->err);
	if (rc || !found)
		return rc;
	for (; i < l->npn && (at = pname_pid(&l->pn[i], &len)) &&
	       !search_rkey_cmp(at, len, pid, pid_len); i++)
		add_part(l->qr, &doc, l->pn[i].word, l->pn[i].score);
	return 0;
}

/* The records of each partner whose name holds a query word get the
 * word's score for a field of weight SEARCH_WEIGHT_PARTNER (search.h).
 * Each author's records are read once, whatever number of its partners
 * matched: one member with thousands of partners named alike cost a read
 * of all its records for each of them (40 s for 6,000). */
static int lend_names(struct qrun *qr, struct gl_error *err)
{
	static const int kinds[] = { RK_OFFER, RK_EVENT, RK_NEWS };
	if (qr->npn > 1)
		qsort(qr->pn, qr->npn, sizeof *qr->pn, pname_cmp);
	int rc = 0;
	for (size_t i = 0, j; i < qr->npn && rc == 0; i = j) {
		const uint8_t *author = qr->pn[i].rkey;
		for (j = i; j < qr->npn && !memcmp(qr->pn[j].rkey, author, RECORD_KEY_LEN); j++)
			;
		struct lend l = { .qr = qr, .pn = &qr->pn[i], .npn = j - i, .err = err };
		struct store_filter f = { .kind = RK_PARTNER, .author = author };
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


/* The highest document number the postings name, plus one (0: none). */
static uint64_t docs_named(const struct qrun *qr)
{
	uint64_t top = 0;
	for (size_t k = 0; k < qr->nruns; k++)
		if (qr->runs[k].end > qr->runs[k].pos && qr->p[qr->runs[k].end - 1].doc >= top)
			top = qr->p[qr->runs[k].end - 1].doc + 1;
	return top;
}

/* Score the postings read (read_form) into qr->best: the partners' names
 * first, then every document. */
static int score(struct qrun *qr, const struct qparse *q, struct search_cache *cache,
                 struct gl_error *err)
{
	int rc;
	if (cache && store_txn_snapshot(qr->t)) {
		uint64_t upto = qr->blocked ? search_blocks_top(qr) : docs_named(qr);
		if ((rc = search_cache_hold(cache, qr->t, upto, err)))
			return rc;
		qr->cache = cache;
	}
	qr->live = gl_xmalloc((qr->nforms ? qr->nforms : 1) * sizeof *qr->live);
	for (size_t f = 0; f < qr->nforms; f++)
		if (qr->blocked ? qr->forms[f].nblk : qr->forms[f].nrun)
			qr->live[qr->nlive++] = f;
	if ((rc = find_names(qr, err)) || (rc = lend_names(qr, err)))
		return rc;
	if (qr->nparts > 1)
		qsort(qr->parts, qr->nparts, sizeof *qr->parts, part_cmp);
	if (!qr->blocked)
		return search_score_docs(qr, q, err);
	rc = search_score_blocks(qr, q, err);
	return rc == SEARCH_BLOCKS_MANY ? score_all(qr, q, err) : rc;
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
	struct qrun qr = { .t = t, .kind = o->kind, .max = o->max_hits, .err = err,
		           .blocked = o->max_hits > 0, .work = o->work };
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
	if ((rc = score(&qr, &q, o->cache, err)))
		goto out;
	free(qr.p); /* scored: their pages serve the hits' order and array */
	qr.p = NULL;
	if ((rc = search_best_hits(&qr, hits, nhits)))
		goto out;
out:
	if (qr.cache)
		search_cache_release(qr.cache);
	textindex_docs_close(qr.docs);
	textindex_range_close(qr.range);
	free(qr.blk);
	free(q.w);
	free(qr.p);
	free(qr.runs);
	free(qr.forms);
	free(qr.parts);
	free(qr.pn);
	free(qr.best);
	free(qr.live);
	return rc;
}

static int hit_key_ok(const struct search_hit *h, struct gl_error *err)
{
	if (h->rkey_len <= RECORD_KEY_LEN + 1 || h->rkey_len > STORE_KEY_MAX)
		return gl_errorf(err, GL_EINVAL, "search hit with a record key of %zu bytes",
		                 h->rkey_len);
	return 0;
}

int search_hit_entry(struct store_txn *t, const struct search_hit *h, struct store_entry *out,
                     struct gl_error *err)
{
	int rc = hit_key_ok(h, err);
	return rc ? rc : store_get(t, h->rkey, h->rkey[RECORD_KEY_LEN],
	                           (const char *)h->rkey + RECORD_KEY_LEN + 1,
	                           h->rkey_len - RECORD_KEY_LEN - 1, out, err);
}

int search_hit_read(struct store_reader *r, const struct search_hit *h,
                    struct store_entry *out, struct gl_error *err)
{
	int rc = hit_key_ok(h, err);
	return rc ? rc : store_reader_get(r, h->rkey, h->rkey[RECORD_KEY_LEN],
	                                  (const char *)h->rkey + RECORD_KEY_LEN + 1,
	                                  h->rkey_len - RECORD_KEY_LEN - 1, out, err);
}
