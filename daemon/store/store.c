#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "proto/alloc.h"
#include "proto/bounds.h"
#include "store/paths.h"
#include "store/textindex.h"
#include "store/store_int.h"

/* The one place LMDB's codes become ours. */
int store_mdb_fail(int rc, struct gl_error *err, const struct store *s, const char *what)
{
	const char *path = s ? s->path : "store";
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

static size_t make_rkey(uint8_t *k, const uint8_t *author, int kind, const char *id,
                        size_t id_len)
{
	memcpy(k, author, RECORD_KEY_LEN);
	k[RECORD_KEY_LEN] = (uint8_t)kind;
	memcpy(k + RECORD_KEY_LEN + 1, id, id_len);
	return RECORD_KEY_LEN + 1 + id_len;
}

const char *store_path(const struct store *s)
{
	return s->path;
}

struct store *store_of(const struct store_txn *t)
{
	return t->s;
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
	/* a layout 2 store lacks fresh; created empty, every item is settled, as
	 * the invariant wants.  Only a read-only open goes without. */
	rc = mdb_dbi_open(txn, "fresh", flags, &s->fresh);
	s->has_fresh = rc == 0;
	if ((rc && rc != MDB_NOTFOUND) || (rc = store_index_open(s, txn, flags, layout))) {
		rc = store_mdb_fail(rc, err, s, "open databases");
		goto fail;
	}
	/* a store being reindexed says its new layout once the index is rebuilt */
	if (!found && (rc = write_layout(s, txn, err)))
		goto fail;
	if ((rc = mdb_txn_commit(txn)))
		return store_mdb_fail(rc, err, s, "commit");
	return 0;
fail:
	mdb_txn_abort(txn);
	return rc;
}

/* LMDB's data file in the store directory dir. */
#define DATA_FILE_MAX (PATHS_MAX + 16)
static const char *data_file(const char *dir, char out[DATA_FILE_MAX])
{
	snprintf(out, DATA_FILE_MAX, "%s/data.mdb", dir);
	return out;
}

/*
 * A write open of layout 2 or 3, or of an index out of step: the search
 * index again, in layout 4's form, in steps, each a transaction of its
 * own, so that none keeps the whole index's pages in memory or maps them
 * at once.  REINDEX_MARK in meta (store_int.h) says where it is:
 *   1            emptying the old index (textindex_empty_step), after the
 *                first transaction dropped layout 3's "terms";
 *   2 || key     indexing the records after key (none: from the first;
 *                textindex_rebuild_step).
 * The last step removes the mark and writes the layout.  While the mark
 * is there the index is incomplete: a read-only open does not search
 * (index.c), and the next write open goes on from the mark, after a
 * crash or a failure (a full map, say) alike.
 */
enum { MARK_EMPTYING = 1, MARK_INDEXING = 2 };

static int reindex(struct store *s, struct gl_error *err)
{
	struct store_txn *t;
	uint8_t at[1 + STORE_KEY_MAX], last[STORE_KEY_MAX];
	size_t at_len = 0, last_len;
	const void *mark;
	size_t mark_len;
	int rc = store_begin(s, true, &t, err);
	if (rc)
		return rc;
	if ((rc = store_meta_get(t, REINDEX_MARK, &mark, &mark_len)) == 0 && mark_len >= 1 &&
	    mark_len <= sizeof at &&
	    ((((const uint8_t *)mark)[0] == MARK_EMPTYING && mark_len == 1) ||
	     ((const uint8_t *)mark)[0] == MARK_INDEXING)) {
		memcpy(at, mark, mark_len); /* go on from there */
		at_len = mark_len;
		store_abort(t);
	} else {
		MDB_dbi old;
		at[0] = MARK_EMPTYING;
		at_len = 1;
		if ((rc = mdb_dbi_open(t->txn, "terms", 0, &old)) == 0)
			rc = mdb_drop(t->txn, old, 1);
		if (rc && rc != MDB_NOTFOUND) {
			store_abort(t);
			return store_mdb_fail(rc, err, s, "drop the old search index");
		}
		if ((rc = store_meta_put(t, REINDEX_MARK, at, at_len, err))) {
			store_abort(t);
			return rc;
		}
		if ((rc = store_commit(t, err)))
			return rc;
	}
	for (bool done = false; !done;) {
		if ((rc = store_begin(s, true, &t, err)))
			return rc;
		uint8_t layout = STORE_LAYOUT;
		if (at[0] == MARK_EMPTYING) {
			bool empty;
			if ((rc = textindex_empty_step(t, TEXTINDEX_EMPTY_STEP_TERMS, &empty, err)) == 0 &&
			    empty) {
				at[0] = MARK_INDEXING;
				rc = store_meta_put(t, REINDEX_MARK, at, at_len, err);
			}
		} else if ((rc = textindex_rebuild_step(t, at_len > 1 ? at + 1 : NULL, at_len - 1, last,
		                                     &last_len, &done, &s->reindex_skipped,
		                                     err))) {
			/* below */
		} else if (done) {
			MDB_val k = { .mv_size = strlen(REINDEX_MARK), .mv_data = REINDEX_MARK };
			if ((rc = mdb_del(t->txn, s->meta, &k, NULL)))
				rc = store_mdb_fail(rc, err, s, "write meta");
			else
				rc = store_meta_put(t, "layout", &layout, sizeof layout, err);
		} else {
			memcpy(at + 1, last, last_len);
			at_len = 1 + last_len;
			rc = store_meta_put(t, REINDEX_MARK, at, at_len, err);
		}
		if (rc) {
			store_abort(t);
			return rc;
		}
		if ((rc = store_commit(t, err)))
			return rc;
		s->reindex_steps++;
	}
	s->reindex = false;
	s->reindexed = true;
	return 0;
}

bool store_reindexed(const struct store *s, uint64_t *skipped, unsigned *steps)
{
	if (skipped)
		*skipped = s->reindex_skipped;
	if (steps)
		*steps = s->reindex_steps;
	return s->reindexed;
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
	s->path = gl_xstrdup(dir);
	int rc;
	if (s->rdonly) {
		struct stat st;
		char data[DATA_FILE_MAX];
		if (stat(data_file(dir, data), &st) != 0) {
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
	mdb_env_set_maxdbs(s->env, 16);
	mdb_env_set_mapsize(s->env, map_size ? map_size : STORE_DEFAULT_MAP_SIZE);
	/* NOTLS: read transactions may move between the loop and pool threads. */
	rc = mdb_env_open(s->env, dir, MDB_NOTLS | (s->rdonly ? MDB_RDONLY : 0), 0600);
	if (rc) {
		rc = store_mdb_fail(rc, err, s, "open");
		goto fail;
	}
	if ((rc = open_dbs(s, err)) || (s->reindex && (rc = reindex(s, err))))
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

/*
 * Where LMDB mapped the data file: the mapping of its device and inode in
 * /proc/self/maps (LMDB tells its address only for MDB_FIXEDMAP).  Read
 * afresh for each release (a few a second at most), never cached, so a
 * map LMDB moved is never mistaken for its old range.
 */
static int find_map(const struct store *s, void **map, size_t *len)
{
	char file[DATA_FILE_MAX];
	struct stat st;
	if (stat(data_file(s->path, file), &st) != 0)
		return -1;
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	char line[PATHS_MAX + 128];
	int rc = -1;
	while (rc && fgets(line, sizeof line, f)) {
		unsigned long long lo, hi, off, ino;
		unsigned maj, min;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &lo, &hi, perms, &off, &maj, &min,
		           &ino) == 7 &&
		    ino == (unsigned long long)st.st_ino && makedev(maj, min) == st.st_dev && off == 0) {
			*map = (void *)(uintptr_t)lo;
			*len = (size_t)(hi - lo);
			rc = 0;
		}
		/* a line longer than the buffer: skip its rest */
		while (!strchr(line, '\n') && fgets(line, sizeof line, f))
			;
	}
	fclose(f);
	return rc;
}

int store_release_map(struct store *s)
{
	void *map;
	size_t len;
	if (!s || find_map(s, &map, &len))
		return -1;
	/* the map is shared and read-only: what it drops, it reads again from
	 * the page cache.  gilded never resizes it while open (store_begin's
	 * MDB_MAP_RESIZED is for a map another process grew), so the range
	 * is still the map's. */
	return madvise(map, len, MADV_DONTNEED);
}

void store_set_mapped_max(struct store *s, uint64_t bytes)
{
	s->mapped_max = bytes;
}

unsigned long long store_map_releases(struct store *s)
{
	return s->releases;
}

/*
 * statm: size, resident, shared (file-backed and shmem), ... in pages.
 * Read with one pread(2) of a descriptor kept open (1 us; opening it each
 * time was 5 us, and the writer reads it every 16 records or so), into
 * the stack, not stdio.  It is opened on first use, by whichever thread,
 * and kept for the process's life; /proc/self names the opener, and
 * gilded never forks.
 */
static _Atomic int statm_fd = -1;

static int read_statm(uint64_t *resident, uint64_t *file)
{
	char buf[128];
	int fd = atomic_load(&statm_fd);
	if (fd < 0) {
		int mine = open("/proc/self/statm", O_RDONLY | O_CLOEXEC), none = -1;
		if (mine >= 0 && !atomic_compare_exchange_strong(&statm_fd, &none, mine)) {
			close(mine); /* another thread was first */
			mine = none;
		}
		fd = mine;
	}
	ssize_t len = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
	*resident = *file = 0;
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	unsigned long long v[3];
	char *p = buf, *end;
	for (int i = 0; i < 3; i++, p = end) {
		v[i] = strtoull(p, &end, 10);
		if (end == p)
			return -1;
	}
	long page = sysconf(_SC_PAGESIZE);
	uint64_t pb = (uint64_t)(page > 0 ? page : 4096);
	*resident = v[1] * pb;
	*file = v[2] * pb;
	return 0;
}

int store_mem_read(struct store_mem *m)
{
	memset(m, 0, sizeof *m);
	if (read_statm(&m->resident, &m->file))
		return -1;
	m->anonymous = m->resident > m->file ? m->resident - m->file : 0;
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	while (f && fgets(line, sizeof line, f)) {
		unsigned long long kb;
		if (sscanf(line, "VmHWM: %llu kB", &kb) == 1) {
			m->peak = kb * 1024;
			break;
		}
	}
	if (f)
		fclose(f);
	return 0;
}

bool store_map_check(struct store *s)
{
	uint64_t max = s->mapped_max, resident, file;
	if (!max || read_statm(&resident, &file) || file <= max || store_release_map(s))
		return false;
	s->releases++;
	return true;
}

#define MAP_WORK 64

/* this thread's work since it started (store_int.h) */
static _Thread_local unsigned map_work_done;

void store_map_work(struct store *s, unsigned n)
{
	unsigned before = map_work_done;
	map_work_done += n;
	if (before / MAP_WORK != map_work_done / MAP_WORK && s->mapped_max)
		store_map_check(s);
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
	return t;
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
	return 0;
}

int store_commit(struct store_txn *t, struct gl_error *err)
{
	struct store *s = t->s;
	int rc = textindex_flush(t, err);
	textindex_pending_free(t);
	if (rc) {
		mdb_txn_abort(t->txn);
		free(t);
		return rc;
	}
	rc = mdb_txn_commit(t->txn);
	free(t);
	return rc ? store_mdb_fail(rc, err, s, "commit") : 0;
}

void store_abort(struct store_txn *t)
{
	if (!t)
		return;
	textindex_pending_free(t);
	mdb_txn_abort(t->txn);
	free(t);
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

int store_get(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], int kind,
              const char *id, size_t id_len, struct store_entry *out, struct gl_error *err)
{
	if (id_len > GL_ID_MAX)
		return gl_errorf(err, GL_ENOTFOUND, "no such record");
	uint8_t rkey[RKEY_MAX];
	MDB_val k = { .mv_size = make_rkey(rkey, author, kind, id, id_len), .mv_data = rkey };
	MDB_val v;
	int rc = mdb_get(t->txn, t->s->records, &k, &v);
	if (rc == MDB_NOTFOUND)
		return gl_errorf(err, GL_ENOTFOUND, "%s/%.*s: no such record",
		                 record_kind_name(kind), (int)id_len, id);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "read record");
	/* hand out the key from the database, which lives as long as the value */
	MDB_cursor *c;
	if ((rc = mdb_cursor_open(t->txn, t->s->records, &c)))
		return store_mdb_fail(rc, err, t->s, "cursor");
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
	mdb_cursor_close(c);
	if (rc)
		return store_mdb_fail(rc, err, t->s, "read record");
	if (!entry_ok(&k, &v))
		return gl_errorf(err, GL_ESTORE, "%s: damaged record entry", t->s->path);
	entry_from(out, &k, &v);
	return 0;
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
	*out = st;
	return 0;
}

int store_expire(struct store_txn *t, uint64_t now, unsigned limit, unsigned *removed,
                 struct gl_error *err)
{
	struct store *s = t->s;
	MDB_cursor *c;
	unsigned n = 0;
	int rc = mdb_cursor_open(t->txn, s->expiry, &c);
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	MDB_val k, v;
	int out = 0;
	while (n < limit && (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0) {
		if (k.mv_size <= 8 || store_get_be64(k.mv_data) >= now)
			break;
		uint8_t rkey[RKEY_MAX];
		size_t rlen = k.mv_size - 8;
		if (rlen > RKEY_MAX) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged expiry index", s->path);
			break;
		}
		memcpy(rkey, (uint8_t *)k.mv_data + 8, rlen);
		MDB_val rk = { .mv_size = rlen, .mv_data = rkey }, rv;
		rc = mdb_get(t->txn, s->records, &rk, &rv);
		if (rc || !entry_ok(&rk, &rv)) {
			out = rc == 0 || rc == MDB_NOTFOUND
			              ? gl_errorf(err, GL_ESTORE, "%s: expiry index out of step", s->path)
			              : store_mdb_fail(rc, err, s, "read record");
			break;
		}
		if ((out = drop_record(t, &rk, &rv, err)))
			break;
		n++;
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, s, "expire");
	*removed = n;
	return 0;
}

int store_delete_author(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN],
                        unsigned *removed, struct gl_error *err)
{
	struct store *s = t->s;
	MDB_cursor *c;
	unsigned n = 0;
	int rc = mdb_cursor_open(t->txn, s->records, &c);
	if (rc)
		return store_mdb_fail(rc, err, s, "cursor");
	int out = 0;
	for (;;) {
		MDB_val k = { .mv_size = RECORD_KEY_LEN, .mv_data = (void *)author }, v;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc || k.mv_size <= RECORD_KEY_LEN || memcmp(k.mv_data, author, RECORD_KEY_LEN))
			break;
		if (!entry_ok(&k, &v)) {
			out = gl_errorf(err, GL_ESTORE, "%s: damaged record entry", s->path);
			break;
		}
		if ((out = drop_record(t, &k, &v, err)))
			break;
		n++;
	}
	mdb_cursor_close(c);
	if (out)
		return out;
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, s, "delete author");
	*removed = n;
	return 0;
}

