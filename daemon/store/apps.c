/* Applications: partner records of keys nobody endorsed yet (store.h). */
#include <string.h>

#include "store/store_int.h"

static int apps_bytes(struct store_txn *t, uint64_t *bytes)
{
	const void *v;
	size_t len;
	*bytes = 0;
	if (store_meta_get(t, "apps_bytes", &v, &len) == 0 && len == 8)
		*bytes = store_get_le64(v);
	return 0;
}

static int apps_set_bytes(struct store_txn *t, uint64_t bytes, struct gl_error *err)
{
	uint8_t b[8];
	store_put_le64(b, bytes);
	return store_meta_put(t, "apps_bytes", b, 8, err);
}

int store_app_del(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], struct gl_error *err)
{
	struct store *s = t->s;
	MDB_val k = { .mv_size = RECORD_KEY_LEN, .mv_data = (void *)author }, v;
	int rc = mdb_get(t->txn, s->apps, &k, &v);
	if (rc == MDB_NOTFOUND)
		return GL_ENOTFOUND;
	if (rc || v.mv_size < 8)
		return rc ? store_mdb_fail(rc, err, s, "read application")
		          : gl_errorf(err, GL_ESTORE, "%s: damaged application", s->path);
	uint8_t tk[8 + RECORD_KEY_LEN];
	memcpy(tk, v.mv_data, 8); /* received_ms, stored little-endian */
	uint64_t ms = store_get_le64(tk), bytes;
	size_t len = v.mv_size - 8;
	store_put_be64(tk, ms);
	memcpy(tk + 8, author, RECORD_KEY_LEN);
	MDB_val tkv = { .mv_size = sizeof tk, .mv_data = tk };
	if ((rc = mdb_del(t->txn, s->apps, &k, NULL)) ||
	    ((rc = mdb_del(t->txn, s->appstime, &tkv, NULL)) && rc != MDB_NOTFOUND))
		return store_mdb_fail(rc, err, s, "delete application");
	apps_bytes(t, &bytes);
	return apps_set_bytes(t, bytes > len ? bytes - len : 0, err);
}

int store_app_put(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], uint64_t received_ms,
                  const uint8_t *env, size_t len, struct gl_error *err)
{
	struct store *s = t->s;
	int rc = store_app_del(t, author, err);
	if (rc && rc != GL_ENOTFOUND)
		return rc;
	uint64_t bytes;
	apps_bytes(t, &bytes);
	/* drop the oldest until the new one fits both bounds */
	for (;;) {
		MDB_stat st;
		if ((rc = mdb_stat(t->txn, s->apps, &st)))
			return store_mdb_fail(rc, err, s, "stat applications");
		if (st.ms_entries < STORE_APPS_MAX && bytes + len <= STORE_APPS_BYTES)
			break;
		MDB_cursor *c;
		MDB_val k, v;
		if ((rc = mdb_cursor_open(t->txn, s->appstime, &c)))
			return store_mdb_fail(rc, err, s, "cursor");
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		uint8_t oldest[RECORD_KEY_LEN];
		if (rc == 0 && k.mv_size == 8 + RECORD_KEY_LEN)
			memcpy(oldest, (uint8_t *)k.mv_data + 8, RECORD_KEY_LEN);
		mdb_cursor_close(c);
		if (rc)
			return rc == MDB_NOTFOUND ? gl_errorf(err, GL_ESTORE, "%s: application index out of step", s->path)
			                          : store_mdb_fail(rc, err, s, "read applications");
		if ((rc = store_app_del(t, oldest, err)))
			return rc;
		apps_bytes(t, &bytes);
	}
	MDB_val k = { .mv_size = RECORD_KEY_LEN, .mv_data = (void *)author };
	MDB_val v = { .mv_size = 8 + len };
	if ((rc = mdb_put(t->txn, s->apps, &k, &v, MDB_RESERVE)))
		return store_mdb_fail(rc, err, s, "write application");
	store_put_le64(v.mv_data, received_ms);
	memcpy((uint8_t *)v.mv_data + 8, env, len);
	uint8_t tk[8 + RECORD_KEY_LEN];
	store_put_be64(tk, received_ms);
	memcpy(tk + 8, author, RECORD_KEY_LEN);
	MDB_val tkv = { .mv_size = sizeof tk, .mv_data = tk }, empty = { 0, "" };
	if ((rc = mdb_put(t->txn, s->appstime, &tkv, &empty, 0)))
		return store_mdb_fail(rc, err, s, "write application");
	return apps_set_bytes(t, bytes + len, err);
}

int store_app_get(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], struct store_app *out,
                  struct gl_error *err)
{
	struct store *s = t->s;
	MDB_val k = { .mv_size = RECORD_KEY_LEN, .mv_data = (void *)author }, v;
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, s->apps, &c);
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return GL_ENOTFOUND;
	if (rc || v.mv_size <= 8)
		return rc ? store_mdb_fail(rc, err, s, "read application")
		          : gl_errorf(err, GL_ESTORE, "%s: damaged application", s->path);
	out->author = k.mv_data;
	out->received_ms = store_get_le64(v.mv_data);
	out->env = (const uint8_t *)v.mv_data + 8;
	out->env_len = v.mv_size - 8;
	return 0;
}

int store_app_scan(struct store_txn *t, int (*fn)(void *ctx, const struct store_app *a), void *ctx,
                   struct gl_error *err)
{
	struct store *s = t->s;
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, s->appstime, &c);
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	MDB_val k, v;
	int out = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_LAST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
		if (k.mv_size != 8 + RECORD_KEY_LEN) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged application index", s->path);
			break;
		}
		struct store_app a;
		if ((out = store_app_get(t, (uint8_t *)k.mv_data + 8, &a, err)))
			break;
		if ((out = fn(ctx, &a)))
			break;
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	return rc && rc != MDB_NOTFOUND ? store_mdb_fail(rc, err, s, "scan applications") : 0;
}
