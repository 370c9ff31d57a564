#include "daemon/sketch.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/itemset.h"
#include "daemon/log.h"
#include "proto/alloc.h"
#include "proto/clock.h"
#include "store/store.h"

/* One item change the writer reported, with its commit. */
struct change {
	uint64_t id;
	uint64_t at;   /* when committed (clock_mono_ms: compared with conn hello_ms) */
	uint8_t item[RIBLT_ITEM];
	int sign;
};

struct sketch {
	struct node *node;
	struct riblt_sketch s;   /* loop: the committed items, once ready */
	bool ready;
	bool building;
	uint64_t applied_id;     /* the last commit s describes */
	struct itemset recent;   /* key hash || 16 zero bytes -> when committed (mono ms) */
	uint64_t next_expire_ms;
	uv_async_t async;
	uv_work_t build_req;
	struct riblt_sketch built; /* pool: the build's result */
	uint64_t built_id;
	int build_rc;
	uint64_t build_started_ms;
	/* written by the writer thread, under lock */
	uv_mutex_t lock;
	struct change *journal;
	size_t njournal, capjournal;
	uint64_t last_id;        /* the last commit reported */
};

/* ---- the writer's side ---------------------------------------------------- */

static void on_commit(void *ctx, uint64_t id, const struct store_item_change *v, size_t n)
{
	struct sketch *k = ctx;
	uint64_t now = clock_mono_ms();
	uv_mutex_lock(&k->lock);
	if (k->njournal + n > k->capjournal) {
		size_t cap = k->capjournal ? k->capjournal : 256;
		while (cap < k->njournal + n)
			cap *= 2;
		k->journal = gl_xrealloc(k->journal, cap * sizeof *k->journal);
		k->capjournal = cap;
	}
	for (size_t i = 0; i < n; i++) {
		struct change *c = &k->journal[k->njournal++];
		c->id = id;
		c->at = now;
		memcpy(c->item, v[i].item, RIBLT_ITEM);
		c->sign = v[i].sign;
	}
	k->last_id = id;
	uv_mutex_unlock(&k->lock);
	if (n)
		uv_async_send(&k->async);
}

/* ---- the loop's side ------------------------------------------------------ */

/* Apply what the writer reported since the last drain (once built). */
static void drain(struct sketch *k)
{
	if (!k->ready)
		return; /* the journal waits for the build */
	uv_mutex_lock(&k->lock);
	struct change *v = k->journal;
	size_t n = k->njournal;
	uint64_t last = k->last_id;
	k->journal = NULL;
	k->njournal = k->capjournal = 0;
	uv_mutex_unlock(&k->lock);
	uint64_t now = clock_mono_ms();
	if (now >= k->next_expire_ms) {
		itemset_expire(&k->recent, now - SKETCH_RECENT_MS);
		k->next_expire_ms = now + 1000;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].id <= k->applied_id)
			continue; /* the build's snapshot holds it */
		if (v[i].sign > 0) {
			riblt_sketch_add(&k->s, v[i].item);
			uint8_t key[32] = { 0 };
			memcpy(key, v[i].item, 16);
			itemset_put(&k->recent, key, v[i].at); /* full: not filtered, a copy more */
		} else {
			riblt_sketch_remove(&k->s, v[i].item);
		}
	}
	if (last > k->applied_id)
		k->applied_id = last;
	free(v);
}

static void on_async(uv_async_t *a)
{
	drain(a->data);
}

static int add_item(void *arg, const uint8_t item[RECORD_ITEM_LEN])
{
	riblt_sketch_add(arg, item);
	return 0;
}

/* A sketch of the store's items as one read transaction sees them. */
static int build_from_store(struct store *st, struct riblt_sketch *out, uint64_t *id)
{
	struct store_txn *t;
	int rc = store_begin(st, false, &t, NULL);
	if (rc)
		return rc;
	*id = store_txn_id(t);
	riblt_sketch_init(out, SKETCH_SYMBOLS);
	rc = store_items_scan(t, NULL, NULL, add_item, out, NULL);
	store_abort(t);
	return rc;
}

static void build_work(uv_work_t *req)
{
	struct sketch *k = req->data;
	k->build_rc = build_from_store(k->node->store, &k->built, &k->built_id);
}

static void build_done(uv_work_t *req, int status)
{
	struct sketch *k = req->data;
	k->building = false;
	if (status || k->build_rc) {
		log_error("sketch-failed", "reason=\"reading the items failed (%d): reconciliation "
		          "stays at version 1\"", k->build_rc ? k->build_rc : status);
		riblt_sketch_free(&k->built);
		return;
	}
	k->s = k->built;
	memset(&k->built, 0, sizeof k->built);
	k->applied_id = k->built_id;
	k->ready = true;
	drain(k);
	log_info("sketch-ready", "items=%llu ms=%llu", (unsigned long long)k->s.n,
	         (unsigned long long)(clock_mono_ms() - k->build_started_ms));
}

void sketch_start(struct node *n)
{
	struct sketch *k = gl_xcalloc(1, sizeof *k);
	k->node = n;
	n->sketch = k;
	uv_mutex_init(&k->lock);
	itemset_init(&k->recent, SKETCH_RECENT_MAX);
	uv_async_init(n->loop, &k->async, on_async);
	k->async.data = k;
	store_set_items_hook(n->store, on_commit, k);
	k->building = true;
	k->build_started_ms = clock_mono_ms();
	k->build_req.data = k;
	uv_queue_work(n->loop, &k->build_req, build_work, build_done);
}

void sketch_free(struct node *n)
{
	struct sketch *k = n->sketch;
	if (!k)
		return;
	store_set_items_hook(n->store, NULL, NULL);
	riblt_sketch_free(&k->s);
	riblt_sketch_free(&k->built);
	free(k->journal);
	itemset_free(&k->recent);
	uv_mutex_destroy(&k->lock);
	free(k);
	n->sketch = NULL;
}

const struct riblt_sketch *sketch_get(struct node *n)
{
	struct sketch *k = n->sketch;
	if (!k || !k->ready)
		return NULL;
	drain(k);
	return &k->s;
}

bool sketch_building(const struct node *n)
{
	return n->sketch && n->sketch->building;
}

bool sketch_recent(struct node *n, const uint8_t item[32], uint64_t within_ms)
{
	struct sketch *k = n->sketch;
	if (!k || !k->ready)
		return false;
	drain(k);
	uint8_t key[32] = { 0 };
	memcpy(key, item, 16);
	uint64_t at = itemset_get(&k->recent, key);
	return at && clock_mono_ms() - at < within_ms;
}

/* ---- checking ------------------------------------------------------------- */

struct check_job {
	uv_work_t req;
	struct node *node;
	struct riblt_sketch copy;   /* the sketch when asked */
	struct sketch_check r;
	void (*done)(void *ctx, const struct sketch_check *r);
	void *ctx;
};

static bool same_sketch(const struct riblt_sketch *a, const struct riblt_sketch *b)
{
	if (a->n != b->n || a->size != b->size || memcmp(a->state, b->state, sizeof a->state))
		return false;
	for (uint32_t i = 0; i < a->size; i++)
		if (memcmp(a->sym[i].sum, b->sym[i].sum, RIBLT_ITEM) ||
		    a->sym[i].chk != b->sym[i].chk || a->sym[i].count != b->sym[i].count)
			return false;
	return true;
}

static void check_work(uv_work_t *req)
{
	struct check_job *j = req->data;
	struct riblt_sketch fresh = { 0 };
	uint64_t id = 0;
	j->r.rc = build_from_store(j->node->store, &fresh, &id);
	if (j->r.rc == 0) {
		j->r.moved = id != j->r.txn_id;
		j->r.fresh_items = fresh.n;
		j->r.equal = !j->r.moved && same_sketch(&j->copy, &fresh);
	}
	riblt_sketch_free(&fresh);
}

static void check_done(uv_work_t *req, int status)
{
	struct check_job *j = req->data;
	if (status)
		j->r.rc = GL_EIO;
	j->done(j->ctx, &j->r);
	riblt_sketch_free(&j->copy);
	free(j);
}

void sketch_check(struct node *n, void (*done)(void *ctx, const struct sketch_check *r), void *ctx)
{
	struct check_job *j = gl_xcalloc(1, sizeof *j);
	j->node = n;
	j->done = done;
	j->ctx = ctx;
	const struct riblt_sketch *s = sketch_get(n);
	if (!s) {
		done(ctx, &j->r);
		free(j);
		return;
	}
	j->r.ready = true;
	j->r.items = s->n;
	j->r.txn_id = n->sketch->applied_id;
	riblt_sketch_copy(&j->copy, s);
	j->req.data = j;
	uv_queue_work(n->loop, &j->req, check_work, check_done);
}
