/*
 * derived.c — the table of derived values (derived.h): kept in step by the
 * index hooks (index.c), made again at a write open whose deriver is new.
 */
#include "store/derived.h"

#include <string.h>

#include "store/store_int.h"

#define VERSION_KEY "derived"
#define GENERATION_KEY "derived-generation"

int store_derived_open(struct store *s, MDB_txn *txn, unsigned flags)
{
	int rc = mdb_dbi_open(txn, "derived", flags, &s->derived);
	s->has_derived = rc == 0;
	return rc == MDB_NOTFOUND ? 0 : rc; /* a read-only open of an older store */
}

/* The version the table says it was made with, as a C string in buf. */
static bool version_of(MDB_txn *txn, const struct store *s, char buf[STORE_DERIVE_VERSION_MAX + 1])
{
	MDB_val k = { .mv_size = strlen(VERSION_KEY), .mv_data = VERSION_KEY }, v;
	if (!s->has_derived || mdb_get(txn, s->meta, &k, &v) || v.mv_size > STORE_DERIVE_VERSION_MAX)
		return false;
	memcpy(buf, v.mv_data, v.mv_size);
	buf[v.mv_size] = '\0';
	return true;
}

static uint64_t generation_of(MDB_txn *txn, const struct store *s)
{
	MDB_val k = { .mv_size = strlen(GENERATION_KEY), .mv_data = GENERATION_KEY }, v;
	uint64_t gen = 0;
	if (!mdb_get(txn, s->meta, &k, &v) && v.mv_size == sizeof gen)
		memcpy(&gen, v.mv_data, sizeof gen);
	return gen;
}

uint64_t store_derived_generation(struct store_txn *t)
{
	return t->s->has_derived ? generation_of(t->txn, t->s) : 0;
}

/* The table changes in t: count one more generation, once per transaction. */
static int moved(struct store_txn *t, struct gl_error *err)
{
	for (const struct store_txn *p = t; p; p = p->parent)
		if (p->derived_moved)
			return 0;
	uint64_t gen = generation_of(t->txn, t->s) + 1;
	MDB_val k = { .mv_size = strlen(GENERATION_KEY), .mv_data = GENERATION_KEY };
	MDB_val v = { .mv_size = sizeof gen, .mv_data = &gen };
	int rc = mdb_put(t->txn, t->s->meta, &k, &v, 0);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "write derived generation");
	t->derived_moved = true;
	return 0;
}

bool store_derived_ready(struct store_txn *t, const char *version)
{
	char have[STORE_DERIVE_VERSION_MAX + 1];
	return version && version_of(t->txn, t->s, have) && !strcmp(have, version);
}

int store_derived_put(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                      const struct record *r, struct gl_error *err)
{
	const struct store_derive *d = t->s->derive;
	if (!d || r->kind != d->kind || !t->s->has_derived)
		return 0;
	struct gl_buf val = { 0 };
	int rc = r->body ? d->fn(d->ctx, r, &val, err) : 0;
	if (rc == 0)
		rc = moved(t, err);
	if (rc == 0) {
		MDB_val k = { .mv_size = rlen, .mv_data = (void *)rkey };
		MDB_val v = { .mv_size = val.len, .mv_data = val.data };
		rc = val.len ? mdb_put(t->txn, t->s->derived, &k, &v, 0)
		             : mdb_del(t->txn, t->s->derived, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
		if (rc)
			rc = store_mdb_fail(rc, err, t->s, "write derived value");
	}
	gl_buf_free(&val);
	return rc;
}

int store_derived_del(struct store_txn *t, const uint8_t *rkey, size_t rlen, int kind,
                      struct gl_error *err)
{
	const struct store_derive *d = t->s->derive;
	if (!d || kind != d->kind || !t->s->has_derived)
		return 0;
	MDB_val k = { .mv_size = rlen, .mv_data = (void *)rkey };
	int rc = moved(t, err);
	if (rc)
		return rc;
	rc = mdb_del(t->txn, t->s->derived, &k, NULL);
	return rc && rc != MDB_NOTFOUND ? store_mdb_fail(rc, err, t->s, "delete derived value") : 0;
}

struct rebuild {
	struct store_txn *t;
	struct gl_error *err;
};

static int rebuild_one(void *vctx, const struct store_entry *e)
{
	struct rebuild *rb = vctx;
	struct record r;
	uint8_t rkey[STORE_KEY_MAX];
	if (record_parse(e->env, e->env_len, &r, NULL))
		return 0; /* left out, as the search index leaves it out */
	size_t rlen = store_entry_key(e, rkey);
	return store_derived_put(rb->t, rkey, rlen, &r, rb->err);
}

/* Make the table again with the deriver's version, in one transaction. */
static int rebuild(struct store *s, struct gl_error *err)
{
	struct store_txn *t;
	int rc = store_begin(s, true, &t, err);
	if (rc)
		return rc;
	struct rebuild rb = { t, err };
	struct store_filter f = { .kind = s->derive->kind };
	MDB_val k = { .mv_size = strlen(VERSION_KEY), .mv_data = VERSION_KEY };
	MDB_val v = { .mv_size = strlen(s->derive->version), .mv_data = (void *)s->derive->version };
	if ((rc = mdb_drop(t->txn, s->derived, 0))) {
		rc = store_mdb_fail(rc, err, s, "empty derived values");
	} else if ((rc = moved(t, err))) {
	} else if ((rc = store_scan(t, &f, rebuild_one, &rb, err)) == 0 &&
	           (rc = mdb_put(t->txn, s->meta, &k, &v, 0))) {
		rc = store_mdb_fail(rc, err, s, "write derived version");
	}
	if (rc) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, err);
}

int store_derived_settle(struct store *s, struct gl_error *err)
{
	char have[STORE_DERIVE_VERSION_MAX + 1];
	MDB_txn *txn;
	if (s->rdonly || !s->has_derived)
		return 0;
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return store_mdb_fail(rc, err, s, "begin");
	bool has = version_of(txn, s, have);
	mdb_txn_abort(txn);
	if (s->derive) {
		if (strlen(s->derive->version) > STORE_DERIVE_VERSION_MAX)
			return gl_errorf(err, GL_EINVAL, "derived values: a version of %zu bytes",
			                 strlen(s->derive->version));
		return has && !strcmp(have, s->derive->version) ? 0 : rebuild(s, err);
	}
	if (!has)
		return 0;
	/* writes without the deriver would leave the table out of step */
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)))
		return store_mdb_fail(rc, err, s, "begin");
	MDB_val k = { .mv_size = strlen(VERSION_KEY), .mv_data = VERSION_KEY };
	if ((rc = mdb_del(txn, s->meta, &k, NULL)) || (rc = mdb_txn_commit(txn))) {
		if (rc != MDB_SUCCESS)
			mdb_txn_abort(txn);
		return store_mdb_fail(rc, err, s, "forget derived version");
	}
	return 0;
}

int store_derived_scan(struct store_txn *t, store_derived_fn fn, void *ctx,
                       struct gl_error *err)
{
	struct store *s = t->s;
	MDB_cursor *c;
	MDB_val k, v;
	if (!s->has_derived)
		return 0;
	int rc = mdb_cursor_open(t->txn, s->derived, &c), out = 0;
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		store_map_work(s, 1);
		if (k.mv_size <= RECORD_KEY_LEN + 1 || k.mv_size > STORE_KEY_MAX) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged derived values", s->path);
			break;
		}
		if ((out = fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size)))
			break;
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	return rc == MDB_NOTFOUND ? 0 : store_mdb_fail(rc, err, s, "scan derived values");
}
