/*
 * eventindex.c — the events index (eventindex.h): start || rkey in two
 * sections, kept in step by the hooks in index.c, the walks over it, and
 * the move of recurring events into their section in a store written
 * before it existed.
 */
#include "store/eventindex.h"

#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/clock.h"
#include "store/store_int.h"

#define START_TEXT_MAX 64 /* a datetime is 25 bytes (common.json) */
/* The top bit of a key's start: set, the recurring section. */
#define RECURRING_BIT (UINT64_C(1) << 63)
/* meta "eventindex": the index's form; 2 has the recurring section. */
#define EVENTINDEX_META "eventindex"
#define EVENTINDEX_FORM 2

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

/* Whether the event recurs: its body has "recurrence", whatever it holds. */
static bool body_recurs(const uint8_t *body, size_t len)
{
	const uint8_t *v;
	size_t vl;
	return body && body_value(body, len, "recurrence", &v, &vl);
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
	uint64_t section = body_recurs(r->body, r->body_len) ? RECURRING_BIT : 0;
	store_put_be64(key, section | (uint64_t)start);
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

/* Walk one section (section: 0 or RECURRING_BIT) from start `from` to
 * start `to` (exclusive), handing fn the start without the section bit. */
static int walk(struct store_txn *t, uint64_t section, int64_t from, int64_t to,
                eventindex_fn fn, void *ctx, struct gl_error *err)
{
	struct store *s = t->s;
	uint8_t first[8];
	store_put_be64(first, section | (uint64_t)(from < 0 ? 0 : from));
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
		uint64_t key_start = store_get_be64(kp);
		if ((key_start & RECURRING_BIT) != section)
			break;
		int64_t start = (int64_t)(key_start & ~RECURRING_BIT);
		if (start >= to)
			break;
		if ((out = fn(ctx, kp + 8, k.mv_size - 8, start)))
			break;
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, s, "scan events index");
	return 0;
}

int eventindex_walk(struct store_txn *t, int64_t from, int64_t to, eventindex_fn fn,
                    void *ctx, struct gl_error *err)
{
	return walk(t, 0, from, to, fn, ctx, err);
}

int eventindex_walk_recurring(struct store_txn *t, int64_t before, eventindex_fn fn, void *ctx,
                              struct gl_error *err)
{
	return walk(t, RECURRING_BIT, 0, before, fn, ctx, err);
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

/* Collect the one-off entries whose record recurs: their keys, end to end
 * in *moves, each behind its length byte. */
static int find_misplaced(struct store_txn *t, struct gl_buf *moves)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->events, &c);
	if (rc)
		return rc;
	MDB_val k, v;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		if (k.mv_size < 8 || store_get_be64(kp) & RECURRING_BIT)
			break;
		struct store_entry e;
		struct record r;
		size_t rlen = k.mv_size - 8;
		if (rlen <= RECORD_KEY_LEN + 1 || rlen > RKEY_MAX ||
		    store_get(t, kp + 8, kp[8 + RECORD_KEY_LEN], (const char *)kp + 8 + RECORD_KEY_LEN + 1,
		              rlen - RECORD_KEY_LEN - 1, &e, NULL) != 0 ||
		    e.tombstone || record_parse(e.env, e.env_len, &r, NULL) != 0 ||
		    !body_recurs(r.body, r.body_len))
			continue; /* not ours to mend: a walk reports what is out of step */
		uint8_t n = (uint8_t)k.mv_size;
		gl_buf_append(moves, &n, 1);
		gl_buf_append(moves, k.mv_data, k.mv_size);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int eventindex_upgrade(struct store *s, MDB_txn *txn)
{
	struct store_txn t = { .s = s, .txn = txn, .write = true };
	MDB_val mk = { .mv_size = strlen(EVENTINDEX_META), .mv_data = EVENTINDEX_META }, mv;
	int rc = mdb_get(txn, s->meta, &mk, &mv);
	if (rc == 0 && mv.mv_size == 1 && *(const uint8_t *)mv.mv_data >= EVENTINDEX_FORM)
		return 0;
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	struct gl_buf moves = { 0 };
	rc = find_misplaced(&t, &moves);
	for (size_t at = 0; !rc && at < moves.len; at += 1 + moves.data[at]) {
		uint8_t key[8 + RKEY_MAX];
		MDB_val k = { .mv_size = moves.data[at], .mv_data = key }, v = { 0, "" };
		memcpy(key, moves.data + at + 1, k.mv_size);
		if ((rc = mdb_del(txn, s->events, &k, NULL)))
			break;
		store_put_be64(key, RECURRING_BIT | store_get_be64(key));
		rc = mdb_put(txn, s->events, &k, &v, 0);
	}
	gl_buf_free(&moves);
	uint8_t form = EVENTINDEX_FORM;
	mv = (MDB_val){ .mv_size = 1, .mv_data = &form };
	return rc ? rc : mdb_put(txn, s->meta, &mk, &mv, 0);
}
