/*
 * derived.c — the table of derived values (derived.h): kept in step by the
 * index hooks (index.c), made again at a write open whose deriver is new.
 *
 * The table holds one key per author and kind, its values sorted
 * duplicates "id NUL value": an entry costs its id and value and a few
 * bytes, not the 33 bytes of author and kind again, so that a reader
 * walks half the pages.  Ids hold no NUL (record_id_valid), so the order
 * is the records' key order.
 */
#include "store/derived.h"

#include <stdint.h>
#include <string.h>

#include "store/store_int.h"

#define TABLE "derived-by-author"
#define VERSION_KEY "derived-by-author"
#define GENERATION_KEY "derived-generation"
#define PACKED_KEY "derived-packed"
/* The table and version of the layout before, one value per record key. */
#define OLD_TABLE "derived"
#define OLD_VERSION_KEY "derived"

/* The table's key of a record key: its author and kind. */
#define AUTHOR_KIND (RECORD_KEY_LEN + 1)

int store_derived_open(struct store *s, MDB_txn *txn, unsigned flags)
{
	int rc = mdb_dbi_open(txn, TABLE, flags | MDB_DUPSORT, &s->derived);
	s->has_derived = rc == 0;
	return rc == MDB_NOTFOUND ? 0 : rc; /* a read-only open of an older store */
}

/* Drop the table of the layout before and its version, so that no older
 * program reads it out of step. */
static int forget_old(struct store *s, struct gl_error *err)
{
	MDB_txn *txn;
	MDB_dbi old;
	MDB_val k = { .mv_size = strlen(OLD_VERSION_KEY), .mv_data = OLD_VERSION_KEY };
	int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc)
		return store_mdb_fail(rc, err, s, "begin");
	rc = mdb_dbi_open(txn, OLD_TABLE, 0, &old);
	if (rc == 0)
		rc = mdb_drop(txn, old, 1);
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = mdb_del(txn, s->meta, &k, NULL);
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	return rc ? store_mdb_fail(rc, err, s, "drop the older derived values") : 0;
}

/* Place c on the value of the record key (rlen bytes); false if none. */
static bool find(MDB_cursor *c, const uint8_t *rkey, size_t rlen)
{
	uint8_t idz[GL_ID_MAX + 1];
	size_t idn = rlen - AUTHOR_KIND;
	memcpy(idz, rkey + AUTHOR_KIND, idn);
	idz[idn] = '\0';
	MDB_val k = { .mv_size = AUTHOR_KIND, .mv_data = (void *)rkey };
	MDB_val d = { .mv_size = idn + 1, .mv_data = idz };
	return mdb_cursor_get(c, &k, &d, MDB_GET_BOTH_RANGE) == 0 && d.mv_size > idn &&
	       !memcmp(d.mv_data, idz, idn + 1);
}

/* Delete the value of the record key, then put val (none if len is 0). */
static int replace(struct store_txn *t, const uint8_t *rkey, size_t rlen, const uint8_t *val,
                   size_t len, struct gl_error *err)
{
	struct store *s = t->s;
	MDB_cursor *c;
	uint8_t data[GL_ID_MAX + 1 + STORE_DERIVE_VALUE_MAX];
	size_t idn = rlen - AUTHOR_KIND;
	if (rlen <= AUTHOR_KIND || idn > GL_ID_MAX)
		return gl_errorf(err, GL_EINVAL, "derived values: a key of %zu bytes", rlen);
	if (len > STORE_DERIVE_VALUE_MAX)
		return gl_errorf(err, GL_EINVAL, "derived values: a value of %zu bytes (at most %d)",
		                 len, STORE_DERIVE_VALUE_MAX);
	int rc = mdb_cursor_open(t->txn, s->derived, &c);
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	if (find(c, rkey, rlen))
		rc = mdb_cursor_del(c, 0);
	mdb_cursor_close(c);
	if (rc == 0 && len) {
		memcpy(data, rkey + AUTHOR_KIND, idn);
		data[idn] = '\0';
		memcpy(data + idn + 1, val, len);
		MDB_val k = { .mv_size = AUTHOR_KIND, .mv_data = (void *)rkey };
		MDB_val d = { .mv_size = idn + 1 + len, .mv_data = data };
		rc = mdb_put(t->txn, s->derived, &k, &d, 0);
	}
	return rc ? store_mdb_fail(rc, err, s, "write derived value") : 0;
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
	if (rc == 0)
		rc = replace(t, rkey, rlen, val.data, val.len, err);
	gl_buf_free(&val);
	return rc;
}

int store_derived_del(struct store_txn *t, const uint8_t *rkey, size_t rlen, int kind,
                      struct gl_error *err)
{
	const struct store_derive *d = t->s->derive;
	if (!d || kind != d->kind || !t->s->has_derived)
		return 0;
	int rc = moved(t, err);
	return rc ? rc : replace(t, rkey, rlen, NULL, 0, err);
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
	int rc = forget_old(s, err);
	if (rc)
		return rc;
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
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

/* ---- the packed copy ---------------------------------------------------------- */

/* Bytes of a packed group's head and of an entry's length. */
#define PACK_GROUP (AUTHOR_KIND + 4)
#define PACK_LEN 2

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

/* The packed copy in t, if it holds the table as it is now. */
static bool packed_of(struct store_txn *t, MDB_val *v)
{
	struct store *s = t->s;
	MDB_val k = { .mv_size = strlen(PACKED_KEY), .mv_data = PACKED_KEY };
	uint64_t gen;
	if (!s->has_derived || mdb_get(t->txn, s->meta, &k, v) || v->mv_size < sizeof gen)
		return false;
	memcpy(&gen, v->mv_data, sizeof gen);
	return gen == generation_of(t->txn, s) && gen != 0;
}

bool store_derived_packed(struct store_txn *t)
{
	MDB_val v;
	return packed_of(t, &v);
}

/* One entry of the table to fn (rkey's buffer given): the checks of a value
 * that store_derived_scan makes on the table's and the packed copy's alike. */
static int one(struct store *s, const uint8_t *key, const uint8_t *val, size_t len,
               uint8_t rkey[STORE_KEY_MAX], store_derived_fn fn, void *ctx, struct gl_error *err)
{
	const uint8_t *nul = len ? memchr(val, 0, len) : NULL;
	size_t idn = nul ? (size_t)(nul - val) : 0;
	if (!idn || idn > GL_ID_MAX)
		return gl_errorf(err, GL_ESTORE, "%s: damaged derived values", s->path);
	memcpy(rkey, key, AUTHOR_KIND);
	memcpy(rkey + AUTHOR_KIND, val, idn);
	return fn(ctx, rkey, AUTHOR_KIND + idn, nul + 1, len - idn - 1);
}

/* Walk the packed copy (layout in derived.h). */
static int scan_packed(struct store_txn *t, const MDB_val *v, store_derived_fn fn, void *ctx,
                       struct gl_error *err)
{
	struct store *s = t->s;
	const uint8_t *p = (const uint8_t *)v->mv_data + 8;
	const uint8_t *end = (const uint8_t *)v->mv_data + v->mv_size;
	uint8_t rkey[STORE_KEY_MAX];
	while (p < end) {
		if ((size_t)(end - p) < PACK_GROUP)
			return gl_errorf(err, GL_ESTORE, "%s: damaged packed derived values", s->path);
		const uint8_t *key = p;
		uint32_t n = get32(p + AUTHOR_KIND);
		p += PACK_GROUP;
		for (uint32_t i = 0; i < n; i++) {
			size_t len = end - p >= PACK_LEN ? (size_t)(p[0] | p[1] << 8) : SIZE_MAX;
			if (len == SIZE_MAX || (size_t)(end - p) - PACK_LEN < len)
				return gl_errorf(err, GL_ESTORE, "%s: damaged packed derived values",
				                 s->path);
			store_map_work(s, 1);
			int out = one(s, key, p + PACK_LEN, len, rkey, fn, ctx, err);
			if (out)
				return out;
			p += PACK_LEN + len;
		}
	}
	return 0;
}

/* The table's entries into out (NULL: only count the bytes into *size). */
static int pack_walk(struct store_txn *t, uint8_t *out, size_t *size, struct gl_error *err)
{
	struct store *s = t->s;
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(t->txn, s->derived, &c);
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	size_t at = 8;
	uint8_t *group = NULL; /* the head of the group being written */
	size_t count = 0, nd = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP)) {
		if (k.mv_size != AUTHOR_KIND || (rc = mdb_cursor_count(c, &nd)))
			break;
		if (out) {
			group = out + at;
			memcpy(group, k.mv_data, AUTHOR_KIND);
		}
		at += PACK_GROUP;
		for (count = 0; count < nd; count++) {
			if (count && (rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)))
				break;
			if (v.mv_size > UINT16_MAX)
				break;
			if (out) {
				out[at] = (uint8_t)v.mv_size;
				out[at + 1] = (uint8_t)(v.mv_size >> 8);
				memcpy(out + at + PACK_LEN, v.mv_data, v.mv_size);
			}
			at += PACK_LEN + v.mv_size;
		}
		if (rc || count != nd || nd > UINT32_MAX)
			break;
		if (out)
			put32(group + AUTHOR_KIND, (uint32_t)count);
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return rc ? store_mdb_fail(rc, err, s, "pack derived values")
		          : gl_errorf(err, GL_ESTORE, "%s: damaged derived values", s->path);
	if (!out)
		*size = at;
	else if (at != *size)
		return gl_errorf(err, GL_ESTORE, "%s: derived values changed while packed", s->path);
	return 0;
}

int store_derived_pack(struct store_txn *t, bool *wrote, struct gl_error *err)
{
	struct store *s = t->s;
	MDB_val have;
	*wrote = false;
	if (!s->has_derived || !store_derived_generation(t) || packed_of(t, &have))
		return 0;
	size_t size = 0;
	int rc = pack_walk(t, NULL, &size, err);
	if (rc)
		return rc;
	MDB_val k = { .mv_size = strlen(PACKED_KEY), .mv_data = PACKED_KEY };
	MDB_val v = { .mv_size = size, .mv_data = NULL };
	if ((rc = mdb_put(t->txn, s->meta, &k, &v, MDB_RESERVE)))
		return store_mdb_fail(rc, err, s, "write packed derived values");
	uint64_t gen = generation_of(t->txn, s);
	memcpy(v.mv_data, &gen, sizeof gen);
	if ((rc = pack_walk(t, v.mv_data, &size, err)))
		return rc;
	*wrote = true;
	return 0;
}

int store_derived_scan(struct store_txn *t, store_derived_fn fn, void *ctx,
                       struct gl_error *err)
{
	struct store *s = t->s;
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t rkey[STORE_KEY_MAX];
	if (!s->has_derived)
		return 0;
	if (packed_of(t, &v))
		return scan_packed(t, &v, fn, ctx, err);
	int rc = mdb_cursor_open(t->txn, s->derived, &c), out = 0;
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		store_map_work(s, 1);
		if (k.mv_size != AUTHOR_KIND) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged derived values", s->path);
			break;
		}
		if ((out = one(s, k.mv_data, v.mv_data, v.mv_size, rkey, fn, ctx, err)))
			break;
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	return rc == MDB_NOTFOUND ? 0 : store_mdb_fail(rc, err, s, "scan derived values");
}
