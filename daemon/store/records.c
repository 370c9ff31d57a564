/*
 * records.c — the records table and what is kept in step with it in the
 * same transaction (store.h's invariants): putting a record, taking one
 * out, reading and scanning them.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "store/store_int.h"

static size_t make_rkey(uint8_t *k, const uint8_t *author, int kind, const char *id,
                        size_t id_len)
{
	memcpy(k, author, RECORD_KEY_LEN);
	k[RECORD_KEY_LEN] = (uint8_t)kind;
	memcpy(k + RECORD_KEY_LEN + 1, id, id_len);
	return RECORD_KEY_LEN + 1 + id_len;
}

static void entry_from(struct store_entry *e, const MDB_val *k, const MDB_val *v)
{
	const uint8_t *kp = k->mv_data, *vp = v->mv_data;
	e->author = kp;
	e->kind = kp[RECORD_KEY_LEN];
	e->id = (const char *)kp + RECORD_KEY_LEN + 1;
	e->id_len = k->mv_size - RECORD_KEY_LEN - 1;
	e->tombstone = vp[1] & FLAG_TOMBSTONE;
	e->version = store_get_le64(vp + 8);
	e->issued = store_get_le64(vp + 16);
	e->expires = store_get_le64(vp + 24);
	e->cid = vp + 32;
	e->env = vp + VAL_HDR;
	e->env_len = v->mv_size - VAL_HDR;
}

static bool entry_ok(const MDB_val *k, const MDB_val *v)
{
	return k->mv_size > RECORD_KEY_LEN + 1 && k->mv_size <= RKEY_MAX &&
	       v->mv_size > VAL_HDR && ((const uint8_t *)v->mv_data)[0] == 1;
}

/*
 * Take the held entry e (at key rk) out of items, expiry, kinds and the
 * indexes.  e's envelope may lie on a page of the records table, and a
 * pointer into a page holds only until the next write (LMDB: a dirty page
 * may be spilled and freed), so the indexes are given a copy.
 */
static int remove_entry(struct store_txn *t, const MDB_val *rk, const struct store_entry *e,
                        struct gl_error *err)
{
	struct store *s = t->s;
	uint8_t item[RECORD_ITEM_LEN], ek[8 + RKEY_MAX], kk[RKEY_MAX];
	struct store_entry own = *e;
	uint8_t *env = NULL;
	if (!e->tombstone) {
		env = gl_xmalloc(e->env_len ? e->env_len : 1);
		memcpy(env, e->env, e->env_len);
		own.env = env;
	}
	e = &own;
	record_item_of(e->author, e->kind, e->id, e->id_len, e->version, e->cid, item);
	int rc = store_items_del(t, item);
	if (rc && rc != MDB_NOTFOUND) {
		rc = store_mdb_fail(rc, err, s, "delete item");
		goto out;
	}
	store_put_be64(ek, e->expires);
	memcpy(ek + 8, rk->mv_data, rk->mv_size);
	MDB_val k = { .mv_size = 8 + rk->mv_size, .mv_data = ek };
	rc = mdb_del(t->txn, s->expiry, &k, NULL);
	if (rc && rc != MDB_NOTFOUND) {
		rc = store_mdb_fail(rc, err, s, "delete expiry");
		goto out;
	}
	rc = 0;
	if (!e->tombstone) {
		if ((rc = store_index_removed(t, rk->mv_data, rk->mv_size, e, err)))
			goto out;
		kk[0] = (uint8_t)e->kind;
		memcpy(kk + 1, e->author, RECORD_KEY_LEN);
		memcpy(kk + 1 + RECORD_KEY_LEN, e->id, e->id_len);
		k.mv_size = 1 + RECORD_KEY_LEN + e->id_len;
		k.mv_data = kk;
		rc = mdb_del(t->txn, s->kinds, &k, NULL);
		if (rc && rc != MDB_NOTFOUND)
			rc = store_mdb_fail(rc, err, s, "delete kind index");
		else
			rc = 0;
	}
out:
	free(env);
	return rc;
}

/*
 * Delete the record at key k (value v, checked with entry_ok) and its index
 * entries.  The key and content id are copied first: k and v may point into
 * pages the deletes change.
 */
static int drop_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                       struct gl_error *err)
{
	struct store *s = t->s;
	uint8_t rkey[RKEY_MAX], cid[RECORD_CID_LEN];
	memcpy(rkey, k->mv_data, k->mv_size);
	MDB_val rk = { .mv_size = k->mv_size, .mv_data = rkey };
	struct store_entry e;
	entry_from(&e, &rk, v);
	memcpy(cid, e.cid, sizeof cid);
	e.author = rkey;
	e.id = (const char *)rkey + RECORD_KEY_LEN + 1;
	e.cid = cid;
	int rc = remove_entry(t, &rk, &e, err);
	if (rc)
		return rc;
	if ((rc = mdb_del(t->txn, s->records, &rk, NULL)))
		return store_mdb_fail(rc, err, s, "delete record");
	return 0;
}

int store_put(struct store_txn *t, const struct record *r, enum store_outcome *outcome,
              struct gl_error *err)
{
	uint8_t cid[RECORD_CID_LEN], item[RECORD_ITEM_LEN];
	record_cid(r->env, r->env_len, cid);
	record_item(r, cid, item);
	return store_put_hashed(t, r, cid, item, NULL, outcome, err);
}

int store_put_hashed(struct store_txn *t, const struct record *r,
                     const uint8_t cid[RECORD_CID_LEN], const uint8_t item[RECORD_ITEM_LEN],
                     const struct textindex_terms *cut, enum store_outcome *outcome,
                     struct gl_error *err)
{
	struct store *s = t->s;
	if (!t->write)
		return gl_errorf(err, GL_EINVAL, "store_put in a read transaction");
	uint8_t rkey[RKEY_MAX];
	MDB_val k = { .mv_size = make_rkey(rkey, r->author, r->kind, r->id, r->id_len),
	              .mv_data = rkey };
	MDB_val v;
	enum store_outcome oc = STORE_NEW;
	int rc = mdb_get(t->txn, s->records, &k, &v);
	if (rc == 0) {
		if (!entry_ok(&k, &v))
			return gl_errorf(err, GL_ESTORE, "%s: damaged record entry", s->path);
		struct store_entry old;
		entry_from(&old, &k, &v);
		if (memcmp(old.cid, cid, RECORD_CID_LEN) == 0) {
			*outcome = STORE_SAME;
			return 0;
		}
		if (!record_wins(r->version, cid, old.version, old.cid)) {
			*outcome = STORE_OLDER;
			return 0;
		}
		/* old's pointers into the page die with the next write:
		 * remove_entry copies what it needs first (the author and id
		 * are in rkey, ours) */
		if ((rc = remove_entry(t, &k, &old, err)))
			return rc;
		oc = STORE_REPLACED;
	} else if (rc != MDB_NOTFOUND) {
		return store_mdb_fail(rc, err, s, "read record");
	}

	store_map_work(s, 4);
	v.mv_size = VAL_HDR + r->env_len;
	rc = mdb_put(t->txn, s->records, &k, &v, MDB_RESERVE);
	if (rc)
		return store_mdb_fail(rc, err, s, "write record");
	uint8_t *p = v.mv_data;
	memset(p, 0, VAL_HDR);
	p[0] = 1;
	p[1] = r->body ? 0 : FLAG_TOMBSTONE;
	store_put_le64(p + 8, r->version);
	store_put_le64(p + 16, r->issued);
	store_put_le64(p + 24, r->expires);
	memcpy(p + 32, cid, RECORD_CID_LEN);
	memcpy(p + VAL_HDR, r->env, r->env_len);

	if ((rc = store_items_put(t, item, rkey, k.mv_size)))
		return store_mdb_fail(rc, err, s, "write item");

	uint8_t ek[8 + RKEY_MAX];
	store_put_be64(ek, r->expires);
	memcpy(ek + 8, rkey, k.mv_size);
	MDB_val xk = { .mv_size = 8 + k.mv_size, .mv_data = ek }, empty = { 0, "" };
	if ((rc = mdb_put(t->txn, s->expiry, &xk, &empty, 0)))
		return store_mdb_fail(rc, err, s, "write expiry");

	if (r->body) {
		uint8_t kk[RKEY_MAX];
		kk[0] = (uint8_t)r->kind;
		memcpy(kk + 1, r->author, RECORD_KEY_LEN);
		memcpy(kk + 1 + RECORD_KEY_LEN, r->id, r->id_len);
		MDB_val kik = { .mv_size = k.mv_size, .mv_data = kk };
		if ((rc = mdb_put(t->txn, s->kinds, &kik, &empty, 0)))
			return store_mdb_fail(rc, err, s, "write kind index");
		if ((rc = store_index_added(t, rkey, k.mv_size, r, cut, err)))
			return rc;
	}
	*outcome = oc;
	return 0;
}

/* The record under (author, kind, id) by cursor c of t's records. */
static int cursor_get(struct store_txn *t, MDB_cursor *c, const uint8_t author[RECORD_KEY_LEN],
                      int kind, const char *id, size_t id_len, struct store_entry *out,
                      struct gl_error *err)
{
	if (id_len > GL_ID_MAX)
		return gl_errorf(err, GL_ENOTFOUND, "no such record");
	uint8_t rkey[RKEY_MAX];
	MDB_val k = { .mv_size = make_rkey(rkey, author, kind, id, id_len), .mv_data = rkey };
	MDB_val v;
	/* the key handed out is the database's, which lives as long as the
	 * value; a cursor that stands on a page looks there first (LMDB:
	 * mdb_cursor_set) */
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
	if (rc == MDB_NOTFOUND)
		return gl_errorf(err, GL_ENOTFOUND, "%s/%.*s: no such record",
		                 record_kind_name(kind), (int)id_len, id);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "read record");
	if (!entry_ok(&k, &v))
		return gl_errorf(err, GL_ESTORE, "%s: damaged record entry", t->s->path);
	entry_from(out, &k, &v);
	return 0;
}

int store_get(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], int kind,
              const char *id, size_t id_len, struct store_entry *out, struct gl_error *err)
{
	/* one descent by a cursor (not mdb_get and then the cursor: two) */
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->records, &c);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "cursor");
	rc = cursor_get(t, c, author, kind, id, id_len, out, err);
	mdb_cursor_close(c);
	return rc;
}

struct store_reader {
	struct store_txn *t;
	MDB_cursor *c;
};

int store_reader_open(struct store_txn *t, struct store_reader **out, struct gl_error *err)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->records, &c);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "cursor");
	struct store_reader *r = gl_xmalloc(sizeof *r);
	*r = (struct store_reader){ t, c };
	*out = r;
	return 0;
}

int store_reader_get(struct store_reader *r, const uint8_t author[RECORD_KEY_LEN], int kind,
                     const char *id, size_t id_len, struct store_entry *out,
                     struct gl_error *err)
{
	return cursor_get(r->t, r->c, author, kind, id, id_len, out, err);
}

void store_reader_close(struct store_reader *r)
{
	if (!r)
		return;
	mdb_cursor_close(r->c);
	free(r);
}

size_t store_entry_key(const struct store_entry *e, uint8_t out[STORE_KEY_MAX])
{
	return make_rkey(out, e->author, e->kind, e->id, e->id_len);
}

int store_scan_from(struct store_txn *t, const uint8_t *after, size_t after_len,
                    store_visit_fn fn, void *ctx, struct gl_error *err)
{
	struct store *s = t->s;
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, s->records, &c);
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	MDB_val k = { .mv_size = after_len, .mv_data = (void *)after }, v;
	rc = mdb_cursor_get(c, &k, &v, after ? MDB_SET_RANGE : MDB_FIRST);
	if (rc == 0 && after && k.mv_size == after_len && memcmp(k.mv_data, after, after_len) == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	int out = 0;
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		store_map_work(s, 1);
		if (!entry_ok(&k, &v)) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged record entry", s->path);
			break;
		}
		struct store_entry e;
		entry_from(&e, &k, &v);
		if ((out = fn(ctx, &e)) != 0)
			break;
	}
	if (out == 0 && rc != 0 && rc != MDB_NOTFOUND)
		out = store_mdb_fail(rc, err, s, "scan");
	mdb_cursor_close(c);
	return out;
}

int store_scan(struct store_txn *t, const struct store_filter *f, store_visit_fn fn,
               void *ctx, struct gl_error *err)
{
	struct store *s = t->s;
	uint8_t prefix[1 + RECORD_KEY_LEN];
	size_t plen = 0;
	/* the kinds index holds live records only */
	bool by_kind = f->kind && !f->author && !f->tombstones;
	MDB_dbi db = by_kind ? s->kinds : s->records;
	if (by_kind) {
		prefix[0] = (uint8_t)f->kind;
		plen = 1;
	} else if (f->author) {
		memcpy(prefix, f->author, RECORD_KEY_LEN);
		plen = RECORD_KEY_LEN;
		if (f->kind)
			prefix[plen++] = (uint8_t)f->kind;
	}
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, db, &c);
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	MDB_val k = { .mv_size = plen, .mv_data = prefix }, v;
	rc = mdb_cursor_get(c, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	int out = 0;
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		store_map_work(s, 1);
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		MDB_val rk = k, rv;
		uint8_t rkey[RKEY_MAX];
		if (by_kind) {
			/* kinds key is kind||author||id; the record key is author||kind||id */
			const uint8_t *kp = k.mv_data;
			if (k.mv_size <= 1 + RECORD_KEY_LEN || k.mv_size > RKEY_MAX) {
				out = gl_errorf(err, GL_ESTORE, "%s: damaged kind index", s->path);
				break;
			}
			rk.mv_size = make_rkey(rkey, kp + 1, kp[0], (const char *)kp + 1 + RECORD_KEY_LEN,
			                       k.mv_size - 1 - RECORD_KEY_LEN);
			rk.mv_data = rkey;
			int grc = mdb_get(t->txn, s->records, &rk, &rv);
			if (grc) {
				out = grc == MDB_NOTFOUND
				              ? gl_errorf(err, GL_ESTORE, "%s: kind index out of step", s->path)
				              : store_mdb_fail(grc, err, s, "read record");
				break;
			}
		} else {
			rv = v;
		}
		if (!entry_ok(&rk, &rv)) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged record entry", s->path);
			break;
		}
		struct store_entry e;
		entry_from(&e, &rk, &rv);
		if (f->kind && e.kind != f->kind)
			continue;
		if (e.tombstone && !f->tombstones)
			continue;
		if ((out = fn(ctx, &e)) != 0)
			break;
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, s, "scan");
	return 0;
}

int store_get_by_item(struct store_txn *t, const uint8_t item[RECORD_ITEM_LEN],
                      struct store_entry *out, uint8_t held_item[RECORD_ITEM_LEN],
                      bool *exact, struct gl_error *err)
{
	struct store *s = t->s;
	const uint8_t *held;
	MDB_val rk, rv;
	int rc = store_items_find(t, item, &held, &rk);
	if (rc == MDB_CORRUPTED)
		return gl_errorf(err, GL_ESTORE, "%s: damaged item index", s->path);
	if (rc)
		return rc == MDB_NOTFOUND ? GL_ENOTFOUND : store_mdb_fail(rc, err, s, "find item");
	memcpy(held_item, held, RECORD_ITEM_LEN);
	*exact = memcmp(held, item, RECORD_ITEM_LEN) == 0;
	if (rk.mv_size <= RECORD_KEY_LEN + 1 || rk.mv_size > RKEY_MAX)
		return gl_errorf(err, GL_ESTORE, "%s: damaged item index", s->path);
	rc = mdb_get(t->txn, s->records, &rk, &rv);
	if (rc || !entry_ok(&rk, &rv))
		return rc == 0 || rc == MDB_NOTFOUND
		               ? gl_errorf(err, GL_ESTORE, "%s: item index out of step", s->path)
		               : store_mdb_fail(rc, err, s, "read record");
	entry_from(out, &rk, &rv);
	return 0;
}

/*
 * Where a deletion loop finds its next record: the record's key and value
 * in *rk and *rv (checked with entry_ok; rkey is a buffer the key may be
 * copied to), 0; DROP_DONE when none is left; or a negative GL code.
 */
#define DROP_DONE 1
typedef int (*next_victim_fn)(struct store_txn *t, MDB_cursor *c, const void *arg,
                              uint8_t rkey[RKEY_MAX], MDB_val *rk, MDB_val *rv,
                              struct gl_error *err);

/*
 * Drop up to limit records that next finds, one at a time: each drop
 * changes the tables under the cursor (on dbi), so next places it afresh.
 */
static int drop_each(struct store_txn *t, MDB_dbi dbi, unsigned limit, next_victim_fn next,
                     const void *arg, unsigned *removed, struct gl_error *err)
{
	MDB_cursor *c;
	unsigned n = 0;
	int rc = mdb_cursor_open(t->txn, dbi, &c);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "cursor");
	while (n < limit) {
		uint8_t rkey[RKEY_MAX];
		MDB_val rk, rv;
		if ((rc = next(t, c, arg, rkey, &rk, &rv, err)) || (rc = drop_record(t, &rk, &rv, err)))
			break;
		n++;
	}
	mdb_cursor_close(c);
	if (rc == DROP_DONE)
		rc = 0;
	if (rc == 0)
		*removed = n;
	return rc;
}

/* The record of the first expiry entry, if it expired before *arg (now). */
static int next_expired(struct store_txn *t, MDB_cursor *c, const void *arg,
                        uint8_t rkey[RKEY_MAX], MDB_val *rk, MDB_val *rv, struct gl_error *err)
{
	struct store *s = t->s;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size <= 8 ||
	                                       store_get_be64(k.mv_data) >= *(const uint64_t *)arg)))
		return DROP_DONE;
	if (rc)
		return store_mdb_fail(rc, err, s, "expire");
	size_t rlen = k.mv_size - 8;
	if (rlen > RKEY_MAX)
		return gl_errorf(err, GL_ESTORE, "%s: damaged expiry index", s->path);
	memcpy(rkey, (uint8_t *)k.mv_data + 8, rlen);
	*rk = (MDB_val){ .mv_size = rlen, .mv_data = rkey };
	rc = mdb_get(t->txn, s->records, rk, rv);
	if (rc == 0 && entry_ok(rk, rv))
		return 0;
	return rc == 0 || rc == MDB_NOTFOUND
	               ? gl_errorf(err, GL_ESTORE, "%s: expiry index out of step", s->path)
	               : store_mdb_fail(rc, err, s, "read record");
}

int store_expire(struct store_txn *t, uint64_t now, unsigned limit, unsigned *removed,
                 struct gl_error *err)
{
	return drop_each(t, t->s->expiry, limit, next_expired, &now, removed, err);
}

/* The first record by the author *arg, if any is left. */
static int next_by_author(struct store_txn *t, MDB_cursor *c, const void *arg,
                          uint8_t rkey[RKEY_MAX], MDB_val *rk, MDB_val *rv,
                          struct gl_error *err)
{
	(void)rkey;
	MDB_val k = { .mv_size = RECORD_KEY_LEN, .mv_data = (void *)arg }, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND ||
	    (rc == 0 && (k.mv_size <= RECORD_KEY_LEN || memcmp(k.mv_data, arg, RECORD_KEY_LEN))))
		return DROP_DONE;
	if (rc)
		return store_mdb_fail(rc, err, t->s, "delete author");
	if (!entry_ok(&k, &v))
		return gl_errorf(err, GL_ESTORE, "%s: damaged record entry", t->s->path);
	*rk = k;
	*rv = v;
	return 0;
}

int store_delete(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], int kind,
                 const char *id, size_t id_len, bool *removed, struct gl_error *err)
{
	*removed = false;
	if (id_len > GL_ID_MAX)
		return 0;
	uint8_t rkey[RKEY_MAX];
	MDB_val k = { .mv_size = make_rkey(rkey, author, kind, id, id_len), .mv_data = rkey }, v;
	int rc = mdb_get(t->txn, t->s->records, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_mdb_fail(rc, err, t->s, "read record");
	if (!entry_ok(&k, &v))
		return gl_errorf(err, GL_ESTORE, "%s: damaged record entry", t->s->path);
	if ((rc = drop_record(t, &k, &v, err)))
		return rc;
	*removed = true;
	return 0;
}

int store_delete_author(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN],
                        unsigned *removed, struct gl_error *err)
{
	return drop_each(t, t->s->records, UINT_MAX, next_by_author, author, removed, err);
}
