/* search.c — the full-text index (terms, docs) and BM25 queries over it. */
#include "search.h"

#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mp.h"
#include "store_int.h"
#include "text.h"

enum { FIELD_TITLE = 1, FIELD_TEXT = 2 };

/* The stats key cannot be an rkey: those are longer than 33 bytes. */
static const uint8_t STATS_KEY[] = { 0, 's', 't', 'a', 't', 's' };
#define DOC_VAL_LEN 5
#define STATS_VAL_LEN 16
#define TERM_KEY_MAX (TEXT_TERM_MAX + 2 + SEARCH_RKEY_MAX)

/* ---- the terms of a document ---- */

struct dterm {
	uint8_t field, len;
	char t[TEXT_TERM_MAX];
};

struct dterms {
	struct dterm *v;
	size_t n, cap;
	uint8_t field; /* the field being cut */
};

static int collect(void *ctx, const char *term, size_t len, unsigned pos)
{
	(void)pos;
	struct dterms *d = ctx;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 256;
		d->v = gl_xrealloc(d->v, d->cap * sizeof *d->v);
	}
	struct dterm *x = &d->v[d->n++];
	x->field = d->field;
	x->len = (uint8_t)len;
	memcpy(x->t, term, len);
	return 0;
}

static int dterm_cmp(const void *a, const void *b)
{
	const struct dterm *x = a, *y = b;
	int c = memcmp(x->t, y->t, x->len < y->len ? x->len : y->len);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (int)x->field - (int)y->field;
}

static bool dterm_same(const struct dterm *x, const struct dterm *y)
{
	return x->field == y->field && x->len == y->len && !memcmp(x->t, y->t, x->len);
}

static uint8_t field_of(const uint8_t *k, uint32_t len)
{
	static const struct { const char *name; uint8_t field; } fields[] = {
		{ "name", FIELD_TITLE }, { "title", FIELD_TITLE },
		{ "description", FIELD_TEXT }, { "summary", FIELD_TEXT }, { "body", FIELD_TEXT },
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strlen(fields[i].name) == len && !memcmp(fields[i].name, k, len))
			return fields[i].field;
	return 0;
}

/* Skip the value at rd (already checked by record_parse, so bounded). */
static int skip_value(struct mp_reader *rd, unsigned depth, struct gl_error *err)
{
	uint32_t values = 0;
	return mp_check_value(rd, &record_body_limits, depth, &values, err);
}

/* A language map {lang: text, ...} (or a bare string) of one field. */
static int cut_field(struct text_stemmers *st, struct mp_reader *rd, struct dterms *d,
                     struct gl_error *err)
{
	struct mp_reader save = *rd;
	struct mp_item it;
	int rc = mp_next(rd, &it, err);
	if (rc)
		return rc;
	if (it.type == MP_STR)
		return text_terms(st, (const char *)it.v.s.p, it.v.s.len, "", collect, d, err);
	if (it.type != MP_MAP) {
		*rd = save;
		return skip_value(rd, 2, err);
	}
	for (uint32_t i = 0; i < it.v.n && rc == 0; i++) {
		const uint8_t *k;
		uint32_t klen;
		char lang[GL_KEY_MAX + 1];
		if ((rc = mp_read_str(rd, &k, &klen, err)))
			break;
		memcpy(lang, k, klen < GL_KEY_MAX ? klen : GL_KEY_MAX);
		lang[klen < GL_KEY_MAX ? klen : GL_KEY_MAX] = 0;
		struct mp_reader vsave = *rd;
		struct mp_item v;
		if ((rc = mp_next(rd, &v, err)))
			break;
		if (v.type == MP_STR) {
			rc = text_terms(st, (const char *)v.v.s.p, v.v.s.len, lang, collect, d, err);
		} else {
			*rd = vsave;
			rc = skip_value(rd, 3, err);
		}
	}
	return rc;
}

/*
 * Every term of a record body, sorted so that equal (term, field) pairs are
 * adjacent.  A write transaction uses the store's stemmers, which remember
 * stems (only one write transaction runs at a time); a read transaction,
 * which may run beside it, makes its own.
 */
static int doc_terms(struct store_txn *t, const struct record *r, struct dterms *d,
                     struct gl_error *err)
{
	struct text_stemmers own = { 0 }, *stp = t->write ? &t->s->wstem : &own;
	int rc = 0;
	if (!stp->nl) {
		if ((rc = text_stemmers_init(stp, err)))
			return rc;
		if (t->write)
			text_stemmers_remember(stp); /* they index every record written */
	}
	struct mp_reader rd;
	uint32_t n;
	mp_reader_init(&rd, r->body, r->body_len);
	if ((rc = mp_read_map(&rd, &n, err)))
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *k;
		uint32_t klen;
		if ((rc = mp_read_str(&rd, &k, &klen, err)))
			goto out;
		d->field = field_of(k, klen);
		rc = d->field ? cut_field(stp, &rd, d, err) : skip_value(&rd, 2, err);
		if (rc)
			goto out;
	}
	if (d->n > 1)
		qsort(d->v, d->n, sizeof *d->v, dterm_cmp);
out:
	text_stemmers_free(&own);
	if (rc == GL_ETRUNC || rc == GL_EFORMAT || rc == GL_ELIMIT) {
		gl_error_prefix(err, rc, "search index: a record body does not read");
		if (err)
			err->code = GL_ESTORE;
		rc = GL_ESTORE;
	}
	return rc;
}

/* ---- the index ---- */

static int stats_get(struct store_txn *t, uint64_t *docs, uint64_t *len, struct gl_error *err)
{
	MDB_val k = { .mv_size = sizeof STATS_KEY, .mv_data = (void *)STATS_KEY }, v;
	int rc = mdb_get(t->txn, t->s->docs, &k, &v);
	*docs = *len = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_mdb_fail(rc, err, t->s, "read search statistics");
	if (v.mv_size != STATS_VAL_LEN)
		return gl_errorf(err, GL_ESTORE, "%s: damaged search statistics", t->s->path);
	*docs = store_get_le64(v.mv_data);
	*len = store_get_le64((const uint8_t *)v.mv_data + 8);
	return 0;
}

/* Add (sign 1) or take away (sign -1) one document of length len. */
static int stats_move(struct store_txn *t, int sign, uint64_t len, struct gl_error *err)
{
	uint64_t docs, total;
	int rc = stats_get(t, &docs, &total, err);
	if (rc)
		return rc;
	if (sign > 0) {
		docs++;
		total += len;
	} else {
		docs = docs ? docs - 1 : 0;
		total = total >= len ? total - len : 0;
	}
	uint8_t buf[STATS_VAL_LEN];
	store_put_le64(buf, docs);
	store_put_le64(buf + 8, total);
	MDB_val k = { .mv_size = sizeof STATS_KEY, .mv_data = (void *)STATS_KEY };
	MDB_val v = { .mv_size = sizeof buf, .mv_data = buf };
	rc = mdb_put(t->txn, t->s->docs, &k, &v, 0);
	return rc ? store_mdb_fail(rc, err, t->s, "write search statistics") : 0;
}

static size_t term_key(uint8_t *key, const char *term, size_t len, uint8_t field,
                       const uint8_t *rkey, size_t rlen)
{
	memcpy(key, term, len);
	key[len] = 0;
	key[len + 1] = field;
	memcpy(key + len + 2, rkey, rlen);
	return len + 2 + rlen;
}

/* Postings waiting to be written (store_int.h): keys one after another in
 * keys, and where each is. */
struct search_pending {
	struct gl_buf keys;
	struct pend {
		uint32_t off;
		uint8_t klen;
		uint16_t tf;
	} *v;
	size_t n, cap;
};

/* Postings that wait, at most: then they are written (a rebuild adds the
 * whole store's in one transaction). */
#define PENDING_MAX 65536

static int pend_cmp(const void *a, const void *b, void *ctx)
{
	const struct pend *x = a, *y = b;
	const uint8_t *keys = ctx;
	int c = memcmp(keys + x->off, keys + y->off, x->klen < y->klen ? x->klen : y->klen);
	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	/* the same posting twice: the later is put last and stays */
	return (x->off > y->off) - (x->off < y->off);
}

void search_pending_free(struct store_txn *t)
{
	if (!t->pend)
		return;
	gl_buf_free(&t->pend->keys);
	free(t->pend->v);
	free(t->pend);
	t->pend = NULL;
}

int search_flush(struct store_txn *t, struct gl_error *err)
{
	struct search_pending *p = t->pend;
	if (!p || p->n == 0)
		return 0;
	qsort_r(p->v, p->n, sizeof *p->v, pend_cmp, p->keys.data);
	MDB_cursor *c = NULL;
	int rc = mdb_cursor_open(t->txn, t->s->terms, &c);
	/* one cursor, keys in order: LMDB finds each next place on the page it
	 * is on, not from the root */
	for (size_t i = 0; i < p->n && rc == 0; i++) {
		uint8_t tf[2] = { (uint8_t)p->v[i].tf, (uint8_t)(p->v[i].tf >> 8) };
		MDB_val k = { .mv_size = p->v[i].klen, .mv_data = p->keys.data + p->v[i].off };
		MDB_val v = { .mv_size = 2, .mv_data = tf };
		rc = mdb_cursor_put(c, &k, &v, 0);
		/* a posting lands on a page of its own term: the walk maps the table */
		store_map_work(t->s, 1);
	}
	if (c)
		mdb_cursor_close(c);
	p->n = 0;
	p->keys.len = 0;
	return rc ? store_mdb_fail(rc, err, t->s, "write search term") : 0;
}

static void pend_add(struct store_txn *t, const uint8_t *key, size_t klen, uint16_t tf)
{
	if (!t->pend)
		t->pend = gl_xcalloc(1, sizeof *t->pend);
	struct search_pending *p = t->pend;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 1024;
		p->v = gl_xrealloc(p->v, p->cap * sizeof *p->v);
	}
	p->v[p->n++] = (struct pend){ .off = (uint32_t)p->keys.len, .klen = (uint8_t)klen, .tf = tf };
	gl_buf_append(&p->keys, key, klen);
}

/* Add (to t's pending postings) or delete (!add) one posting per distinct
 * (term, field) of d. */
static int postings_apply(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                          const struct dterms *d, bool add, struct gl_error *err)
{
	uint8_t key[TERM_KEY_MAX];
	int rc;
	/* a delete must find what waits; a full buffer is written */
	if ((!add || (t->pend && t->pend->n >= PENDING_MAX)) && (rc = search_flush(t, err)))
		return rc;
	for (size_t i = 0, j; i < d->n; i = j) {
		for (j = i + 1; j < d->n && dterm_same(&d->v[i], &d->v[j]); j++)
			;
		const struct dterm *x = &d->v[i];
		size_t klen = term_key(key, x->t, x->len, x->field, rkey, rlen);
		if (add) {
			pend_add(t, key, klen, j - i > UINT16_MAX ? UINT16_MAX : (uint16_t)(j - i));
			continue;
		}
		MDB_val k = { .mv_size = klen, .mv_data = key };
		if ((rc = mdb_del(t->txn, t->s->terms, &k, NULL)) == MDB_NOTFOUND)
			rc = 0; /* indexed before this index existed */
		if (rc)
			return store_mdb_fail(rc, err, t->s, "delete search term");
	}
	return 0;
}

/* The docs entry of rkey: *found, and its length. */
static int doc_get(struct store_txn *t, const uint8_t *rkey, size_t rlen, bool *found,
                   uint32_t *len, struct gl_error *err)
{
	MDB_val k = { .mv_size = rlen, .mv_data = (void *)rkey }, v;
	int rc = mdb_get(t->txn, t->s->docs, &k, &v);
	*found = rc == 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_mdb_fail(rc, err, t->s, "read search document");
	if (v.mv_size != DOC_VAL_LEN)
		return gl_errorf(err, GL_ESTORE, "%s: damaged search document entry", t->s->path);
	const uint8_t *p = v.mv_data;
	*len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return 0;
}

static int check_rkey(const struct store_txn *t, size_t rlen, struct gl_error *err)
{
	if (rlen <= RECORD_KEY_LEN + 1 || rlen > SEARCH_RKEY_MAX)
		return gl_errorf(err, GL_EINVAL, "%s: search index: a record key of %zu bytes",
		                 t->s->path, rlen);
	return 0;
}

int search_index_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                     const struct record *r, struct gl_error *err)
{
	struct dterms d = { 0 };
	bool had = false;
	uint32_t old_len = 0;
	int rc;
	if ((rc = check_rkey(t, rlen, err)) || !r->body)
		return rc;
	if ((rc = doc_terms(t, r, &d, err)) || (rc = postings_apply(t, rkey, rlen, &d, true, err)) ||
	    (rc = doc_get(t, rkey, rlen, &had, &old_len, err)))
		goto out;
	/* had: out of step (cannot happen through store_put); keep the counts right */
	if (had && (rc = stats_move(t, -1, old_len, err)))
		goto out;
	uint32_t len = d.n > UINT32_MAX ? UINT32_MAX : (uint32_t)d.n;
	uint8_t val[DOC_VAL_LEN] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
	                             (uint8_t)(len >> 24), (uint8_t)r->kind };
	MDB_val k = { .mv_size = rlen, .mv_data = (void *)rkey };
	MDB_val v = { .mv_size = sizeof val, .mv_data = val };
	if ((rc = mdb_put(t->txn, t->s->docs, &k, &v, 0))) {
		rc = store_mdb_fail(rc, err, t->s, "write search document");
		goto out;
	}
	rc = stats_move(t, 1, len, err);
out:
	free(d.v);
	return rc;
}

int search_index_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        const struct record *r, struct gl_error *err)
{
	struct dterms d = { 0 };
	bool had = false;
	uint32_t len = 0;
	int rc;
	if ((rc = check_rkey(t, rlen, err)) || !r->body)
		return rc;
	/* r points into the records database: read all of it before the first write */
	if ((rc = doc_terms(t, r, &d, err)) || (rc = postings_apply(t, rkey, rlen, &d, false, err)) ||
	    (rc = doc_get(t, rkey, rlen, &had, &len, err)) || !had)
		goto out;
	MDB_val k = { .mv_size = rlen, .mv_data = (void *)rkey };
	if ((rc = mdb_del(t->txn, t->s->docs, &k, NULL))) {
		rc = store_mdb_fail(rc, err, t->s, "delete search document");
		goto out;
	}
	rc = stats_move(t, -1, len, err);
out:
	free(d.v);
	return rc;
}

/* ---- queries ---- */

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
	struct text_stemmers st = { 0 };
	int rc = text_stemmers_init(&st, err);
	for (q->run = 0; q->run < nruns && rc == 0; q->run++)
		rc = text_terms(&st, text, strlen(text), runs[q->run], qcollect, q, err);
	text_stemmers_free(&st);
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

/* One posting of a term; rkey points into the database (valid in the transaction). */
struct posting {
	const uint8_t *rkey;
	size_t rlen;
	unsigned field, tf;
};

/* A query word's contribution to one document's score. */
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
	struct posting *p;
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
	const struct posting *x = a, *y = b;
	return rkey_cmp(x->rkey, x->rlen, y->rkey, y->rlen);
}

static int part_cmp(const void *a, const void *b)
{
	const struct part *x = a, *y = b;
	int c = rkey_cmp(x->rkey, x->rlen, y->rkey, y->rlen);
	return c ? c : x->word < y->word ? -1 : x->word > y->word;
}

/* All postings of one term into qr->p (replacing what was there). */
static int read_postings(struct qrun *qr, const char *term, size_t len, struct gl_error *err)
{
	struct store *s = qr->t->s;
	uint8_t prefix[TEXT_TERM_MAX + 1];
	memcpy(prefix, term, len);
	prefix[len] = 0;
	MDB_cursor *c;
	int rc = search_flush(qr->t, err);
	if (rc)
		return rc;
	if ((rc = mdb_cursor_open(qr->t->txn, s->terms, &c)))
		return store_mdb_fail(rc, err, s, "cursor");
	qr->np = 0;
	MDB_val k = { .mv_size = len + 1, .mv_data = prefix }, v;
	int out = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		store_map_work(s, 1);
		if (k.mv_size < len + 1 || memcmp(k.mv_data, prefix, len + 1))
			break;
		const uint8_t *kp = k.mv_data;
		if (k.mv_size <= len + 2 + RECORD_KEY_LEN + 1 || v.mv_size != 2) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged search term entry", s->path);
			break;
		}
		if (qr->np == qr->pcap) {
			qr->pcap = qr->pcap ? 2 * qr->pcap : 64;
			qr->p = gl_xrealloc(qr->p, qr->pcap * sizeof *qr->p);
		}
		const uint8_t *tv = v.mv_data;
		qr->p[qr->np++] = (struct posting){ .rkey = kp + len + 2, .rlen = k.mv_size - len - 2,
		                                    .field = kp[len + 1],
		                                    .tf = (unsigned)tv[0] | (unsigned)tv[1] << 8 };
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, s, "read search terms");
	if (qr->np > 1)
		qsort(qr->p, qr->np, sizeof *qr->p, posting_cmp);
	return 0;
}

static void add_part(struct qrun *qr, const uint8_t *rkey, size_t rlen, size_t word, double sc)
{
	if (qr->nparts == qr->partcap) {
		qr->partcap = qr->partcap ? 2 * qr->partcap : 64;
		qr->parts = gl_xrealloc(qr->parts, qr->partcap * sizeof *qr->parts);
	}
	qr->parts[qr->nparts++] = (struct part){ rkey, rlen, word, sc };
}

/* BM25 of one term form for every document holding it (postings grouped by rkey). */
static int score_form(struct qrun *qr, size_t word, struct gl_error *err)
{
	size_t df = 0;
	for (size_t i = 0; i < qr->np; i++)
		df += i == 0 || posting_cmp(&qr->p[i - 1], &qr->p[i]) != 0;
	double n = qr->n_docs > (double)df ? qr->n_docs : (double)df;
	double idf = log(1.0 + (n - (double)df + 0.5) / ((double)df + 0.5));
	for (size_t i = 0, j; i < qr->np; i = j) {
		double tf = 0;
		for (j = i; j < qr->np && posting_cmp(&qr->p[i], &qr->p[j]) == 0; j++)
			tf += (qr->p[j].field == FIELD_TITLE ? SEARCH_WEIGHT_TITLE : SEARCH_WEIGHT_TEXT) *
			      (double)qr->p[j].tf;
		const struct posting *p = &qr->p[i];
		if (qr->kind && p->rkey[RECORD_KEY_LEN] != qr->kind)
			continue;
		bool found;
		uint32_t dl = 0;
		int rc = doc_get(qr->t, p->rkey, p->rlen, &found, &dl, err);
		if (rc)
			return rc;
		if (!found)
			return gl_errorf(err, GL_ESTORE, "%s: search index out of step (a term of no "
			                 "document)", qr->t->s->path);
		double norm = 1.0 - SEARCH_BM25_B + SEARCH_BM25_B * (double)dl / qr->avgdl;
		double sc = idf * tf * (SEARCH_BM25_K1 + 1.0) / (tf + SEARCH_BM25_K1 * norm);
		add_part(qr, p->rkey, p->rlen, word, sc);
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

static bool searchable(int kind)
{
	return kind == RK_PARTNER || kind == RK_OFFER || kind == RK_EVENT || kind == RK_NEWS;
}

int search_query(struct store_txn *t, const char *text, int kind, const char *lang,
                 size_t max_hits, struct search_hit **hits, size_t *nhits,
                 struct gl_error *err)
{
	if (kind && !searchable(kind))
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
	if ((rc = parse_query(text, lang, &q, err)) || (rc = stats_get(t, &docs, &total, err)))
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
	if (h->rkey_len <= RECORD_KEY_LEN + 1 || h->rkey_len > SEARCH_RKEY_MAX)
		return gl_errorf(err, GL_EINVAL, "search hit with a record key of %zu bytes",
		                 h->rkey_len);
	return store_get(t, h->rkey, h->rkey[RECORD_KEY_LEN],
	                 (const char *)h->rkey + RECORD_KEY_LEN + 1,
	                 h->rkey_len - RECORD_KEY_LEN - 1, out, err);
}

/* ---- checks and rebuilding ---- */

int search_stats(struct store_txn *t, struct search_stats *out, struct gl_error *err)
{
	struct search_stats st = { 0 };
	int rc = search_flush(t, err);
	if (rc || (rc = stats_get(t, &st.docs, &st.total_len, err)))
		return rc;
	MDB_stat ms;
	if ((rc = mdb_stat(t->txn, t->s->terms, &ms)))
		return store_mdb_fail(rc, err, t->s, "stat");
	st.postings = ms.ms_entries;
	*out = st;
	return 0;
}

struct visit_ctx {
	struct store_txn *t;
	struct search_stats st;
	bool rebuild;
	struct gl_error *err;
};

static int live_visit(void *vctx, const struct store_entry *e)
{
	struct visit_ctx *vc = vctx;
	struct record r;
	if (record_parse(e->env, e->env_len, &r, NULL) != 0 || !r.body)
		return gl_errorf(vc->err, GL_ESTORE, "%s: a held record does not parse",
		                 vc->t->s->path);
	if (vc->rebuild) {
		uint8_t rkey[SEARCH_RKEY_MAX];
		memcpy(rkey, e->author, RECORD_KEY_LEN);
		rkey[RECORD_KEY_LEN] = (uint8_t)e->kind;
		memcpy(rkey + RECORD_KEY_LEN + 1, e->id, e->id_len);
		return search_index_add(vc->t, rkey, RECORD_KEY_LEN + 1 + e->id_len, &r, vc->err);
	}
	struct dterms d = { 0 };
	int rc = doc_terms(vc->t, &r, &d, vc->err);
	if (rc == 0) {
		vc->st.docs++;
		vc->st.total_len += d.n;
		for (size_t i = 0; i < d.n; i++)
			vc->st.postings += i == 0 || !dterm_same(&d.v[i - 1], &d.v[i]);
	}
	free(d.v);
	return rc;
}

static int visit_searchable(struct visit_ctx *vc)
{
	static const int kinds[] = { RK_PARTNER, RK_OFFER, RK_EVENT, RK_NEWS };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct store_filter f = { .kind = kinds[i] };
		int rc = store_scan(vc->t, &f, live_visit, vc, vc->err);
		if (rc)
			return rc;
	}
	return 0;
}

int search_recount(struct store_txn *t, struct search_stats *out, struct gl_error *err)
{
	struct visit_ctx vc = { .t = t, .err = err };
	int rc = visit_searchable(&vc);
	if (rc == 0)
		*out = vc.st;
	return rc;
}

int search_rebuild(struct store_txn *t, struct gl_error *err)
{
	if (!t->write)
		return gl_errorf(err, GL_EINVAL, "search_rebuild in a read transaction");
	search_pending_free(t); /* what waits would land in the emptied table */
	int rc;
	if ((rc = mdb_drop(t->txn, t->s->terms, 0)) || (rc = mdb_drop(t->txn, t->s->docs, 0)))
		return store_mdb_fail(rc, err, t->s, "empty the search index");
	struct visit_ctx vc = { .t = t, .rebuild = true, .err = err };
	return visit_searchable(&vc);
}
