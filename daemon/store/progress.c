/*
 * progress.c — the environment of progress events (progress.h).
 *
 * Its own environment rather than three more tables of the store: the
 * writer of the directory (the loop's writer thread) never waits for a
 * web thread storing an event, the events cannot leak into an export or
 * a reconciliation by a mistake in a scan, and erasing them all is
 * removing one directory.
 */
#include "store/progress.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/alloc.h"
#include "store/store_int.h"

#define EKEY_LEN (PROGRESS_TOKHASH_LEN + 4)
#define WKEY_LEN (4 + EKEY_LEN)

struct progress {
	MDB_env *env;
	MDB_dbi events, weeks, meta;
	bool rdonly;
	char *path;
};

struct progress_txn {
	struct progress *p;
	MDB_txn *txn;
};

/* LMDB's codes through the store's adapter, naming this environment. */
static int fail(int rc, struct gl_error *err, const struct progress *p, const char *what)
{
	if (rc == MDB_MAP_FULL)
		return gl_errorf(err, GL_ENOSPC, "%s: %s: the progress events fill their %llu MiB",
		                 p->path, what, (unsigned long long)(PROGRESS_MAP_SIZE >> 20));
	rc = store_mdb_fail(rc, err, NULL, what);
	return err ? gl_error_prefix(err, rc, "%s", p->path) : rc;
}

const char *progress_path(const struct progress *p)
{
	return p->path;
}

static int open_dbs(struct progress *p, struct gl_error *err)
{
	MDB_txn *txn;
	unsigned flags = p->rdonly ? 0 : MDB_CREATE;
	int rc = mdb_txn_begin(p->env, NULL, p->rdonly ? MDB_RDONLY : 0, &txn);
	if (rc)
		return fail(rc, err, p, "begin");
	if ((rc = mdb_dbi_open(txn, "events", flags, &p->events)) ||
	    (rc = mdb_dbi_open(txn, "weeks", flags, &p->weeks)) ||
	    (rc = mdb_dbi_open(txn, "meta", flags, &p->meta))) {
		mdb_txn_abort(txn);
		return rc == MDB_NOTFOUND ? gl_errorf(err, GL_ENOTFOUND, "%s: no progress events here",
		                                      p->path)
		                          : fail(rc, err, p, "open databases");
	}
	MDB_val k = { .mv_size = 6, .mv_data = "layout" }, v;
	uint8_t layout = PROGRESS_LAYOUT;
	rc = mdb_get(txn, p->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		v.mv_size = 1;
		v.mv_data = &layout;
		rc = p->rdonly ? 0 : mdb_put(txn, p->meta, &k, &v, 0);
	} else if (rc == 0 && (v.mv_size != 1 || *(uint8_t *)v.mv_data != PROGRESS_LAYOUT)) {
		mdb_txn_abort(txn);
		return gl_errorf(err, GL_ESTORE, "%s: progress events of another layout (this gilde "
		                 "reads layout %d)", p->path, PROGRESS_LAYOUT);
	}
	if (rc) {
		mdb_txn_abort(txn);
		return fail(rc, err, p, "open");
	}
	rc = mdb_txn_commit(txn); /* frees txn, whatever it returns */
	return rc ? fail(rc, err, p, "open") : 0;
}

int progress_open(const char *dir, bool rdonly, struct progress **out, struct gl_error *err)
{
	struct progress *p = gl_xcalloc(1, sizeof *p);
	p->rdonly = rdonly;
	p->path = gl_xstrdup(dir);
	int rc;
	struct stat st;
	if (rdonly && stat(dir, &st) != 0) {
		rc = gl_errorf(err, GL_ENOTFOUND, "%s: no progress events here", dir);
		goto fail;
	}
	if (!rdonly && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = gl_errorf(err, errno == EACCES ? GL_EPERM : GL_EIO, "%s: cannot create: %s", dir,
		               strerror(errno));
		goto fail;
	}
	if ((rc = mdb_env_create(&p->env))) {
		rc = fail(rc, err, p, "create environment");
		goto fail;
	}
	mdb_env_set_maxdbs(p->env, 4);
	mdb_env_set_mapsize(p->env, PROGRESS_MAP_SIZE);
	/* NOTLS: web threads and the thread pool share the environment */
	rc = mdb_env_open(p->env, dir, MDB_NOTLS | (rdonly ? MDB_RDONLY : 0), 0600);
	if (rc) {
		rc = rc == ENOENT ? gl_errorf(err, GL_ENOTFOUND, "%s: no progress events here", dir)
		                  : fail(rc, err, p, "open");
		goto fail;
	}
	if ((rc = open_dbs(p, err)))
		goto fail;
	*out = p;
	return 0;
fail:
	progress_close(p);
	return rc;
}

void progress_close(struct progress *p)
{
	if (!p)
		return;
	if (p->env)
		mdb_env_close(p->env);
	free(p->path);
	free(p);
}

int progress_begin(struct progress *p, bool write, struct progress_txn **out,
                   struct gl_error *err)
{
	if (write && p->rdonly)
		return gl_errorf(err, GL_EINVAL, "%s: opened read-only", p->path);
	MDB_txn *txn;
	int rc = mdb_txn_begin(p->env, NULL, write ? 0 : MDB_RDONLY, &txn);
	if (rc)
		return fail(rc, err, p, "begin transaction");
	struct progress_txn *t = gl_xmalloc(sizeof *t);
	t->p = p;
	t->txn = txn;
	*out = t;
	return 0;
}

int progress_commit(struct progress_txn *t, struct gl_error *err)
{
	struct progress *p = t->p;
	int rc = mdb_txn_commit(t->txn);
	free(t);
	return rc ? fail(rc, err, p, "commit") : 0;
}

void progress_abort(struct progress_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

static void event_key(uint8_t k[EKEY_LEN], const uint8_t *tokhash, uint32_t seq)
{
	memcpy(k, tokhash, PROGRESS_TOKHASH_LEN);
	store_put_be32(k + PROGRESS_TOKHASH_LEN, seq);
}

static void week_key(uint8_t k[WKEY_LEN], uint32_t week, const uint8_t ekey[EKEY_LEN])
{
	store_put_be32(k, week);
	memcpy(k + 4, ekey, EKEY_LEN);
}

/* Read an event at key k, value v into e; false for one of the wrong shape. */
static bool event_of(const MDB_val *k, const MDB_val *v, struct progress_event *e)
{
	if (k->mv_size != EKEY_LEN || v->mv_size < 5)
		return false;
	const uint8_t *kb = k->mv_data, *vb = v->mv_data;
	e->tokhash = kb;
	e->seq = store_get_be32(kb + PROGRESS_TOKHASH_LEN);
	e->week = (uint32_t)vb[0] | (uint32_t)vb[1] << 8 | (uint32_t)vb[2] << 16 |
	          (uint32_t)vb[3] << 24;
	e->val = vb + 4;
	e->len = v->mv_size - 4;
	return true;
}

/*
 * Visit the events from key `from` on while they start with prefix
 * (plen bytes; 0: all).  Shared by the scans.
 */
static int scan_from(struct progress_txn *t, const uint8_t *prefix, size_t plen,
                     progress_visit_fn fn, void *ctx, struct gl_error *err)
{
	struct progress *p = t->p;
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, p->events, &c);
	if (rc)
		return fail(rc, err, p, "cursor");
	uint8_t start[EKEY_LEN] = { 0 };
	if (plen) /* prefix is NULL for a scan of all: memcpy must not see it */
		memcpy(start, prefix, plen);
	MDB_val k = { .mv_size = plen ? EKEY_LEN : 0, .mv_data = start }, v;
	rc = mdb_cursor_get(c, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0) {
		struct progress_event e;
		if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen)))
			break;
		if (!event_of(&k, &v, &e)) {
			mdb_cursor_close(c);
			return gl_errorf(err, GL_ESTORE, "%s: an event of the wrong shape", p->path);
		}
		int r = fn(ctx, &e);
		if (r) {
			mdb_cursor_close(c);
			return r;
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : fail(rc, err, p, "scan");
}

int progress_scan_token(struct progress_txn *t, const uint8_t tokhash[PROGRESS_TOKHASH_LEN],
                        progress_visit_fn fn, void *ctx, struct gl_error *err)
{
	return scan_from(t, tokhash, PROGRESS_TOKHASH_LEN, fn, ctx, err);
}

int progress_scan(struct progress_txn *t, progress_visit_fn fn, void *ctx, struct gl_error *err)
{
	return scan_from(t, NULL, 0, fn, ctx, err);
}

struct same {
	const void *val;
	size_t len;
	uint32_t last, n;
};

static int look(void *ctx, const struct progress_event *e)
{
	struct same *s = ctx;
	s->last = e->seq;
	s->n++;
	return e->len == s->len && !memcmp(e->val, s->val, s->len);
}

int progress_add(struct progress_txn *t, const uint8_t tokhash[PROGRESS_TOKHASH_LEN],
                 uint32_t week, const void *val, size_t len, bool *added, struct gl_error *err)
{
	struct progress *p = t->p;
	if (!len || len > PROGRESS_VALUE_MAX)
		return gl_errorf(err, GL_EINVAL, "an event of %zu bytes (1 to PROGRESS_VALUE_MAX, %d)",
		                 len, PROGRESS_VALUE_MAX);
	struct same s = { .val = val, .len = len };
	int rc = progress_scan_token(t, tokhash, look, &s, err);
	if (rc < 0)
		return rc;
	*added = rc == 0;
	if (rc)
		return 0; /* held already */
	if (s.n >= PROGRESS_TOKEN_EVENTS_MAX)
		return gl_errorf(err, GL_ELIMIT, "this token holds PROGRESS_TOKEN_EVENTS_MAX (%d) "
		                 "events", PROGRESS_TOKEN_EVENTS_MAX);
	uint8_t ek[EKEY_LEN], wk[WKEY_LEN], *buf = gl_xmalloc(4 + len);
	event_key(ek, tokhash, s.last + 1);
	week_key(wk, week, ek);
	for (int i = 0; i < 4; i++)
		buf[i] = (uint8_t)(week >> (8 * i));
	memcpy(buf + 4, val, len);
	MDB_val k = { .mv_size = EKEY_LEN, .mv_data = ek }, v = { .mv_size = 4 + len, .mv_data = buf };
	MDB_val wkv = { .mv_size = WKEY_LEN, .mv_data = wk }, none = { .mv_size = 0, .mv_data = "" };
	if ((rc = mdb_put(t->txn, p->events, &k, &v, MDB_NOOVERWRITE)) ||
	    (rc = mdb_put(t->txn, p->weeks, &wkv, &none, 0)))
		rc = fail(rc, err, p, "add an event");
	free(buf);
	return rc;
}

/* Delete the event at key ek (EKEY_LEN bytes) and its weeks entry. */
static int delete_event(struct progress_txn *t, const uint8_t *ek, uint32_t week,
                        struct gl_error *err)
{
	struct progress *p = t->p;
	uint8_t wk[WKEY_LEN];
	week_key(wk, week, ek);
	MDB_val k = { .mv_size = EKEY_LEN, .mv_data = (void *)ek };
	MDB_val wkv = { .mv_size = WKEY_LEN, .mv_data = wk };
	int rc = mdb_del(t->txn, p->events, &k, NULL);
	if (!rc)
		rc = mdb_del(t->txn, p->weeks, &wkv, NULL);
	return rc ? fail(rc, err, p, "delete an event") : 0;
}

struct keys {
	uint8_t (*k)[EKEY_LEN];
	uint32_t *week;
	unsigned n;
};

static int collect(void *ctx, const struct progress_event *e)
{
	struct keys *ks = ctx;
	ks->k = gl_xrealloc(ks->k, (ks->n + 1) * sizeof *ks->k);
	ks->week = gl_xrealloc(ks->week, (ks->n + 1) * sizeof *ks->week);
	event_key(ks->k[ks->n], e->tokhash, e->seq);
	ks->week[ks->n++] = e->week;
	return 0;
}

int progress_delete_token(struct progress_txn *t, const uint8_t tokhash[PROGRESS_TOKHASH_LEN],
                          unsigned *removed, struct gl_error *err)
{
	struct keys ks = { 0 };
	/* the keys first: a cursor must not walk what is being deleted */
	int rc = progress_scan_token(t, tokhash, collect, &ks, err);
	for (unsigned i = 0; !rc && i < ks.n; i++)
		rc = delete_event(t, ks.k[i], ks.week[i], err);
	if (!rc)
		*removed = ks.n;
	free(ks.k);
	free(ks.week);
	return rc;
}

int progress_expire(struct progress_txn *t, uint32_t before, unsigned limit, unsigned *removed,
                    struct gl_error *err)
{
	struct progress *p = t->p;
	struct keys ks = { 0 };
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, p->weeks, &c);
	if (rc)
		return fail(rc, err, p, "cursor");
	MDB_val k, v;
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0 && ks.n < limit && k.mv_size == WKEY_LEN &&
	       store_get_be32(k.mv_data) < before) {
		ks.k = gl_xrealloc(ks.k, (ks.n + 1) * sizeof *ks.k);
		ks.week = gl_xrealloc(ks.week, (ks.n + 1) * sizeof *ks.week);
		memcpy(ks.k[ks.n], (uint8_t *)k.mv_data + 4, EKEY_LEN);
		ks.week[ks.n++] = store_get_be32(k.mv_data);
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		rc = fail(rc, err, p, "read weeks");
	else
		rc = 0;
	for (unsigned i = 0; !rc && i < ks.n; i++)
		rc = delete_event(t, ks.k[i], ks.week[i], err);
	if (!rc)
		*removed = ks.n;
	free(ks.k);
	free(ks.week);
	return rc;
}

int progress_count(struct progress_txn *t, uint64_t *events, struct gl_error *err)
{
	MDB_stat st;
	int rc = mdb_stat(t->txn, t->p->events, &st);
	if (rc)
		return fail(rc, err, t->p, "count");
	*events = st.ms_entries;
	return 0;
}

int progress_meta_get(struct progress_txn *t, const char *name, const void **val, size_t *len)
{
	MDB_val k = { .mv_size = strlen(name), .mv_data = (void *)name }, v;
	int rc = mdb_get(t->txn, t->p->meta, &k, &v);
	if (rc)
		return rc == MDB_NOTFOUND ? GL_ENOTFOUND : fail(rc, NULL, t->p, "read meta");
	*val = v.mv_data;
	*len = v.mv_size;
	return 0;
}

int progress_meta_put(struct progress_txn *t, const char *name, const void *val, size_t len,
                      struct gl_error *err)
{
	MDB_val k = { .mv_size = strlen(name), .mv_data = (void *)name };
	MDB_val v = { .mv_size = len, .mv_data = (void *)val };
	int rc = mdb_put(t->txn, t->p->meta, &k, &v, 0);
	return rc ? fail(rc, err, t->p, "write meta") : 0;
}

int progress_meta_del(struct progress_txn *t, const char *name, struct gl_error *err)
{
	MDB_val k = { .mv_size = strlen(name), .mv_data = (void *)name };
	int rc = mdb_del(t->txn, t->p->meta, &k, NULL);
	return rc && rc != MDB_NOTFOUND ? fail(rc, err, t->p, "delete meta") : 0;
}
