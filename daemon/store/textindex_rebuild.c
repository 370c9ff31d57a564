/*
 * textindex_rebuild.c — checking the full-text index against the records
 * (textindex_recount) and making it again from them, whole or in steps.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"

#include "store/textindex_int.h"

struct visit_ctx {
	struct store_txn *t;
	struct textindex_counts st;
	MDB_val *queued; /* recounting: the keys in the queue, sorted */
	size_t nqueued;
	bool rebuild;
	uint64_t skipped; /* rebuilding: records that do not parse */
	struct gl_error *err;
};

static int val_cmp(const void *a, const void *b)
{
	const MDB_val *x = a, *y = b;
	int c = memcmp(x->mv_data, y->mv_data, x->mv_size < y->mv_size ? x->mv_size : y->mv_size);
	return c ? c : (x->mv_size > y->mv_size) - (x->mv_size < y->mv_size);
}

/* The keys the queue holds into vc->queued, sorted (they point into the
 * store: valid while t is and is not written to). */
static int queued_keys(struct visit_ctx *vc)
{
	struct store_txn *t = vc->t;
	MDB_cursor *c;
	MDB_val k, v;
	size_t cap = 0;
	if (!t->s->has_textqueue)
		return 0;
	int rc = mdb_cursor_open(t->txn, t->s->textqueue, &c);
	if (rc)
		return store_mdb_fail(rc, vc->err, t->s, "cursor");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (vc->nqueued == cap) {
			cap = cap ? 2 * cap : 64;
			vc->queued = gl_xrealloc(vc->queued, cap * sizeof *vc->queued);
		}
		vc->queued[vc->nqueued++] = v;
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, vc->err, t->s, "read the search index's queue");
	if (vc->nqueued)
		qsort(vc->queued, vc->nqueued, sizeof *vc->queued, val_cmp);
	return 0;
}

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
		return textindex_add(vc->t, rkey, store_entry_key(e, rkey), &r, NULL, vc->err);
	}
	/* waiting: no document, its key in the queue */
	uint8_t rkey[STORE_KEY_MAX];
	MDB_val key = { .mv_size = store_entry_key(e, rkey), .mv_data = rkey };
	bool had;
	int rc = textindex_indexed(vc->t, rkey, key.mv_size, &had, vc->err);
	if (rc)
		return rc;
	if (!had && bsearch(&key, vc->queued, vc->nqueued, sizeof key, val_cmp)) {
		vc->st.waiting++;
		return 0;
	}
	struct textindex_terms cut = { 0 };
	rc = textindex_cut(&r, &cut, vc->err);
	if (rc == 0) {
		const uint8_t *term;
		uint8_t len, field;
		uint16_t tf;
		vc->st.docs++;
		vc->st.total_len += cut.length;
		for (size_t at = 0; textindex_next_term(&cut, &at, &term, &len, &field, &tf);)
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
	int rc = textindex_ready(t, err);
	if (rc == 0 && (rc = textindex_flush(t, err)) == 0 && (rc = queued_keys(&vc)) == 0)
		rc = visit_searchable(&vc);
	if (rc == 0)
		*out = vc.st;
	free(vc.queued);
	return rc;
}

int textindex_empty(struct store_txn *t, struct gl_error *err)
{
	if (!t->write)
		return gl_errorf(err, GL_EINVAL, "textindex_empty in a read transaction");
	textindex_pending_free(t); /* what waits would land in the emptied table */
	int rc;
	if ((rc = mdb_drop(t->txn, t->s->postings, 0)) || (rc = mdb_drop(t->txn, t->s->docs, 0)) ||
	    (rc = mdb_drop(t->txn, t->s->docnums, 0)) || (rc = mdb_drop(t->txn, t->s->blocks, 0)))
		return store_mdb_fail(rc, err, t->s, "empty the search index");
	/* the index made again holds every record: none waits */
	return textindex_queue_empty(t, err);
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
	 * their leaves; blocks, a few hundredths of the postings, at once */
	if (*done && (rc = mdb_drop(t->txn, t->s->docs, 0)) == 0 &&
	    (rc = mdb_drop(t->txn, t->s->docnums, 0)) == 0)
		rc = mdb_drop(t->txn, t->s->blocks, 0);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "empty the search index");
	return *done ? textindex_queue_empty(t, err) : 0;
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
	int rc = textindex_cut(&r, &cut, sc->err);
	if (rc == 0)
		rc = textindex_add(sc->t, rkey, store_entry_key(e, rkey), &r, &cut, sc->err);
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
