/*
 * eventindex.c — the events index (eventindex.h): start time || rkey, kept
 * in step by the hooks in index.c, and the walk over it.
 */
#include "store/eventindex.h"

#include <string.h>

#include "proto/body.h"
#include "proto/clock.h"
#include "store/store_int.h"

#define START_TEXT_MAX 64 /* a datetime is 25 bytes (common.json) */

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

/*
 * The index key of event r at rkey (rlen bytes), start || rkey, into key:
 * its length, or 0 if r is not indexed, for want of a start (*too_long
 * false) or because rkey is too long (*too_long true).
 */
static size_t index_key(const struct record *r, const uint8_t *rkey, size_t rlen,
                        uint8_t key[8 + RKEY_MAX], bool *too_long)
{
	int64_t start;
	*too_long = false;
	if (!body_start(r->body, r->body_len, &start))
		return 0;
	*too_long = rlen > RKEY_MAX;
	if (*too_long)
		return 0;
	store_put_be64(key, (uint64_t)start);
	memcpy(key + 8, rkey, rlen);
	return 8 + rlen;
}

/* Put (add) or delete the entry of event r; a missing one is not an error. */
static int index_entry(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                       const struct record *r, bool add, struct gl_error *err)
{
	uint8_t key[8 + RKEY_MAX];
	bool too_long;
	size_t kl = index_key(r, rkey, rlen, key, &too_long);
	if (!kl) /* never indexed */
		return too_long && add ? gl_errorf(err, GL_ESTORE, "%s: record key too long for the "
		                                   "events index", t->s->path)
		                       : 0;
	MDB_val k = { .mv_size = kl, .mv_data = key }, v = { 0, "" };
	int rc = add ? mdb_put(t->txn, t->s->events, &k, &v, 0) : mdb_del(t->txn, t->s->events, &k, NULL);
	if (rc && (add || rc != MDB_NOTFOUND))
		return store_mdb_fail(rc, err, t->s, add ? "write events index"
		                                         : "delete from events index");
	return 0;
}

int eventindex_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                   const struct record *r, struct gl_error *err)
{
	return index_entry(t, rkey, rlen, r, true, err);
}

int eventindex_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                      const struct record *r, struct gl_error *err)
{
	return index_entry(t, rkey, rlen, r, false, err);
}

int eventindex_walk(struct store_txn *t, int64_t from, int64_t to, eventindex_fn fn,
                    void *ctx, struct gl_error *err)
{
	struct store *s = t->s;
	uint8_t first[8];
	store_put_be64(first, (uint64_t)(from < 0 ? 0 : from));
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, s->events, &c);
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	MDB_val k = { .mv_size = sizeof first, .mv_data = first }, v;
	int out = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		store_map_work(s, 1);
		if (k.mv_size <= 8 + RECORD_KEY_LEN + 1 || k.mv_size > 8 + RKEY_MAX) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged events index", s->path);
			break;
		}
		const uint8_t *kp = k.mv_data;
		uint64_t start = store_get_be64(kp);
		if (start > INT64_MAX || (int64_t)start >= to)
			break;
		if ((out = fn(ctx, kp + 8, k.mv_size - 8, (int64_t)start)))
			break;
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, s, "scan events index");
	return 0;
}

int eventindex_count(struct store_txn *t, uint64_t *out, struct gl_error *err)
{
	MDB_stat st;
	int rc = mdb_stat(t->txn, t->s->events, &st);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "stat events index");
	*out = st.ms_entries;
	return 0;
}
