/*
 * events.c — the events index (events.h): start time || rkey, kept in step
 * by the hooks in index.c, and the scan over it.
 */
#include "events.h"

#include <string.h>

#include "clock.h"
#include "mp.h"
#include "store_int.h"

#define START_TEXT_MAX 64 /* a datetime is 25 bytes (common.json) */

/* Skip one value of a body that record_parse() has already checked. */
static int skip_value(struct mp_reader *rd)
{
	uint32_t values = 0;
	/* values of the body map sit at depth 2 (the payload array is 1) */
	return mp_check_value(rd, &record_body_limits, 2, &values, NULL);
}

/*
 * Position rd on the value of key in the body map; 0 if found,
 * GL_ENOTFOUND if absent, another code if the body is malformed.
 */
static int body_field(const uint8_t *body, size_t len, const char *key, struct mp_reader *rd)
{
	uint32_t n;
	size_t klen = strlen(key);
	mp_reader_init(rd, body, len);
	int rc = mp_read_map(rd, &n, NULL);
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const uint8_t *k;
		uint32_t kl;
		if ((rc = mp_read_str(rd, &k, &kl, NULL)))
			break;
		if (kl == klen && memcmp(k, key, klen) == 0)
			return 0;
		rc = skip_value(rd);
	}
	return rc ? rc : GL_ENOTFOUND;
}

/* The string value of key, or false if absent or not a string. */
static bool body_str(const uint8_t *body, size_t len, const char *key, const uint8_t **s,
                     uint32_t *slen)
{
	struct mp_reader rd;
	return body_field(body, len, key, &rd) == 0 && mp_read_str(&rd, s, slen, NULL) == 0;
}

/* The event's start as an instant; false if it has none we can index. */
static bool body_start(const uint8_t *body, size_t len, int64_t *start)
{
	const uint8_t *s;
	uint32_t sl;
	char text[START_TEXT_MAX];
	if (!body || !body_str(body, len, "start", &s, &sl) || sl >= sizeof text)
		return false;
	memcpy(text, s, sl);
	text[sl] = '\0';
	return clock_parse(text, start) == 0 && *start >= 0;
}

/* True if the array field has no entry or lists want (NULL: anything). */
static bool body_lists(const uint8_t *body, size_t len, const char *field, const char *want)
{
	struct mp_reader rd;
	uint32_t n;
	if (!want || body_field(body, len, field, &rd) != 0 || mp_read_array(&rd, &n, NULL) != 0)
		return true;
	if (n == 0)
		return true;
	size_t wl = strlen(want);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *s;
		uint32_t sl;
		if (mp_read_str(&rd, &s, &sl, NULL) != 0)
			return false;
		if (sl == wl && memcmp(s, want, wl) == 0)
			return true;
	}
	return false;
}

static bool body_cancelled(const uint8_t *body, size_t len)
{
	const uint8_t *s;
	uint32_t sl;
	return body_str(body, len, "status", &s, &sl) && sl == 9 && memcmp(s, "cancelled", 9) == 0;
}

/* Fill key with start || rkey; returns its length, 0 if rkey is too long. */
static size_t make_key(uint8_t key[8 + RKEY_MAX], int64_t start, const uint8_t *rkey,
                       size_t rlen)
{
	if (rlen > RKEY_MAX)
		return 0;
	store_put_be64(key, (uint64_t)start);
	memcpy(key + 8, rkey, rlen);
	return 8 + rlen;
}

int events_index_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                     const struct record *r, struct gl_error *err)
{
	int64_t start;
	uint8_t key[8 + RKEY_MAX];
	if (!body_start(r->body, r->body_len, &start))
		return 0;
	size_t kl = make_key(key, start, rkey, rlen);
	if (!kl)
		return gl_errorf(err, GL_ESTORE, "%s: record key too long for the events index",
		                 t->s->path);
	MDB_val k = { .mv_size = kl, .mv_data = key }, v = { 0, "" };
	int rc = mdb_put(t->txn, t->s->events, &k, &v, 0);
	return rc ? store_mdb_fail(rc, err, t->s, "write events index") : 0;
}

int events_index_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        const struct record *r, struct gl_error *err)
{
	int64_t start;
	uint8_t key[8 + RKEY_MAX];
	if (!body_start(r->body, r->body_len, &start))
		return 0;
	size_t kl = make_key(key, start, rkey, rlen);
	if (!kl)
		return 0; /* never indexed */
	MDB_val k = { .mv_size = kl, .mv_data = key };
	int rc = mdb_del(t->txn, t->s->events, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, t->s, "delete from events index");
	return 0;
}

/*
 * The record an index entry names, as a store_entry (the layout of
 * store.h; store.c's entry_from does the same for its own lookups).
 */
static int entry_by_rkey(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                         struct store_entry *e, struct gl_error *err)
{
	struct store *s = t->s;
	MDB_val k = { .mv_size = rlen, .mv_data = (void *)rkey }, v;
	int rc = mdb_get(t->txn, s->records, &k, &v);
	if (rc == MDB_NOTFOUND)
		return gl_errorf(err, GL_ESTORE, "%s: events index out of step", s->path);
	if (rc)
		return store_mdb_fail(rc, err, s, "read record");
	const uint8_t *vp = v.mv_data;
	if (rlen <= RECORD_KEY_LEN + 1 || v.mv_size <= VAL_HDR || vp[0] != 1 ||
	    (vp[1] & FLAG_TOMBSTONE) || rkey[RECORD_KEY_LEN] != RK_EVENT)
		return gl_errorf(err, GL_ESTORE, "%s: events index out of step", s->path);
	*e = (struct store_entry){
		.author = rkey,
		.kind = RK_EVENT,
		.id = (const char *)rkey + RECORD_KEY_LEN + 1,
		.id_len = rlen - RECORD_KEY_LEN - 1,
		.version = store_get_le64(vp + 8),
		.issued = store_get_le64(vp + 16),
		.expires = store_get_le64(vp + 24),
		.cid = vp + 32,
		.tombstone = false,
		.env = vp + VAL_HDR,
		.env_len = v.mv_size - VAL_HDR,
	};
	return 0;
}

static bool matches(const struct events_filter *f, const struct record *r)
{
	if (!f->include_cancelled && body_cancelled(r->body, r->body_len))
		return false;
	return body_lists(r->body, r->body_len, "sectors", f->sector) &&
	       body_lists(r->body, r->body_len, "phases", f->phase);
}

/* Look up one index entry's record and hand it to fn if it matches. */
static int visit(struct store_txn *t, const MDB_val *k, const struct events_filter *f,
                 events_visit_fn fn, void *ctx, struct gl_error *err)
{
	struct store_entry e;
	struct record r;
	const uint8_t *kp = k->mv_data;
	int rc = entry_by_rkey(t, kp + 8, k->mv_size - 8, &e, err);
	if (rc)
		return rc;
	if (record_parse(e.env, e.env_len, &r, NULL) != 0 || !r.body)
		return gl_errorf(err, GL_ESTORE, "%s: a held record does not parse", t->s->path);
	if (!matches(f, &r))
		return 0;
	return fn(ctx, &e, (int64_t)store_get_be64(kp));
}

int events_scan(struct store_txn *t, const struct events_filter *f, events_visit_fn fn,
                void *ctx, struct gl_error *err)
{
	if (!t || !f || !fn)
		return gl_errorf(err, GL_EINVAL, "events_scan: no transaction, filter or visitor");
	struct store *s = t->s;
	uint8_t from[8];
	store_put_be64(from, (uint64_t)(f->from < 0 ? 0 : f->from));
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, s->events, &c);
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	MDB_val k = { .mv_size = sizeof from, .mv_data = from }, v;
	int out = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		store_map_work(s, 1);
		if (k.mv_size <= 8 + RECORD_KEY_LEN + 1 || k.mv_size > 8 + RKEY_MAX) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged events index", s->path);
			break;
		}
		uint64_t start = store_get_be64(k.mv_data);
		if (start > INT64_MAX || (int64_t)start >= f->to)
			break;
		if ((out = visit(t, &k, f, fn, ctx, err)))
			break;
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, s, "scan events index");
	return 0;
}

int events_index_count(struct store_txn *t, uint64_t *out, struct gl_error *err)
{
	MDB_stat st;
	int rc = mdb_stat(t->txn, t->s->events, &st);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "stat events index");
	*out = st.ms_entries;
	return 0;
}
