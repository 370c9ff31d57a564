/*
 * textindex_queue.c — records indexed after their commit (textindex.h:
 * the queue, textindex_behind, textindex_catch_up).
 */
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "store/textindex_int.h"

#define MARK_LEN 16 /* next u64, done u64, little-endian */
#define SEQ_LEN 8

/* The queue's mark: the next seq to give and the first not yet indexed
 * (both 1 for a store that never queued a record). */
struct qmark {
	uint64_t next, done;
};

static int mark_get(struct store_txn *t, struct qmark *m, struct gl_error *err)
{
	const void *v;
	size_t len;
	*m = (struct qmark){ .next = 1, .done = 1 };
	int rc = store_meta_get(t, TEXTINDEX_QUEUE_KEY, &v, &len);
	if (rc == GL_ENOTFOUND)
		return 0;
	if (rc)
		return gl_errorf(err, rc, "%s: cannot read the search index's queue", t->s->path);
	if (len != MARK_LEN)
		return gl_errorf(err, GL_ESTORE, "%s: a damaged search index queue mark; start gilded "
		                 "with --rebuild-index", t->s->path);
	m->next = store_get_le64(v);
	m->done = store_get_le64((const uint8_t *)v + 8);
	if (m->done > m->next)
		return gl_errorf(err, GL_ESTORE, "%s: a damaged search index queue mark; start gilded "
		                 "with --rebuild-index", t->s->path);
	return 0;
}

static int mark_put(struct store_txn *t, const struct qmark *m, struct gl_error *err)
{
	uint8_t buf[MARK_LEN];
	store_put_le64(buf, m->next);
	store_put_le64(buf + 8, m->done);
	return store_meta_put(t, TEXTINDEX_QUEUE_KEY, buf, sizeof buf, err);
}

int textindex_queue_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        struct gl_error *err)
{
	struct qmark m;
	uint8_t seq[SEQ_LEN];
	int rc = mark_get(t, &m, err);
	if (rc)
		return rc;
	store_put_be64(seq, m.next);
	MDB_val k = { .mv_size = sizeof seq, .mv_data = seq };
	MDB_val v = { .mv_size = rlen, .mv_data = (void *)rkey };
	/* seqs only grow: the new one goes at the end */
	if ((rc = mdb_put(t->txn, t->s->textqueue, &k, &v, MDB_APPEND))) {
		if (rc == MDB_KEYEXIST)
			rc = MDB_CORRUPTED; /* the mark is behind the queue */
		return store_mdb_fail(rc, err, t->s, "queue a record for the search index");
	}
	m.next++;
	store_map_work(t->s, 1);
	return mark_put(t, &m, err);
}

int textindex_queue_empty(struct store_txn *t, struct gl_error *err)
{
	struct qmark m;
	int rc = mark_get(t, &m, err);
	if (rc)
		return rc;
	if ((rc = mdb_drop(t->txn, t->s->textqueue, 0)))
		return store_mdb_fail(rc, err, t->s, "empty the search index's queue");
	m.done = m.next;
	return mark_put(t, &m, err);
}

int textindex_behind(struct store_txn *t, uint64_t *n, struct gl_error *err)
{
	struct qmark m;
	int rc = mark_get(t, &m, err);
	*n = rc ? 0 : m.next - m.done;
	return rc;
}

/* Index the record held under rkey, if it is live, searchable and not
 * indexed yet; *terms adds its terms. */
static int index_one(struct store_txn *t, const uint8_t *rkey, size_t rlen, uint64_t *terms,
                     uint64_t *skipped, struct gl_error *err)
{
	struct store_entry e;
	struct record r;
	bool had;
	if (rlen <= RECORD_KEY_LEN + 1 || rlen > STORE_KEY_MAX)
		return gl_errorf(err, GL_ESTORE, "%s: a damaged search index queue entry", t->s->path);
	int rc = store_get(t, rkey, rkey[RECORD_KEY_LEN], (const char *)rkey + RECORD_KEY_LEN + 1,
	                   rlen - RECORD_KEY_LEN - 1, &e, err);
	if (rc == GL_ENOTFOUND)
		return 0; /* deleted or expired while it waited */
	if (rc || e.tombstone || !textindex_searchable(e.kind) ||
	    (rc = textindex_indexed(t, rkey, rlen, &had, err)) || had)
		return rc;
	if (record_parse(e.env, e.env_len, &r, NULL) != 0 || !r.body) {
		if (skipped)
			(*skipped)++;
		return 0;
	}
	/* the record read where it lies (the queue is in commit order, not
	 * key order) and its entries written: as a record written counts */
	store_map_work(t->s, 4);
	struct textindex_terms cut = { 0 };
	if ((rc = textindex_cut(&r, &cut, err)) == 0)
		rc = textindex_add(t, rkey, rlen, &r, &cut, err);
	*terms += cut.length;
	textindex_terms_free(&cut);
	return rc;
}

int textindex_catch_up(struct store_txn *t, unsigned max_records, uint64_t *left,
                       uint64_t *skipped, struct gl_error *err)
{
	struct qmark m;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint64_t terms = 0;
	uint8_t rkey[STORE_KEY_MAX];
	int rc;
	if (!t->write)
		return gl_errorf(err, GL_EINVAL, "textindex_catch_up in a read transaction");
	if ((rc = mark_get(t, &m, err)))
		return rc;
	for (unsigned n = 0; m.done < m.next && n < max_records && terms < TEXTINDEX_STEP_TERMS;
	     n++) {
		/* the entry is read and deleted before the record is indexed:
		 * the cursor is not held across the index's writes */
		if ((rc = mdb_cursor_open(t->txn, t->s->textqueue, &c)))
			break;
		if ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0 &&
		    (k.mv_size != SEQ_LEN || store_get_be64(k.mv_data) != m.done ||
		     v.mv_size > sizeof rkey))
			rc = MDB_CORRUPTED; /* the mark and the queue disagree */
		size_t rlen = v.mv_size;
		if (rc == 0) {
			memcpy(rkey, v.mv_data, rlen);
			rc = mdb_cursor_del(c, 0);
		}
		mdb_cursor_close(c);
		if (rc)
			break;
		store_map_work(t->s, 1);
		m.done++;
		if ((rc = index_one(t, rkey, rlen, &terms, skipped, err)))
			return rc;
	}
	if (rc) /* MDB_NOTFOUND too: the mark says more waits than the queue holds */
		return store_mdb_fail(rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc, err, t->s,
		                      "read the search index's queue");
	*left = m.next - m.done;
	return mark_put(t, &m, err);
}
