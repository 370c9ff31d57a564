/*
 * store.c — the LMDB environment of one node (store.h): opening it, its
 * layout, transactions, meta values and statistics, and the one place
 * LMDB's codes become ours.  The records table is records.c's; the
 * bound on mapped memory map.c's; the rebuild at open reindex.c's.
 */
#include "store/store.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "proto/alloc.h"
#include "proto/bounds.h"
#include "store/paths.h"
#include "store/textindex.h"
#include "store/store_int.h"

/* Below this much room (bytes), a failed write is taken for a full disk. */
#define STORE_DISK_LOW (1u << 20)

/*
 * A write that failed with ENOSPC, or with EIO when the disk is (nearly)
 * full: LMDB reports a short write as EIO, which is what a full disk
 * gives.  Then say so, with the directory and the room left, not "I/O
 * error" (issue 24).  Returns 0 if the disk is not the cause.
 */
static int disk_full(const struct store *s, int rc, struct gl_error *err, const char *what)
{
	struct statvfs fs;
	if ((rc != ENOSPC && rc != EIO) || statvfs(s->path, &fs) != 0)
		return 0;
	/* root may write into the blocks reserved for it */
	uint64_t avail = (uint64_t)(geteuid() == 0 ? fs.f_bfree : fs.f_bavail) * fs.f_frsize;
	if (rc == EIO && avail >= STORE_DISK_LOW)
		return 0;
	/* what to free: an eighth of the store, at least 16 MiB, as it grows
	 * by whole batches and LMDB keeps old pages until readers let go */
	MDB_envinfo info;
	MDB_stat st;
	uint64_t used = 0;
	if (mdb_env_info(s->env, &info) == 0 && mdb_env_stat(s->env, &st) == 0)
		used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	uint64_t need = used / 8 > (16u << 20) ? used / 8 : 16u << 20;
	return gl_errorf(err, GL_ENOSPC,
	                 "%s: %s: no space left on device: the file system holding %s has %llu KiB "
	                 "free and the store uses %.1f MiB; free at least %llu MiB there, or move "
	                 "the data directory to a larger disk", s->path, what, s->path,
	                 (unsigned long long)(avail >> 10), (double)used / (1 << 20),
	                 (unsigned long long)(need >> 20));
}

/* The one place LMDB's codes become ours. */
int store_mdb_fail(int rc, struct gl_error *err, const struct store *s, const char *what)
{
	const char *path = s ? s->path : "store";
	int full = s && s->env ? disk_full(s, rc, err, what) : 0;
	if (full)
		return full;
	switch (rc) {
	case MDB_NOTFOUND:
		return gl_errorf(err, GL_ENOTFOUND, "%s: %s: not found", path, what);
	case MDB_MAP_FULL:
		return gl_errorf(err, GL_ENOSPC,
		                 "%s: %s: the store is full; raise [store] map_size in the "
		                 "configuration", path, what);
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INCOMPATIBLE:
		return gl_errorf(err, GL_ESTORE, "%s: %s: %s", path, what, mdb_strerror(rc));
	case EACCES:
	case EPERM:
		return gl_errorf(err, GL_EPERM, "%s: %s: permission denied", path, what);
	case ENOENT:
		return gl_errorf(err, GL_ENOTFOUND, "%s: %s: no store there", path, what);
	case EAGAIN:
		return gl_errorf(err, GL_EBUSY, "%s: %s: the store is locked", path, what);
	default:
		return gl_errorf(err, GL_EIO, "%s: %s: %s", path, what, mdb_strerror(rc));
	}
}

const char *store_path(const struct store *s)
{
	return s->path;
}

struct store *store_of(const struct store_txn *t)
{
	return t->s;
}

uint64_t store_txn_snapshot(const struct store_txn *t)
{
	return t->write ? 0 : (uint64_t)mdb_txn_id(t->txn);
}

/* The layout a store says it has, or (*found false) none yet. */
static int read_layout(struct store *s, MDB_txn *txn, bool *found, unsigned *layout,
                       struct gl_error *err)
{
	MDB_val k = { .mv_size = 6, .mv_data = "layout" }, v;
	int rc = mdb_get(txn, s->meta, &k, &v);
	*found = rc == 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_mdb_fail(rc, err, s, "read layout");
	unsigned got = v.mv_size == 1 ? *(uint8_t *)v.mv_data : 0;
	if (got < STORE_LAYOUT_OLDEST || got > STORE_LAYOUT)
		return gl_errorf(err, GL_ESTORE, "%s: store layout %u, this gilde reads layouts %u "
		                 "to %u", s->path, got, STORE_LAYOUT_OLDEST, STORE_LAYOUT);
	*layout = got;
	return 0;
}

static int write_layout(struct store *s, MDB_txn *txn, struct gl_error *err)
{
	uint8_t layout = STORE_LAYOUT;
	MDB_val k = { .mv_size = 6, .mv_data = "layout" }, v = { .mv_size = 1, .mv_data = &layout };
	int rc = mdb_put(txn, s->meta, &k, &v, 0);
	return rc ? store_mdb_fail(rc, err, s, "write layout") : 0;
}

/* A new store's index is empty, and so made by this build's rules. */
static int write_rules(struct store *s, MDB_txn *txn, struct gl_error *err)
{
	uint8_t rules[TEXTINDEX_RULES_LEN];
	textindex_rules(rules);
	MDB_val k = { .mv_size = strlen(TEXTINDEX_RULES_KEY), .mv_data = TEXTINDEX_RULES_KEY };
	MDB_val v = { .mv_size = sizeof rules, .mv_data = rules };
	int rc = mdb_put(txn, s->meta, &k, &v, 0);
	return rc ? store_mdb_fail(rc, err, s, "write search rules") : 0;
}

static int open_dbs(struct store *s, struct gl_error *err)
{
	MDB_txn *txn;
	unsigned flags = s->rdonly ? 0 : MDB_CREATE, layout = STORE_LAYOUT;
	bool found = false;
	int rc = mdb_txn_begin(s->env, NULL, s->rdonly ? MDB_RDONLY : 0, &txn);
	if (rc)
		return store_mdb_fail(rc, err, s, "begin");
	if ((rc = mdb_dbi_open(txn, "records", flags, &s->records)) ||
	    (rc = mdb_dbi_open(txn, "kinds", flags, &s->kinds)) ||
	    (rc = mdb_dbi_open(txn, "items", flags, &s->items)) ||
	    (rc = mdb_dbi_open(txn, "expiry", flags, &s->expiry)) ||
	    (rc = mdb_dbi_open(txn, "meta", flags, &s->meta)) ||
	    (rc = mdb_dbi_open(txn, "apps", flags, &s->apps)) ||
	    (rc = mdb_dbi_open(txn, "appstime", flags, &s->appstime))) {
		mdb_txn_abort(txn);
		if (rc == MDB_NOTFOUND)
			return gl_errorf(err, GL_ENOTFOUND,
			                 "%s: not a gilde store (or never started); start gilded "
			                 "with this data directory first", s->path);
		return store_mdb_fail(rc, err, s, "open databases");
	}
	if ((rc = read_layout(s, txn, &found, &layout, err)))
		goto fail;
	if (!found && s->rdonly) {
		rc = gl_errorf(err, GL_ENOTFOUND, "%s: not a gilde store", s->path);
		goto fail;
	}
	if (!found && (rc = write_rules(s, txn, err)))
		goto fail;
	/* a layout 2 store lacks fresh; created empty, every item is settled, as
	 * the invariant wants.  Only a read-only open goes without. */
	rc = mdb_dbi_open(txn, "fresh", flags, &s->fresh);
	s->has_fresh = rc == 0;
	if ((rc && rc != MDB_NOTFOUND) || (rc = store_index_open(s, txn, flags, layout)) ||
	    (rc = store_derived_open(s, txn, flags))) {
		rc = store_mdb_fail(rc, err, s, "open databases");
		goto fail;
	}
	/* a store being reindexed says its new layout once the index is rebuilt;
	 * one of layout 4 has its queue now (store_index_open) */
	if ((!found || (layout == 4 && !s->rdonly && !s->reindex)) &&
	    (rc = write_layout(s, txn, err)))
		goto fail;
	if ((rc = mdb_txn_commit(txn)))
		return store_mdb_fail(rc, err, s, "commit");
	return 0;
fail:
	mdb_txn_abort(txn);
	return rc;
}

const char *store_data_file(const char *dir, char out[STORE_DATA_FILE_MAX])
{
	snprintf(out, STORE_DATA_FILE_MAX, "%s/data.mdb", dir);
	return out;
}

int store_open(const char *dir, unsigned flags, uint64_t map_size,
               struct store **out, struct gl_error *err)
{
	struct store_options o = { .flags = flags, .map_size = map_size };
	return store_open_with(dir, &o, out, err);
}

int store_open_with(const char *dir, const struct store_options *o, struct store **out,
                    struct gl_error *err)
{
	unsigned flags = o->flags;
	uint64_t map_size = o->map_size;
	struct store *s = gl_xcalloc(1, sizeof *s);
	s->rdonly = flags & STORE_RDONLY;
	s->force_reindex = !s->rdonly && (flags & STORE_REINDEX);
	s->mapped_max = o->mapped_max; /* a rebuild at open is bounded too */
	s->derive = s->rdonly ? NULL : o->derive;
	s->path = gl_xstrdup(dir);
	int rc;
	if (s->rdonly) {
		struct stat st;
		char data[STORE_DATA_FILE_MAX];
		if (stat(store_data_file(dir, data), &st) != 0) {
			rc = gl_errorf(err, GL_ENOTFOUND,
			               "%s: no store here; start gilded with this data directory "
			               "first, or pass --data", dir);
			goto fail;
		}
	} else if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = gl_errorf(err, errno == EACCES ? GL_EPERM : GL_EIO, "%s: cannot create: %s",
		               dir, strerror(errno));
		goto fail;
	}
	if ((rc = mdb_env_create(&s->env))) {
		rc = store_mdb_fail(rc, err, s, "create environment");
		goto fail;
	}
	mdb_env_set_maxdbs(s->env, 24);
	/* A reader given no size takes the one the store's writer set (LMDB
	 * keeps it in the meta page): gilde reports the real bound, not ours. */
	if (map_size || !s->rdonly)
		mdb_env_set_mapsize(s->env, map_size ? map_size : STORE_DEFAULT_MAP_SIZE);
	/* NOTLS: read transactions may move between the loop and pool threads. */
	rc = mdb_env_open(s->env, dir, MDB_NOTLS | (s->rdonly ? MDB_RDONLY : 0), 0600);
	if (rc) {
		rc = store_mdb_fail(rc, err, s, "open");
		goto fail;
	}
	if ((rc = open_dbs(s, err)) || (s->reindex && (rc = store_reindex(s, err))) ||
	    (rc = store_derived_settle(s, err)))
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->env)
		mdb_env_close(s->env);
	free(s->path);
	free(s);
}

static struct store_txn *wrap_txn(struct store *s, MDB_txn *txn, bool write)
{
	struct store_txn *t = gl_xmalloc(sizeof *t);
	t->s = s;
	t->txn = txn;
	t->write = write;
	t->run = 0;
	t->pend = NULL;
	t->parent = NULL;
	t->log = NULL;
	t->nlog = t->caplog = 0;
	t->derived_moved = false;
	return t;
}

void store_set_items_hook(struct store *s, store_items_hook fn, void *ctx)
{
	s->items_hook_ctx = ctx;
	s->items_hook = fn;
}

uint64_t store_txn_id(const struct store_txn *t)
{
	const struct store_txn *top = t;
	while (top->parent)
		top = top->parent;
	return (uint64_t)mdb_txn_id(top->txn);
}

static void txn_free(struct store_txn *t)
{
	free(t->log);
	free(t);
}

int store_begin(struct store *s, bool write, struct store_txn **out, struct gl_error *err)
{
	if (write && s->rdonly)
		return gl_errorf(err, GL_EINVAL, "%s: opened read-only", s->path);
	MDB_txn *txn;
	int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &txn);
	if (rc == MDB_MAP_RESIZED) {
		/* the writer grew the map: adopt the new size and retry once */
		mdb_env_set_mapsize(s->env, 0);
		rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &txn);
	}
	if (rc)
		return store_mdb_fail(rc, err, s, "begin transaction");
	*out = wrap_txn(s, txn, write);
	if (write)
		store_map_writing(true); /* the writer's checks of the bound are strict */
	return 0;
}

int store_begin_child(struct store_txn *parent, struct store_txn **out, struct gl_error *err)
{
	struct store *s = parent->s;
	if (!parent->write)
		return gl_errorf(err, GL_EINVAL, "%s: a read transaction has no children", s->path);
	/* the parent's waiting postings first, so that the child finds them */
	int rc = textindex_flush(parent, err);
	if (rc)
		return rc;
	/* the children of one transaction put their items in its run */
	uint32_t run;
	rc = store_items_run(parent, &run);
	if (rc)
		return store_mdb_fail(rc, err, s, "find the run of fresh items");
	MDB_txn *txn;
	if ((rc = mdb_txn_begin(s->env, parent->txn, 0, &txn)))
		return store_mdb_fail(rc, err, s, "begin nested transaction");
	*out = wrap_txn(s, txn, true);
	(*out)->run = run;
	(*out)->parent = parent;
	return 0;
}

int store_commit(struct store_txn *t, struct gl_error *err)
{
	struct store *s = t->s;
	bool top_write = t->write && !t->parent;
	int rc = textindex_flush(t, err);
	textindex_pending_free(t);
	if (rc) {
		mdb_txn_abort(t->txn);
		txn_free(t);
		if (top_write)
			store_map_writing(false);
		return rc;
	}
	rc = mdb_txn_commit(t->txn);
	if (rc == 0 && t->parent) {
		/* the child's changes are its parent's now */
		for (size_t i = 0; i < t->nlog; i++)
			store_items_logged(t->parent, t->log[i].item, t->log[i].sign);
	} else if (rc == 0 && t->write && s->items_hook) {
		/* the id readers see now (a commit that wrote nothing keeps the
		 * last one); this thread is the only writer */
		MDB_envinfo info;
		mdb_env_info(s->env, &info);
		s->items_hook(s->items_hook_ctx, (uint64_t)info.me_last_txnid, t->log, t->nlog);
	}
	txn_free(t);
	if (top_write)
		store_map_writing(false);
	return rc ? store_mdb_fail(rc, err, s, "commit") : 0;
}

void store_abort(struct store_txn *t)
{
	if (!t)
		return;
	bool top_write = t->write && !t->parent;
	textindex_pending_free(t);
	mdb_txn_abort(t->txn);
	txn_free(t);
	if (top_write)
		store_map_writing(false);
}

int store_meta_get(struct store_txn *t, const char *name, const void **val, size_t *len)
{
	MDB_val k = { .mv_size = strlen(name), .mv_data = (void *)name }, v;
	int rc = mdb_get(t->txn, t->s->meta, &k, &v);
	if (rc)
		return rc == MDB_NOTFOUND ? GL_ENOTFOUND : store_mdb_fail(rc, NULL, t->s, "meta");
	*val = v.mv_data;
	*len = v.mv_size;
	return 0;
}

int store_meta_put(struct store_txn *t, const char *name, const void *val, size_t len,
                   struct gl_error *err)
{
	MDB_val k = { .mv_size = strlen(name), .mv_data = (void *)name };
	MDB_val v = { .mv_size = len, .mv_data = (void *)val };
	int rc = mdb_put(t->txn, t->s->meta, &k, &v, 0);
	return rc ? store_mdb_fail(rc, err, t->s, "write meta") : 0;
}

static int count_live(void *ctx, const struct store_entry *e)
{
	struct store_stats *st = ctx;
	if (e->tombstone) {
		st->tombstones++;
	} else {
		st->live[e->kind]++;
		st->live_total++;
	}
	return 0;
}

/* Live records by kind from the kinds index: its keys, not the records. */
static int count_kinds(struct store_txn *t, struct store_stats *st, struct gl_error *err)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->kinds, &c);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "cursor");
	MDB_val k, v;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		store_map_work(t->s, 1);
		int kind = k.mv_size ? ((const uint8_t *)k.mv_data)[0] : 0;
		if (kind >= RK_FIRST && kind <= RK_LAST)
			st->live[kind]++;
		st->live_total++;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : store_mdb_fail(rc, err, t->s, "count live records");
}

int store_stats(struct store_txn *t, enum store_count how, struct store_stats *out,
                struct gl_error *err)
{
	struct store_stats st = { 0 };
	struct store_filter f = { .tombstones = true };
	int rc = how == STORE_COUNT_READ ? store_scan(t, &f, count_live, &st, err)
	                                 : count_kinds(t, &st, err);
	if (rc)
		return rc;
	MDB_envinfo info;
	MDB_stat ms;
	mdb_env_info(t->s->env, &info);
	if ((rc = mdb_stat(t->txn, t->s->records, &ms)))
		return store_mdb_fail(rc, err, t->s, "stat");
	st.n_records = ms.ms_entries;
	MDB_stat o;
	if ((rc = mdb_stat(t->txn, t->s->kinds, &o)))
		return store_mdb_fail(rc, err, t->s, "stat");
	st.n_kinds = o.ms_entries;
	if ((rc = mdb_stat(t->txn, t->s->items, &o)))
		return store_mdb_fail(rc, err, t->s, "stat");
	st.n_items = o.ms_entries;
	if (t->s->has_fresh) {
		if ((rc = mdb_stat(t->txn, t->s->fresh, &o)))
			return store_mdb_fail(rc, err, t->s, "stat");
		st.n_fresh = o.ms_entries;
		st.n_items += o.ms_entries;
	}
	if ((rc = mdb_stat(t->txn, t->s->expiry, &o)))
		return store_mdb_fail(rc, err, t->s, "stat");
	st.n_expiry = o.ms_entries;
	if (how != STORE_COUNT_READ) /* every record not in kinds is a tombstone */
		st.tombstones = st.n_records > st.live_total ? st.n_records - st.live_total : 0;
	st.map_size = info.me_mapsize;
	st.page_size = ms.ms_psize;
	st.used = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
	st.depth = ms.ms_depth;
	st.facts_packed = store_derived_packed(t);
	if ((rc = textindex_behind(t, &st.text_behind, err)))
		return rc;
	*out = st;
	return 0;
}
