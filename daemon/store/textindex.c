/*
 * textindex.c — the full-text index (textindex.h): documents, their
 * numbers and statistics, adding and removing a record's postings, and
 * reading the index.  Cutting terms is textindex_cut.c's, the postings
 * that wait textindex_pend.c's, checks and rebuilding textindex_rebuild.c's.
 */
#include <stdlib.h>
#include <endian.h>
#include <string.h>

#include "store/textindex_int.h"

/* The stats key cannot be an rkey: those are longer than 33 bytes. */
static const uint8_t STATS_KEY[] = { 0, 's', 't', 'a', 't', 's' };
#define STATS_VAL_LEN 24
#define DOCNUM_MAX ((UINT64_C(1) << (8 * DOCNUM_LEN)) - 1)
#define DOC_VAL_HDR 5

/* The statistics and the next document number, under STATS_KEY in docs. */
struct dstats {
	uint64_t docs, total, next;
};

static void put_docnum(uint8_t p[DOCNUM_LEN], uint64_t dn)
{
	for (int i = 0; i < DOCNUM_LEN; i++)
		p[i] = (uint8_t)(dn >> (8 * (DOCNUM_LEN - 1 - i)));
}

static uint64_t get_docnum(const uint8_t *p)
{
	uint64_t dn = 0;
	for (int i = 0; i < DOCNUM_LEN; i++)
		dn = dn << 8 | p[i];
	return dn;
}

/* Whether docs, docnums and postings are all empty (stats aside). */
static int index_empty(MDB_txn *txn, const struct store *s, bool *empty)
{
	MDB_dbi dbis[] = { s->docs, s->docnums, s->postings };
	*empty = true;
	for (size_t i = 0; i < sizeof dbis / sizeof dbis[0]; i++) {
		MDB_stat ms;
		int rc = mdb_stat(txn, dbis[i], &ms);
		if (rc)
			return rc;
		if (ms.ms_entries)
			*empty = false;
	}
	return 0;
}

/*
 * The statistics hold the next document number; without them a number
 * could be given twice.  Only an empty index lacks them: elsewhere they
 * were lost (a damaged store), which a write open finds (textindex_check)
 * and mends by rebuilding the index.
 */
static int stats_get(struct store_txn *t, struct dstats *st, struct gl_error *err)
{
	MDB_val k = { .mv_size = sizeof STATS_KEY, .mv_data = (void *)STATS_KEY }, v;
	int rc = mdb_get(t->txn, t->s->docs, &k, &v);
	*st = (struct dstats){ .next = 1 };
	if (rc == MDB_NOTFOUND) {
		bool empty;
		if ((rc = index_empty(t->txn, t->s, &empty)))
			return store_mdb_fail(rc, err, t->s, "read search index");
		if (!empty)
			return gl_errorf(err, GL_ESTORE, "%s: the search statistics are lost; start "
			                 "gilded with this store to rebuild the index", t->s->path);
		return 0;
	}
	if (rc)
		return store_mdb_fail(rc, err, t->s, "read search statistics");
	if (v.mv_size != STATS_VAL_LEN)
		return gl_errorf(err, GL_ESTORE, "%s: damaged search statistics", t->s->path);
	const uint8_t *p = v.mv_data;
	st->docs = store_get_le64(p);
	st->total = store_get_le64(p + 8);
	st->next = store_get_le64(p + 16);
	return 0;
}

int textindex_check(MDB_txn *txn, const struct store *s, bool *rebuild)
{
	MDB_val k = { .mv_size = sizeof STATS_KEY, .mv_data = (void *)STATS_KEY }, v;
	int rc = mdb_get(txn, s->docs, &k, &v);
	*rebuild = false;
	if (rc == MDB_NOTFOUND) {
		bool empty;
		if ((rc = index_empty(txn, s, &empty)) == 0)
			*rebuild = !empty;
		return rc;
	}
	if (rc)
		return rc;
	if (v.mv_size != STATS_VAL_LEN) {
		*rebuild = true;
		return 0;
	}
	/* the next number must come after every number given */
	uint64_t next = store_get_le64((const uint8_t *)v.mv_data + 16);
	MDB_cursor *c;
	if ((rc = mdb_cursor_open(txn, s->docnums, &c)))
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0)
		*rebuild = k.mv_size != DOCNUM_LEN || get_docnum(k.mv_data) >= next;
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int stats_put(struct store_txn *t, const struct dstats *st, struct gl_error *err)
{
	uint8_t buf[STATS_VAL_LEN];
	store_put_le64(buf, st->docs);
	store_put_le64(buf + 8, st->total);
	store_put_le64(buf + 16, st->next);
	MDB_val k = { .mv_size = sizeof STATS_KEY, .mv_data = (void *)STATS_KEY };
	MDB_val v = { .mv_size = sizeof buf, .mv_data = buf };
	int rc = mdb_put(t->txn, t->s->docs, &k, &v, 0);
	return rc ? store_mdb_fail(rc, err, t->s, "write search statistics") : 0;
}

static size_t term_key(uint8_t *key, const char *term, size_t len, uint8_t field)
{
	memcpy(key, term, len);
	key[len] = 0;
	key[len + 1] = field;
	return len + 2;
}

/* Add (to t's pending postings) or delete (!add) document dn's posting of
 * each (term, field) of st, and its bit in the term's block. */
static int postings_apply(struct store_txn *t, uint64_t dn, const struct textindex_terms *st,
                          bool add, struct gl_error *err)
{
	uint8_t key[TERM_KEY_MAX], val[POSTING_LEN];
	MDB_cursor *c = NULL, *bc = NULL;
	int rc;
	/* a delete must find what waits; a full buffer is written */
	if ((!add || textindex_pend_full(t)) && (rc = textindex_flush(t, err)))
		return rc;
	if (!add && ((rc = mdb_cursor_open(t->txn, t->s->postings, &c)) ||
	             (rc = mdb_cursor_open(t->txn, t->s->blocks, &bc)))) {
		if (c)
			mdb_cursor_close(c);
		return store_mdb_fail(rc, err, t->s, "cursor");
	}
	put_docnum(val, dn);
	rc = 0;
	int out = 0;
	const uint8_t *term;
	uint8_t len, field;
	uint16_t tf;
	for (size_t at = 0; rc == 0 && !out &&
	                    textindex_next_term(st, &at, &term, &len, &field, &tf);) {
		size_t klen = term_key(key, (const char *)term, len, field);
		val[DOCNUM_LEN] = (uint8_t)(tf >> 8);
		val[DOCNUM_LEN + 1] = (uint8_t)tf;
		if (add) {
			textindex_pend_add(t, key, klen, val, st->length);
			continue;
		}
		/* the posting of dn, whatever its frequency */
		uint8_t lo[POSTING_LEN] = { 0 };
		memcpy(lo, val, DOCNUM_LEN);
		MDB_val k = { .mv_size = klen, .mv_data = key }, v = { .mv_size = sizeof lo, .mv_data = lo };
		rc = mdb_cursor_get(c, &k, &v, MDB_GET_BOTH_RANGE);
		if (rc == 0 && v.mv_size == POSTING_LEN && !memcmp(v.mv_data, val, DOCNUM_LEN))
			rc = mdb_cursor_del(c, 0);
		else if (rc == 0 || rc == MDB_NOTFOUND)
			rc = 0; /* not there: nothing to delete */
		if (rc == 0)
			out = textindex_blocks_clear(t, bc, key, klen, dn, err);
	}
	if (c)
		mdb_cursor_close(c);
	if (bc)
		mdb_cursor_close(bc);
	if (out)
		return out;
	return rc ? store_mdb_fail(rc, err, t->s, "delete search term") : 0;
}

/* The document number of rkey (*found). */
static int docnum_of(struct store_txn *t, const uint8_t *rkey, size_t rlen, bool *found,
                     uint64_t *dn, struct gl_error *err)
{
	MDB_val k = { .mv_size = rlen, .mv_data = (void *)rkey }, v;
	int rc = mdb_get(t->txn, t->s->docs, &k, &v);
	*found = rc == 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_mdb_fail(rc, err, t->s, "read search document");
	if (v.mv_size != DOCNUM_LEN)
		return gl_errorf(err, GL_ESTORE, "%s: damaged search document entry", t->s->path);
	*dn = get_docnum(v.mv_data);
	return 0;
}

/* Document dn (*found): its length, kind and record key (pointing into the
 * store, valid in the transaction). */
struct doc {
	uint32_t len;
	int kind;
	const uint8_t *rkey;
	size_t rlen;
};

/* Document dn's entry v (from docnums) into out. */
static int doc_decode(const struct store_txn *t, const MDB_val *v, struct doc *out,
                      struct gl_error *err)
{
	if (v->mv_size <= DOC_VAL_HDR + RECORD_KEY_LEN + 1 ||
	    v->mv_size > DOC_VAL_HDR + STORE_KEY_MAX)
		return gl_errorf(err, GL_ESTORE, "%s: damaged search document entry", t->s->path);
	const uint8_t *p = v->mv_data;
	out->len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	           (uint32_t)p[3] << 24;
	out->kind = p[4];
	out->rkey = p + DOC_VAL_HDR;
	out->rlen = v->mv_size - DOC_VAL_HDR;
	return 0;
}

static int doc_read(struct store_txn *t, uint64_t dn, bool *found, struct doc *out,
                    struct gl_error *err)
{
	uint8_t key[DOCNUM_LEN];
	put_docnum(key, dn);
	MDB_val k = { .mv_size = sizeof key, .mv_data = key }, v;
	int rc = mdb_get(t->txn, t->s->docnums, &k, &v);
	*found = rc == 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_mdb_fail(rc, err, t->s, "read search document");
	return doc_decode(t, &v, out, err);
}

static int doc_get(struct store_txn *t, uint64_t dn, bool *found, struct doc *out,
                   struct gl_error *err)
{
	return doc_read(t, dn, found, out, err);
}

/* Take document dn (of record rkey) out of docs, docnums and the stats. */
static int doc_drop(struct store_txn *t, const uint8_t *rkey, size_t rlen, uint64_t dn,
                    struct gl_error *err)
{
	struct dstats st;
	struct doc doc = { 0 };
	bool found;
	uint8_t dkey[DOCNUM_LEN];
	put_docnum(dkey, dn);
	MDB_val rk = { .mv_size = rlen, .mv_data = (void *)rkey };
	MDB_val dk = { .mv_size = sizeof dkey, .mv_data = dkey };
	int rc = doc_get(t, dn, &found, &doc, err);
	if (rc || (rc = stats_get(t, &st, err)))
		return rc;
	if ((rc = mdb_del(t->txn, t->s->docs, &rk, NULL)) ||
	    (found && (rc = mdb_del(t->txn, t->s->docnums, &dk, NULL))))
		return store_mdb_fail(rc, err, t->s, "delete search document");
	st.docs = st.docs ? st.docs - 1 : 0;
	st.total = st.total >= doc.len ? st.total - doc.len : 0;
	return stats_put(t, &st, err);
}

static int check_rkey(const struct store_txn *t, size_t rlen, struct gl_error *err)
{
	if (rlen <= RECORD_KEY_LEN + 1 || rlen > STORE_KEY_MAX)
		return gl_errorf(err, GL_EINVAL, "%s: search index: a record key of %zu bytes",
		                 t->s->path, rlen);
	return 0;
}

int textindex_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                     const struct record *r, const struct textindex_terms *cut,
                     struct gl_error *err)
{
	struct textindex_terms own = { 0 };
	struct dstats st;
	bool had = false;
	uint64_t dn = 0;
	int rc;
	if ((rc = check_rkey(t, rlen, err)) || !r->body)
		return rc;
	if (cut && cut->defer) /* indexed after the commit (textindex.h) */
		return textindex_queue_add(t, rkey, rlen, err);
	if (!cut || !cut->ready) {
		if ((rc = textindex_cut(r, &own, err)))
			goto out;
		cut = &own;
	}
	if ((rc = docnum_of(t, rkey, rlen, &had, &dn, err)))
		goto out;
	/* had: out of step (cannot happen through store_put); keep the counts
	 * right (its postings stay, and queries pass over them) */
	if ((had && (rc = doc_drop(t, rkey, rlen, dn, err))) || (rc = stats_get(t, &st, err)))
		goto out;
	if (st.next > DOCNUM_MAX) {
		rc = gl_errorf(err, GL_ENOSPC, "%s: the search index has used all its document "
		               "numbers", t->s->path);
		goto out;
	}
	dn = st.next++;
	uint32_t len = cut->length;
	uint8_t dkey[DOCNUM_LEN], val[DOC_VAL_HDR + STORE_KEY_MAX] = {
		(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24),
		(uint8_t)r->kind
	};
	put_docnum(dkey, dn);
	memcpy(val + DOC_VAL_HDR, rkey, rlen);
	MDB_val rk = { .mv_size = rlen, .mv_data = (void *)rkey };
	MDB_val rv = { .mv_size = sizeof dkey, .mv_data = dkey };
	MDB_val dk = { .mv_size = sizeof dkey, .mv_data = dkey };
	MDB_val dv = { .mv_size = DOC_VAL_HDR + rlen, .mv_data = val };
	if ((rc = postings_apply(t, dn, cut, true, err)))
		goto out;
	/* numbers only grow: the new one goes at the end of docnums */
	if ((rc = mdb_put(t->txn, t->s->docs, &rk, &rv, 0)) ||
	    (rc = mdb_put(t->txn, t->s->docnums, &dk, &dv, MDB_APPEND))) {
		if (rc == MDB_KEYEXIST)
			rc = MDB_CORRUPTED; /* stats_get never gives a number in use */
		rc = store_mdb_fail(rc, err, t->s, "write search document");
		goto out;
	}
	st.docs++;
	st.total += len;
	rc = stats_put(t, &st, err);
out:
	textindex_terms_free(&own);
	return rc;
}

int textindex_indexed(struct store_txn *t, const uint8_t *rkey, size_t rlen, bool *had,
                      struct gl_error *err)
{
	uint64_t dn;
	return docnum_of(t, rkey, rlen, had, &dn, err);
}

int textindex_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        const struct record *r, struct gl_error *err)
{
	struct textindex_terms cut = { 0 };
	bool had = false;
	uint64_t dn = 0;
	int rc;
	if ((rc = check_rkey(t, rlen, err)) || !r->body)
		return rc;
	/* r points into the records database: read all of it before the first write */
	if ((rc = docnum_of(t, rkey, rlen, &had, &dn, err)) || !had ||
	    (rc = textindex_cut(r, &cut, err)) || (rc = postings_apply(t, dn, &cut, false, err)))
		goto out;
	rc = doc_drop(t, rkey, rlen, dn, err);
out:
	textindex_terms_free(&cut);
	return rc;
}

/* ---- reading the index (query/search.c) ---- */

int textindex_ready(const struct store_txn *t, struct gl_error *err)
{
	if (t->s->has_search)
		return 0;
	return gl_errorf(err, GL_ESTORE, "%s: the search index is of an older store layout or "
	                 "was made by other search rules (another gilde, another taxonomy), or "
	                 "its rebuild was cut short; start this version of gilded on this data "
	                 "directory to rebuild it", t->s->path);
}

int textindex_totals(struct store_txn *t, uint64_t *docs, uint64_t *total,
                     struct gl_error *err)
{
	struct dstats st;
	int rc = textindex_ready(t, err);
	if (rc || (rc = stats_get(t, &st, err)))
		return rc;
	*docs = st.docs;
	*total = st.total;
	return 0;
}

/* Append n postings of field (8 bytes each at v) to *p. */
static void postings_put(const uint8_t *v, size_t n, uint8_t field,
                         struct textindex_posting **p, size_t *np, size_t *cap)
{
	if (*np + n > *cap) {
		*cap = *cap ? *cap : 64;
		while (*cap < *np + n)
			*cap *= 2;
		*p = gl_xrealloc(*p, *cap * sizeof **p);
	}
	struct textindex_posting *o = *p + *np;
	_Static_assert(POSTING_LEN == 8 && DOCNUM_LEN == 6, "a posting is one big-endian u64");
	for (size_t i = 0; i < n; i++, v += POSTING_LEN) {
		uint64_t x;
		memcpy(&x, v, sizeof x);
		x = be64toh(x); /* docnum(6) || frequency(2) */
		o[i] = (struct textindex_posting){ .doc = x >> 16, .field = field,
			                           .tf = (uint16_t)(x & 0xffff) };
	}
	*np += n;
}

/* The postings of the key the cursor stands on (field; first, its first
 * posting), a page of them at a time (MDB_GET_MULTIPLE: the table is
 * MDB_DUPFIXED; a key of one posting has no page of them). */
static int postings_key(MDB_cursor *c, uint8_t field, MDB_val first, struct store *s,
                        struct textindex_posting **p, size_t *n, size_t *cap,
                        struct gl_error *err)
{
	MDB_val k, v;
	size_t count;
	int rc = mdb_cursor_count(c, &count);
	if (rc == 0 && count == 1) {
		postings_put(first.mv_data, 1, field, p, n, cap);
		return 0;
	}
	if (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_GET_MULTIPLE);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_MULTIPLE)) {
		if (v.mv_size % POSTING_LEN)
			return gl_errorf(err, GL_ESTORE, "%s: damaged search term entry", s->path);
		store_map_work(s, (unsigned)(v.mv_size / POSTING_LEN));
		postings_put(v.mv_data, v.mv_size / POSTING_LEN, field, p, n, cap);
	}
	return rc == MDB_NOTFOUND ? 0 : store_mdb_fail(rc, err, s, "read search terms");
}

int textindex_postings(struct store_txn *t, const char *term, size_t len,
                       struct textindex_posting **p, size_t *n, size_t *cap,
                       struct gl_error *err)
{
	struct store *s = t->s;
	uint8_t prefix[TEXT_TERM_MAX + 1];
	if (len == 0 || len > TEXT_TERM_MAX)
		return gl_errorf(err, GL_EINVAL, "search index: a term of %zu bytes", len);
	memcpy(prefix, term, len);
	prefix[len] = 0;
	MDB_cursor *c;
	int rc = textindex_flush(t, err);
	if (rc)
		return rc;
	if ((rc = mdb_cursor_open(t->txn, s->postings, &c)))
		return store_mdb_fail(rc, err, s, "cursor");
	MDB_val k = { .mv_size = len + 1, .mv_data = prefix }, v;
	int out = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && !out;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP)) {
		if (k.mv_size < len + 1 || memcmp(k.mv_data, prefix, len + 1))
			break;
		if (k.mv_size != len + 2 || v.mv_size != POSTING_LEN) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged search term entry", s->path);
			break;
		}
		out = postings_key(c, ((const uint8_t *)k.mv_data)[len + 1], v, s, p, n, cap, err);
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, s, "read search terms");
	return 0;
}

int textindex_doc(struct store_txn *t, uint64_t doc, bool *found, struct textindex_doc *out,
                  struct gl_error *err)
{
	struct doc d;
	int rc = doc_get(t, doc, found, &d, err);
	if (rc == 0 && *found)
		*out = (struct textindex_doc){ .num = doc, .len = d.len, .kind = d.kind,
		                               .rkey = d.rkey, .rlen = d.rlen };
	return rc;
}

struct textindex_docs {
	struct store_txn *t;
	MDB_cursor *c;
	uint64_t at; /* the number the cursor stands on; 0: none */
};

int textindex_docs_open(struct store_txn *t, struct textindex_docs **out, struct gl_error *err)
{
	MDB_cursor *c;
	int rc = textindex_ready(t, err);
	if (rc || (rc = textindex_flush(t, err)))
		return rc;
	if ((rc = mdb_cursor_open(t->txn, t->s->docnums, &c)))
		return store_mdb_fail(rc, err, t->s, "cursor");
	struct textindex_docs *d = gl_xmalloc(sizeof *d);
	*d = (struct textindex_docs){ .t = t, .c = c };
	*out = d;
	return 0;
}

/* Move the cursor to the first number >= doc (k, v there; d->at its
 * number, 0 past the end): by stepping on if doc is a few numbers ahead,
 * else by a search. */
static int docs_seek(struct textindex_docs *d, uint64_t doc, MDB_val *k, MDB_val *v)
{
	int rc = MDB_NOTFOUND;
	if (d->at && d->at <= doc && doc - d->at <= TEXTINDEX_DOCS_STEPS) {
		rc = mdb_cursor_get(d->c, k, v, MDB_GET_CURRENT);
		for (unsigned i = 0; rc == 0 && i <= TEXTINDEX_DOCS_STEPS; i++) {
			if (k->mv_size != DOCNUM_LEN)
				return MDB_CORRUPTED;
			if ((d->at = get_docnum(k->mv_data)) >= doc)
				return 0;
			rc = mdb_cursor_get(d->c, k, v, MDB_NEXT);
		}
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
	}
	uint8_t key[DOCNUM_LEN];
	put_docnum(key, doc);
	*k = (MDB_val){ .mv_size = sizeof key, .mv_data = key };
	rc = mdb_cursor_get(d->c, k, v, MDB_SET_RANGE);
	d->at = 0;
	if (rc == 0 && k->mv_size != DOCNUM_LEN)
		return MDB_CORRUPTED;
	if (rc == 0)
		d->at = get_docnum(k->mv_data);
	return rc;
}

int textindex_docs_get(struct textindex_docs *d, uint64_t doc, bool *found,
                       struct textindex_doc *out, struct gl_error *err)
{
	MDB_val k, v;
	struct doc dd;
	int rc = docs_seek(d, doc, &k, &v);
	*found = rc == 0 && d->at == doc;
	if (rc == MDB_NOTFOUND || (rc == 0 && !*found))
		return 0;
	if (rc)
		return store_mdb_fail(rc, err, d->t->s, "read search document");
	if ((rc = doc_decode(d->t, &v, &dd, err)))
		return rc;
	*out = (struct textindex_doc){ .num = doc, .len = dd.len, .kind = dd.kind, .rkey = dd.rkey,
		                       .rlen = dd.rlen };
	return 0;
}

int textindex_docs_next(struct textindex_docs *d, uint64_t doc, bool *found,
                        struct textindex_doc *out, struct gl_error *err)
{
	MDB_val k, v;
	struct doc dd;
	int rc = docs_seek(d, doc, &k, &v);
	*found = rc == 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_mdb_fail(rc, err, d->t->s, "read search document");
	if ((rc = doc_decode(d->t, &v, &dd, err)))
		return rc;
	*out = (struct textindex_doc){ .num = d->at, .len = dd.len, .kind = dd.kind,
		                       .rkey = dd.rkey, .rlen = dd.rlen };
	return 0;
}

void textindex_docs_close(struct textindex_docs *d)
{
	if (!d)
		return;
	mdb_cursor_close(d->c);
	free(d);
}

int textindex_doc_of(struct store_txn *t, const uint8_t *rkey, size_t rlen, bool *found,
                     struct textindex_doc *out, struct gl_error *err)
{
	uint64_t dn = 0;
	int rc = check_rkey(t, rlen, err);
	if (rc || (rc = textindex_ready(t, err)) || (rc = textindex_flush(t, err)) ||
	    (rc = docnum_of(t, rkey, rlen, found, &dn, err)) || !*found)
		return rc;
	return textindex_doc(t, dn, found, out, err);
}

void textindex_rules(uint8_t out[TEXTINDEX_RULES_LEN])
{
	for (int i = 0; i < 4; i++) /* little-endian, as the store's values */
		out[i] = (uint8_t)((uint32_t)TEXTINDEX_RULES_VERSION >> (8 * i));
	memcpy(out + 4, textindex_labels_digest, TEXTINDEX_DIGEST_LEN);
}
_Static_assert(4 + TEXTINDEX_DIGEST_LEN == TEXTINDEX_RULES_LEN, "the rules' length");

/* ---- checks and rebuilding ---- */

int textindex_stats(struct store_txn *t, struct textindex_counts *out, struct gl_error *err)
{
	struct textindex_counts st = { 0 };
	struct dstats ds;
	int rc = textindex_ready(t, err);
	if (rc || (rc = textindex_flush(t, err)) || (rc = stats_get(t, &ds, err)))
		return rc;
	st.docs = ds.docs;
	st.total_len = ds.total;
	MDB_stat ms;
	if ((rc = mdb_stat(t->txn, t->s->postings, &ms)))
		return store_mdb_fail(rc, err, t->s, "stat");
	st.postings = ms.ms_entries;
	if ((rc = textindex_behind(t, &st.waiting, err)))
		return rc;
	*out = st;
	return 0;
}
