/*
 * textindex_pend.c — the postings a write transaction adds, waiting to be
 * written in key order (store_int.h: textindex_flush).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "store/textindex_int.h"

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
		uint32_t len; /* its document's (the block maxima's) */
		uint8_t val[POSTING_LEN];
	} *v;
	size_t n, cap;
};

/* Postings that wait, at most: then they are written (a rebuild adds the
 * whole store's in one transaction). */
#define PENDING_MAX 65536
/* Postings on a page of LMDB's, about. */
#define POSTINGS_PER_PAGE (4096 / POSTING_LEN)

bool textindex_pend_full(const struct store_txn *t)
{
	return t->pend && t->pend->n >= PENDING_MAX;
}

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
	uint32_t *lens = gl_xmalloc(p->n * sizeof *lens);
	for (size_t i = 0; i < p->nk; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, p->nk, sizeof *order, pkey_cmp, p);
	uint32_t at = 0;
	for (size_t r = 0; r < p->nk; r++) {
		start[order[r]] = at;
		at += p->k[order[r]].count;
	}
	for (size_t i = 0; i < p->n; i++) {
		lens[start[p->v[i].key]] = p->v[i].len;
		memcpy(vals + (size_t)start[p->v[i].key]++ * POSTING_LEN, p->v[i].val, POSTING_LEN);
	}
	MDB_cursor *c = NULL, *bc = NULL;
	int rc = mdb_cursor_open(t->txn, t->s->postings, &c);
	if (rc == 0)
		rc = mdb_cursor_open(t->txn, t->s->blocks, &bc);
	struct gl_error berr = { 0 };
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
		if (rc == 0 && textindex_blocks_put(t, bc, p->keys.data + x->off, x->klen,
		                                    vals + (size_t)at * POSTING_LEN, lens + at,
		                                    x->count, &berr))
			rc = EIO; /* berr says what failed: kept below */
		at += x->count;
		/* the term's last pages: the walk maps the table */
		store_map_work(t->s, 1 + x->count / POSTINGS_PER_PAGE);
	}
	if (c)
		mdb_cursor_close(c);
	if (bc)
		mdb_cursor_close(bc);
	free(order);
	free(start);
	free(vals);
	free(lens);
	p->n = p->nk = 0;
	p->keys.len = 0;
	memset(p->slots, 0, p->nslots * sizeof *p->slots);
	if (rc && berr.code) {
		*err = berr;
		return berr.code;
	}
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

void textindex_pend_add(struct store_txn *t, const uint8_t *key, size_t klen,
                        const uint8_t val[POSTING_LEN], uint32_t len)
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
	x->len = len;
	memcpy(x->val, val, POSTING_LEN);
}
