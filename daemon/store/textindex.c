/* textindex.c — the full-text index (terms, docs, postings), kept in step with the records. */
#include "store/textindex.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "store/store_int.h"
#include "store/text.h"

enum { FIELD_TITLE = 1, FIELD_TEXT = 2 };

/* The stats key cannot be an rkey: those are longer than 33 bytes. */
static const uint8_t STATS_KEY[] = { 0, 's', 't', 'a', 't', 's' };
#define STATS_VAL_LEN 24
#define DOCNUM_LEN 6
#define DOCNUM_MAX ((UINT64_C(1) << (8 * DOCNUM_LEN)) - 1)
#define POSTING_LEN (DOCNUM_LEN + 2)
#define DOC_VAL_HDR 5
#define TERM_KEY_MAX (TEXT_TERM_MAX + 2)

/* ---- the terms of a document ---- */

/*
 * A record's terms packed (search.h): for each distinct (term, field), in
 * the order first met, length u8, field u8, frequency u16 little-endian,
 * the term's bytes.  While cutting, an open-addressing table finds the
 * entry of a (term, field) met before, whose frequency grows in place.
 */
#define PACK_HDR 4

struct cutter {
	struct textindex_terms *out;
	uint8_t field;        /* the field being cut */
	uint32_t *off, *hash; /* per slot: the entry's offset + 1 (0: empty), its hash */
	size_t nslots, used;  /* nslots a power of two, at least twice used */
};

static uint32_t term_hash(const char *term, size_t len, uint8_t field)
{
	uint32_t h = 2166136261u ^ field;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)term[i]) * 16777619u;
	return h;
}

static void cutter_grow(struct cutter *c)
{
	size_t n = c->nslots ? 2 * c->nslots : 256;
	uint32_t *off = gl_xcalloc(n, sizeof *off), *hash = gl_xmalloc(n * sizeof *hash);
	for (size_t i = 0; i < c->nslots; i++) {
		if (!c->off[i])
			continue;
		size_t j = c->hash[i] & (n - 1);
		while (off[j])
			j = (j + 1) & (n - 1);
		off[j] = c->off[i];
		hash[j] = c->hash[i];
	}
	free(c->off);
	free(c->hash);
	c->off = off;
	c->hash = hash;
	c->nslots = n;
}

static int collect(void *ctx, const char *term, size_t len, unsigned pos)
{
	(void)pos;
	struct cutter *c = ctx;
	struct gl_buf *b = &c->out->packed;
	if (c->out->length < UINT32_MAX)
		c->out->length++;
	if (2 * (c->used + 1) > c->nslots)
		cutter_grow(c);
	uint32_t h = term_hash(term, len, c->field);
	size_t j = h & (c->nslots - 1);
	for (; c->off[j]; j = (j + 1) & (c->nslots - 1)) {
		uint8_t *p = b->data + c->off[j] - 1;
		if (c->hash[j] == h && p[0] == len && p[1] == c->field &&
		    !memcmp(p + PACK_HDR, term, len)) {
			unsigned tf = (unsigned)p[2] | (unsigned)p[3] << 8;
			if (tf < UINT16_MAX) {
				tf++;
				p[2] = (uint8_t)tf;
				p[3] = (uint8_t)(tf >> 8);
			}
			return 0;
		}
	}
	uint8_t hdr[PACK_HDR] = { (uint8_t)len, c->field, 1, 0 };
	c->off[j] = (uint32_t)b->len + 1;
	c->hash[j] = h;
	c->used++;
	gl_buf_append(b, hdr, sizeof hdr);
	gl_buf_append(b, term, len);
	return 0;
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

/* A language map {lang: text, ...} (or a bare string) of one field; a
 * value of another shape, or a language whose value is no string, has no
 * terms. */
static int cut_field(struct text_stemmers *st, const uint8_t *val, size_t vlen,
                     struct cutter *d, struct gl_error *err)
{
	const uint8_t *s, *k, *v;
	uint32_t sl, kl;
	size_t vl;
	struct body_iter it;
	if (body_value_str(val, vlen, &s, &sl))
		return text_terms(st, (const char *)s, sl, "", collect, d, err);
	if (!body_entries(val, vlen, &it))
		return 0;
	int rc = 0;
	while (rc == 0 && body_entries_next(&it, &k, &kl, &v, &vl)) {
		char lang[GL_KEY_MAX + 1];
		size_t ll = kl < GL_KEY_MAX ? kl : GL_KEY_MAX;
		memcpy(lang, k, ll);
		lang[ll] = '\0';
		if (body_value_str(v, vl, &s, &sl))
			rc = text_terms(st, (const char *)s, sl, lang, collect, d, err);
	}
	if (rc == 0 && it.left)
		rc = gl_errorf(err, GL_EFORMAT, "a language map does not read");
	return rc;
}

/* Every term of a record body into d. */
static int doc_terms(const struct record *r, struct cutter *d, struct gl_error *err)
{
	struct text_stemmers *stp;
	int rc = text_thread_stemmers(&stp, err);
	if (rc)
		return rc;
	const uint8_t *k, *v;
	uint32_t kl;
	size_t vl;
	struct body_iter it;
	if (!body_entries(r->body, r->body_len, &it))
		rc = gl_errorf(err, GL_EFORMAT, "the body is not a map");
	while (rc == 0 && body_entries_next(&it, &k, &kl, &v, &vl))
		if ((d->field = field_of(k, kl)))
			rc = cut_field(stp, v, vl, d, err);
	if (rc == 0 && it.left)
		rc = gl_errorf(err, GL_EFORMAT, "the body's fields do not read");
	if (rc == GL_ETRUNC || rc == GL_EFORMAT || rc == GL_ELIMIT) {
		gl_error_prefix(err, rc, "search index: a record body does not read");
		if (err)
			err->code = GL_ESTORE;
		rc = GL_ESTORE;
	}
	return rc;
}

bool textindex_searchable(int kind)
{
	return kind == RK_PARTNER || kind == RK_OFFER || kind == RK_EVENT || kind == RK_NEWS;
}

int textindex_cut(const struct record *r, struct textindex_terms *out, struct gl_error *err)
{
	out->packed.len = 0;
	out->length = 0;
	out->ready = false;
	struct cutter c = { .out = out };
	int rc = r->body && textindex_searchable(r->kind) ? doc_terms(r, &c, err) : 0;
	free(c.off);
	free(c.hash);
	out->ready = rc == 0;
	return rc;
}

void textindex_terms_free(struct textindex_terms *st)
{
	gl_buf_free(&st->packed);
	st->length = 0;
	st->ready = false;
}

/* The next (term, field) of packed terms at *at; false at the end. */
static bool next_term(const struct textindex_terms *st, size_t *at, const uint8_t **term,
                      uint8_t *len, uint8_t *field, uint16_t *tf)
{
	if (*at + PACK_HDR > st->packed.len)
		return false;
	const uint8_t *p = st->packed.data + *at;
	*len = p[0];
	*field = p[1];
	*tf = (uint16_t)(p[2] | p[3] << 8);
	*term = p + PACK_HDR;
	*at += PACK_HDR + p[0];
	return true;
}

/* ---- the index ---- */

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

/*
 * Postings waiting to be written (store_int.h), by term key: each distinct
 * key once in keys (found through an open-addressing hash table), and each
 * posting with the number of its key, in the order added.  A transaction
 * numbers its documents upwards, so each key's postings are in document
 * order already: a flush sorts only the distinct keys, places the postings
 * by key with one counting pass, and writes each key's postings with one
 * MDB_MULTIPLE put.
 */
struct textindex_pending {
	struct gl_buf keys;
	struct pkey {
		uint32_t off, count, hash;
		uint8_t klen;
	} *k;
	size_t nk, kcap;
	uint32_t *slots; /* key number + 1; 0: empty */
	size_t nslots;   /* a power of two, at least twice nk */
	struct pval {
		uint32_t key;
		uint8_t val[POSTING_LEN];
	} *v;
	size_t n, cap;
};

/* Postings that wait, at most: then they are written (a rebuild adds the
 * whole store's in one transaction). */
#define PENDING_MAX 65536
/* Postings on a page of LMDB's, about. */
#define POSTINGS_PER_PAGE (4096 / POSTING_LEN)

void textindex_pending_free(struct store_txn *t)
{
	if (!t->pend)
		return;
	gl_buf_free(&t->pend->keys);
	free(t->pend->k);
	free(t->pend->slots);
	free(t->pend->v);
	free(t->pend);
	t->pend = NULL;
}

/* Order key numbers by their keys. */
static int pkey_cmp(const void *a, const void *b, void *ctx)
{
	const struct textindex_pending *p = ctx;
	const struct pkey *x = &p->k[*(const uint32_t *)a], *y = &p->k[*(const uint32_t *)b];
	int c = memcmp(p->keys.data + x->off, p->keys.data + y->off,
	               x->klen < y->klen ? x->klen : y->klen);
	return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

int textindex_flush(struct store_txn *t, struct gl_error *err)
{
	struct textindex_pending *p = t->pend;
	if (!p || p->n == 0)
		return 0;
	/* the key numbers in key order; where each key's postings go in vals */
	uint32_t *order = gl_xmalloc(p->nk * sizeof *order);
	uint32_t *start = gl_xmalloc(p->nk * sizeof *start);
	uint8_t *vals = gl_xmalloc(p->n * POSTING_LEN);
	for (size_t i = 0; i < p->nk; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, p->nk, sizeof *order, pkey_cmp, p);
	uint32_t at = 0;
	for (size_t r = 0; r < p->nk; r++) {
		start[order[r]] = at;
		at += p->k[order[r]].count;
	}
	for (size_t i = 0; i < p->n; i++)
		memcpy(vals + (size_t)start[p->v[i].key]++ * POSTING_LEN, p->v[i].val, POSTING_LEN);
	MDB_cursor *c = NULL;
	int rc = mdb_cursor_open(t->txn, t->s->postings, &c);
	/* one cursor, keys in order: LMDB finds each next place on the page it
	 * is on, not from the root; a new document's number is the largest
	 * yet, so its postings go at the end of their terms' */
	at = 0;
	for (size_t r = 0; r < p->nk && rc == 0; r++) {
		const struct pkey *x = &p->k[order[r]];
		MDB_val k = { .mv_size = x->klen, .mv_data = p->keys.data + x->off };
		MDB_val v[2] = { { .mv_size = POSTING_LEN, .mv_data = vals + (size_t)at * POSTING_LEN },
		                 { .mv_size = x->count } };
		/* after every posting the term has: LMDB fills its last page and
		 * starts a new one, instead of splitting pages in half */
		rc = mdb_cursor_put(c, &k, v, MDB_MULTIPLE | MDB_APPENDDUP);
		if (rc == MDB_KEYEXIST) {
			/* a number at or below one the term has: postings left
			 * by a document whose entries are gone, past what
			 * textindex_check sees at open.  Put them where they go. */
			rc = 0;
			for (uint32_t i = 0; i < x->count && rc == 0; i++) {
				MDB_val one = { .mv_size = POSTING_LEN,
				                .mv_data = vals + ((size_t)at + i) * POSTING_LEN };
				rc = mdb_cursor_put(c, &k, &one, 0);
			}
			v[1].mv_size = x->count;
		}
		if (rc == 0 && v[1].mv_size != x->count)
			rc = EIO; /* LMDB said it wrote fewer than asked */
		at += x->count;
		/* the term's last pages: the walk maps the table */
		store_map_work(t->s, 1 + x->count / POSTINGS_PER_PAGE);
	}
	if (c)
		mdb_cursor_close(c);
	free(order);
	free(start);
	free(vals);
	p->n = p->nk = 0;
	p->keys.len = 0;
	memset(p->slots, 0, p->nslots * sizeof *p->slots);
	return rc ? store_mdb_fail(rc, err, t->s, "write search term") : 0;
}

static uint32_t key_hash(const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

static void slots_grow(struct textindex_pending *p)
{
	free(p->slots);
	p->nslots = p->nslots ? 2 * p->nslots : 1024;
	p->slots = gl_xcalloc(p->nslots, sizeof *p->slots);
	for (size_t i = 0; i < p->nk; i++) {
		size_t j = p->k[i].hash & (p->nslots - 1);
		while (p->slots[j])
			j = (j + 1) & (p->nslots - 1);
		p->slots[j] = (uint32_t)i + 1;
	}
}

static void pend_add(struct store_txn *t, const uint8_t *key, size_t klen,
                     const uint8_t val[POSTING_LEN])
{
	if (!t->pend)
		t->pend = gl_xcalloc(1, sizeof *t->pend);
	struct textindex_pending *p = t->pend;
	if (2 * (p->nk + 1) > p->nslots)
		slots_grow(p);
	uint32_t h = key_hash(key, klen);
	size_t j = h & (p->nslots - 1);
	for (; p->slots[j]; j = (j + 1) & (p->nslots - 1)) {
		const struct pkey *x = &p->k[p->slots[j] - 1];
		if (x->hash == h && x->klen == klen && !memcmp(p->keys.data + x->off, key, klen))
			break;
	}
	if (!p->slots[j]) {
		if (p->nk == p->kcap) {
			p->kcap = p->kcap ? 2 * p->kcap : 1024;
			p->k = gl_xrealloc(p->k, p->kcap * sizeof *p->k);
		}
		p->k[p->nk] = (struct pkey){ .off = (uint32_t)p->keys.len, .hash = h,
		                             .klen = (uint8_t)klen };
		gl_buf_append(&p->keys, key, klen);
		p->slots[j] = (uint32_t)++p->nk;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 1024;
		p->v = gl_xrealloc(p->v, p->cap * sizeof *p->v);
	}
	p->k[p->slots[j] - 1].count++;
	struct pval *x = &p->v[p->n++];
	x->key = p->slots[j] - 1;
	memcpy(x->val, val, POSTING_LEN);
}

/* Add (to t's pending postings) or delete (!add) document dn's posting of
 * each (term, field) of st. */
static int postings_apply(struct store_txn *t, uint64_t dn, const struct textindex_terms *st,
                          bool add, struct gl_error *err)
{
	uint8_t key[TERM_KEY_MAX], val[POSTING_LEN];
	MDB_cursor *c = NULL;
	int rc;
	/* a delete must find what waits; a full buffer is written */
	if ((!add || (t->pend && t->pend->n >= PENDING_MAX)) && (rc = textindex_flush(t, err)))
		return rc;
	if (!add && (rc = mdb_cursor_open(t->txn, t->s->postings, &c)))
		return store_mdb_fail(rc, err, t->s, "cursor");
	put_docnum(val, dn);
	rc = 0;
	const uint8_t *term;
	uint8_t len, field;
	uint16_t tf;
	for (size_t at = 0; rc == 0 && next_term(st, &at, &term, &len, &field, &tf);) {
		size_t klen = term_key(key, (const char *)term, len, field);
		val[DOCNUM_LEN] = (uint8_t)(tf >> 8);
		val[DOCNUM_LEN + 1] = (uint8_t)tf;
		if (add) {
			pend_add(t, key, klen, val);
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
	}
	if (c)
		mdb_cursor_close(c);
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

static int doc_get(struct store_txn *t, uint64_t dn, bool *found, struct doc *out,
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
	if (v.mv_size <= DOC_VAL_HDR + RECORD_KEY_LEN + 1 || v.mv_size > DOC_VAL_HDR + STORE_KEY_MAX)
		return gl_errorf(err, GL_ESTORE, "%s: damaged search document entry", t->s->path);
	const uint8_t *p = v.mv_data;
	out->len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	           (uint32_t)p[3] << 24;
	out->kind = p[4];
	out->rkey = p + DOC_VAL_HDR;
	out->rlen = v.mv_size - DOC_VAL_HDR;
	return 0;
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
	return gl_errorf(err, GL_ESTORE, "%s: the search index is of an older store layout, or "
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
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		store_map_work(s, 1);
		if (k.mv_size < len + 1 || memcmp(k.mv_data, prefix, len + 1))
			break;
		const uint8_t *kp = k.mv_data, *pv = v.mv_data;
		if (k.mv_size != len + 2 || v.mv_size != POSTING_LEN) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged search term entry", s->path);
			break;
		}
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			*p = gl_xrealloc(*p, *cap * sizeof **p);
		}
		(*p)[(*n)++] = (struct textindex_posting){
			.doc = get_docnum(pv), .field = kp[len + 1],
			.tf = (uint16_t)(pv[DOCNUM_LEN] << 8 | pv[DOCNUM_LEN + 1])
		};
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
		*out = (struct textindex_doc){ .len = d.len, .kind = d.kind, .rkey = d.rkey,
		                               .rlen = d.rlen };
	return rc;
}

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
	*out = st;
	return 0;
}

struct visit_ctx {
	struct store_txn *t;
	struct textindex_counts st;
	bool rebuild;
	uint64_t skipped; /* rebuilding: records that do not parse */
	struct gl_error *err;
};

static int live_visit(void *vctx, const struct store_entry *e)
{
	struct visit_ctx *vc = vctx;
	struct record r;
	bool parsed = record_parse(e->env, e->env_len, &r, NULL) == 0 && r.body;
	if (!parsed && vc->rebuild) {
		/* damage, or a parser stricter than the one that took it: the
		 * index leaves it out rather than refuse the whole store */
		vc->skipped++;
		return 0;
	}
	if (!parsed)
		return gl_errorf(vc->err, GL_ESTORE, "%s: a held record does not parse",
		                 vc->t->s->path);
	if (vc->rebuild) {
		uint8_t rkey[STORE_KEY_MAX];
		memcpy(rkey, e->author, RECORD_KEY_LEN);
		rkey[RECORD_KEY_LEN] = (uint8_t)e->kind;
		memcpy(rkey + RECORD_KEY_LEN + 1, e->id, e->id_len);
		return textindex_add(vc->t, rkey, RECORD_KEY_LEN + 1 + e->id_len, &r, NULL, vc->err);
	}
	struct textindex_terms cut = { 0 };
	int rc = textindex_cut(&r, &cut, vc->err);
	if (rc == 0) {
		const uint8_t *term;
		uint8_t len, field;
		uint16_t tf;
		vc->st.docs++;
		vc->st.total_len += cut.length;
		for (size_t at = 0; next_term(&cut, &at, &term, &len, &field, &tf);)
			vc->st.postings++;
	}
	textindex_terms_free(&cut);
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

int textindex_recount(struct store_txn *t, struct textindex_counts *out, struct gl_error *err)
{
	struct visit_ctx vc = { .t = t, .err = err };
	int rc = visit_searchable(&vc);
	if (rc == 0)
		*out = vc.st;
	return rc;
}

int textindex_empty(struct store_txn *t, struct gl_error *err)
{
	if (!t->write)
		return gl_errorf(err, GL_EINVAL, "textindex_empty in a read transaction");
	textindex_pending_free(t); /* what waits would land in the emptied table */
	int rc;
	if ((rc = mdb_drop(t->txn, t->s->postings, 0)) || (rc = mdb_drop(t->txn, t->s->docs, 0)) ||
	    (rc = mdb_drop(t->txn, t->s->docnums, 0)))
		return store_mdb_fail(rc, err, t->s, "empty the search index");
	return 0;
}

int textindex_empty_step(struct store_txn *t, unsigned max_terms, bool *done,
                      struct gl_error *err)
{
	if (!t->write)
		return gl_errorf(err, GL_EINVAL, "textindex_empty_step in a read transaction");
	textindex_pending_free(t);
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(t->txn, t->s->postings, &c);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "cursor");
	/* a term's postings at a time: LMDB reads the table's pages in order,
	 * which store_map_work counts (mdb_drop would read them all at once) */
	for (unsigned n = 0; n < max_terms; n++) {
		if ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) ||
		    (rc = mdb_cursor_del(c, MDB_NODUPDATA)))
			break;
		store_map_work(t->s, 1);
	}
	mdb_cursor_close(c);
	*done = rc == MDB_NOTFOUND;
	/* docs and docnums hold no sub-databases: dropped without reading
	 * their leaves */
	if (*done && (rc = mdb_drop(t->txn, t->s->docs, 0)) == 0)
		rc = mdb_drop(t->txn, t->s->docnums, 0);
	return rc ? store_mdb_fail(rc, err, t->s, "empty the search index") : 0;
}

struct step_ctx {
	struct store_txn *t;
	uint8_t *last;
	size_t *last_len;
	unsigned records;  /* indexed in this step */
	uint64_t terms;    /* their terms */
	uint64_t skipped;
	struct gl_error *err;
};

#define STEP_STOP 1

static int step_visit(void *vctx, const struct store_entry *e)
{
	struct step_ctx *sc = vctx;
	*sc->last_len = store_entry_key(e, sc->last);
	if (e->tombstone || !textindex_searchable(e->kind))
		return 0;
	struct record r;
	if (record_parse(e->env, e->env_len, &r, NULL) != 0 || !r.body) {
		sc->skipped++; /* as textindex_rebuild does */
		return 0;
	}
	struct textindex_terms cut = { 0 };
	uint8_t rkey[STORE_KEY_MAX];
	memcpy(rkey, e->author, RECORD_KEY_LEN);
	rkey[RECORD_KEY_LEN] = (uint8_t)e->kind;
	memcpy(rkey + RECORD_KEY_LEN + 1, e->id, e->id_len);
	int rc = textindex_cut(&r, &cut, sc->err);
	if (rc == 0)
		rc = textindex_add(sc->t, rkey, RECORD_KEY_LEN + 1 + e->id_len, &r, &cut, sc->err);
	sc->records++;
	sc->terms += cut.length;
	textindex_terms_free(&cut);
	if (rc)
		return rc;
	return sc->records >= TEXTINDEX_STEP_RECORDS || sc->terms >= TEXTINDEX_STEP_TERMS ? STEP_STOP : 0;
}

int textindex_rebuild_step(struct store_txn *t, const uint8_t *after, size_t after_len,
                        uint8_t last[STORE_KEY_MAX], size_t *last_len, bool *done,
                        uint64_t *skipped, struct gl_error *err)
{
	if (!t->write)
		return gl_errorf(err, GL_EINVAL, "textindex_rebuild_step in a read transaction");
	struct step_ctx sc = { .t = t, .last = last, .last_len = last_len, .err = err };
	*last_len = 0;
	int rc = store_scan_from(t, after, after_len, step_visit, &sc, err);
	if (skipped)
		*skipped += sc.skipped;
	*done = rc == 0;
	if (rc == STEP_STOP)
		rc = 0;
	if (rc == 0 && *last_len == 0 && after) {
		/* nothing after `after`: resume there, should it be called again */
		memcpy(last, after, after_len);
		*last_len = after_len;
	}
	return rc;
}

int textindex_rebuild(struct store_txn *t, uint64_t *skipped, struct gl_error *err)
{
	if (!t->write)
		return gl_errorf(err, GL_EINVAL, "textindex_rebuild in a read transaction");
	int rc = textindex_empty(t, err);
	if (rc)
		return rc;
	struct visit_ctx vc = { .t = t, .rebuild = true, .err = err };
	rc = visit_searchable(&vc);
	if (skipped)
		*skipped = vc.skipped;
	return rc;
}
