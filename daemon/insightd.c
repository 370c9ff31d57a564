/*
 * insightd.c — progress events taken, read, withdrawn, expired, released
 * and published (insightd.h).
 *
 * Threads: libmicrohttpd's (taking, reading, withdrawing for the page),
 * the thread pool (the same for gilde plan, and the releases), the writer
 * (the records), the loop (the timer).  The progress environment is LMDB:
 * its writes queue on LMDB's own lock, each a short transaction; the
 * release reads in a snapshot and writes only its result.  The token
 * bucket has a mutex of its own.
 */
#include "daemon/insightd.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon/ctl_pack.h"
#include "daemon/gossip.h"
#include "daemon/itemset.h"
#include "daemon/log.h"
#include "daemon/publish.h"
#include "proto/clock.h"
#include "proto/msg.h"
#include "query/insight.h"
#include "query/release.h"
#include "schemas/doc.h"
#include "schemas/jsonmp.h"
#include "store/progress.h"

/* Events expired in one transaction. */
#define EXPIRE_BATCH 10000

struct insightd {
	struct node *n;
	struct progress *p; /* NULL: neither collecting nor anything kept */
	bool collecting, publish;
	unsigned k;
	uint64_t retention;
	/* all starters' token bucket */
	pthread_mutex_t lock;
	double rate, burst, tokens;
	uint64_t last_ms;
	/* releases */
	_Atomic uint64_t changes; /* writes to the events since start */
	uint64_t released_changes;
	uint32_t released_week;
	bool released;
	uv_timer_t timer;
	uv_work_t work;
	bool busy;
	int rc;
	struct gl_error err;
	json_t *bodies; /* the release's records, to sign; NULL: none */
	_Atomic uint64_t releases, published; /* since start, for gilde status */
};

bool insightd_collecting(const struct node *n)
{
	return n->insight && n->insight->collecting;
}

unsigned insightd_k(const struct node *n)
{
	return insightd_collecting(n) ? n->insight->k : 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool rate_take(struct insightd *d)
{
	uint64_t now = mono_ms();
	pthread_mutex_lock(&d->lock);
	d->tokens += (double)(now - d->last_ms) / 1000.0 * d->rate;
	if (d->tokens > d->burst)
		d->tokens = d->burst;
	d->last_ms = now;
	bool ok = d->tokens >= 1.0;
	if (ok)
		d->tokens -= 1.0;
	pthread_mutex_unlock(&d->lock);
	return ok;
}

/* ---- taking, reading, withdrawing --------------------------------------------- */

struct any_live {
	bool found;
};

static int first_live(void *ctx, const struct store_entry *e)
{
	((struct any_live *)ctx)->found = !e->tombstone;
	return ((struct any_live *)ctx)->found;
}

/* Whether the directory holds the partner an event names: its partner
 * record, or (no id) any live record of the author. */
static int partner_known(struct node *n, const struct insight_taken *tk, struct gl_error *err)
{
	struct store_txn *t;
	int rc = store_begin(n->store, false, &t, err);
	if (rc)
		return rc;
	bool known;
	if (tk->partner_id[0]) {
		struct store_entry e;
		known = !store_get(t, tk->partner_author, RK_PARTNER, tk->partner_id,
		                   strlen(tk->partner_id), &e, NULL) && !e.tombstone;
	} else {
		struct any_live a = { false };
		struct store_filter f = { .author = tk->partner_author };
		rc = store_scan(t, &f, first_live, &a, err);
		known = a.found;
	}
	store_abort(t);
	if (rc < 0)
		return rc;
	return known ? 0 : gl_errorf(err, GL_EREFUSED, "event: /partner: this directory holds no "
	                             "such partner");
}

int insightd_take(struct node *n, const char *text, size_t len, bool *stored,
                  struct gl_error *err)
{
	struct insightd *d = n->insight;
	if (!insightd_collecting(n))
		return gl_errorf(err, GL_ENOTFOUND, "this node takes no progress events");
	if (!rate_take(d))
		return gl_errorf(err, GL_EBUSY, "this node takes no more progress events just now; "
		                 "try again later");
	struct insight_taken tk = { 0 };
	struct progress_txn *t = NULL;
	int rc = insight_take(n->schemas, text, len, clock_now(), &tk, err);
	if (!rc && tk.has_partner)
		rc = partner_known(n, &tk, err);
	if (!rc && !(rc = progress_begin(d->p, true, &t, err)) &&
	    !(rc = progress_add(t, tk.tokhash, tk.week, tk.val, tk.vlen, stored, err))) {
		rc = progress_commit(t, err);
		t = NULL;
	}
	progress_abort(t);
	if (!rc && *stored)
		atomic_fetch_add(&d->changes, 1);
	free(tk.val);
	return rc;
}

static int token_of(const struct node *n, const char *token, uint8_t h[PROGRESS_TOKHASH_LEN],
                    struct gl_error *err)
{
	if (!insightd_collecting(n))
		return gl_errorf(err, GL_ENOTFOUND, "this node takes no progress events");
	if (insight_token_hash(token, h))
		return gl_errorf(err, GL_EFORMAT, "a token is %d characters of base64url",
		                 INSIGHT_TOKEN_LEN);
	return 0;
}

static int add_sent(void *ctx, const struct progress_event *e)
{
	json_t *ev = insight_event_json(e);
	if (ev)
		json_array_append_new(ctx, ev);
	return 0;
}

int insightd_sent(struct node *n, const char *token, json_t **out, struct gl_error *err)
{
	uint8_t h[PROGRESS_TOKHASH_LEN];
	struct progress_txn *t;
	int rc = token_of(n, token, h, err);
	if (rc || (rc = progress_begin(n->insight->p, false, &t, err)))
		return rc;
	json_t *list = json_array();
	rc = progress_scan_token(t, h, add_sent, list, err);
	progress_abort(t);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

int insightd_withdraw(struct node *n, const char *token, unsigned *removed,
                      struct gl_error *err)
{
	uint8_t h[PROGRESS_TOKHASH_LEN];
	struct progress_txn *t;
	int rc = token_of(n, token, h, err);
	if (rc || (rc = progress_begin(n->insight->p, true, &t, err)))
		return rc;
	if ((rc = progress_delete_token(t, h, removed, err))) {
		progress_abort(t);
		return rc;
	}
	if (!(rc = progress_commit(t, err)) && *removed)
		atomic_fetch_add(&n->insight->changes, 1);
	return rc;
}

int insightd_releases(struct node *n, struct store_txn *t, const char *from, json_t **out,
                      struct gl_error *err)
{
	struct insightd *d = n->insight;
	struct progress_txn *pt = NULL;
	int rc;
	if (insightd_collecting(n) && (rc = progress_begin(d->p, false, &pt, err)))
		return rc;
	rc = release_list(t, pt, n->pk, from, out, err);
	progress_abort(pt);
	return rc;
}

int insightd_demand(struct node *n, struct store_txn *t, json_t **out, struct gl_error *err)
{
	struct insightd *d = n->insight;
	struct progress_txn *pt = NULL;
	int rc;
	if (insightd_collecting(n) && (rc = progress_begin(d->p, false, &pt, err)))
		return rc;
	rc = release_demand(t, pt, n->pk, out, err);
	progress_abort(pt);
	return rc;
}

/* ---- releasing (thread pool) ----------------------------------------------------- */

static int expire(struct insightd *d, uint64_t now, struct gl_error *err)
{
	if (now <= d->retention)
		return 0;
	uint32_t before = insight_week_of(now - d->retention);
	unsigned removed, total = 0;
	do {
		struct progress_txn *t;
		int rc = progress_begin(d->p, true, &t, err);
		if (rc || (rc = progress_expire(t, before, EXPIRE_BATCH, &removed, err))) {
			if (!rc)
				progress_abort(t);
			return rc;
		}
		if ((rc = progress_commit(t, err)))
			return rc;
		total += removed;
	} while (removed == EXPIRE_BATCH);
	if (total) {
		atomic_fetch_add(&d->changes, 1);
		log_info("insight-expired", "events=%u", total);
	}
	return 0;
}

static int forget_release(struct insightd *d, struct gl_error *err)
{
	struct progress_txn *t;
	int rc = progress_begin(d->p, true, &t, err);
	if (rc || (rc = progress_meta_del(t, RELEASE_META, err))) {
		if (!rc)
			progress_abort(t);
		return rc;
	}
	return progress_commit(t, err);
}

/* Count the events into the next release and keep it; *made is the release. */
static int make_release(struct insightd *d, uint32_t week, json_t **made, struct gl_error *err)
{
	struct progress_txn *t;
	struct figures f;
	const void *v;
	size_t len;
	int rc = progress_begin(d->p, false, &t, err);
	if (rc)
		return rc;
	json_t *prev = progress_meta_get(t, RELEASE_META, &v, &len) ? NULL
	                                                           : json_loadb(v, len, 0, NULL);
	if ((rc = trajectory_count(t, d->n->tax, d->k, week, &f, err))) {
		progress_abort(t);
		json_decref(prev);
		return rc;
	}
	progress_abort(t);
	json_t *rel = release_make(prev, &f, d->n->tax, d->k, week);
	figures_free(&f);
	json_decref(prev);
	char *text = json_dumps(rel, JSON_COMPACT);
	if (!(rc = progress_begin(d->p, true, &t, err)) &&
	    (rc = progress_meta_put(t, RELEASE_META, text, strlen(text), err)))
		progress_abort(t);
	else if (!rc)
		rc = progress_commit(t, err);
	free(text);
	if (rc) {
		json_decref(rel);
		return rc;
	}
	*made = rel;
	return 0;
}

static void release_work(uv_work_t *w)
{
	struct insightd *d = w->data;
	uint64_t now = clock_now(), changes;
	uint32_t week = insight_week_of(now);
	d->bodies = NULL;
	d->rc = expire(d, now, &d->err);
	if (d->rc)
		return;
	if (!d->collecting) {
		d->rc = forget_release(d, &d->err);
		return;
	}
	changes = atomic_load(&d->changes);
	if (d->released && changes == d->released_changes && week == d->released_week)
		return; /* nothing moved since */
	json_t *rel;
	if ((d->rc = make_release(d, week, &rel, &d->err)))
		return;
	d->released = true;
	atomic_fetch_add(&d->releases, 1);
	d->released_changes = changes;
	d->released_week = week;
	log_info("insight-released", "release=%lld buckets=%zu",
	         (long long)json_integer_value(json_object_get(rel, "release")),
	         json_array_size(json_object_get(rel, "buckets")));
	if (d->publish)
		d->bodies = release_bodies(rel);
	json_decref(rel);
}

/* ---- publishing (writer) ------------------------------------------------------------ */

struct pub_job {
	struct wjob job;
	struct node *n;
	json_t *bodies;
	struct recon_items items;
	unsigned signed_, retracted;
};

static int own_ids(void *ctx, const struct store_entry *e)
{
	char id[GL_ID_MAX + 1];
	if (!e->tombstone && e->id_len <= GL_ID_MAX) {
		memcpy(id, e->id, e->id_len);
		id[e->id_len] = '\0';
		json_object_set_new(ctx, id, json_true());
	}
	return 0;
}

/* Sign body as insight/id unless the record held says the same and is far
 * from expiring. */
static int sign_one(struct pub_job *pj, struct store_txn *t, const char *id, const json_t *body,
                    struct gl_error *err)
{
	struct node *n = pj->n;
	struct gl_buf b = { 0 };
	uint64_t now = clock_now();
	int rc = jsonmp_pack(body, NULL, &b, err);
	if (!rc)
		rc = doc_check_body(n->schemas, RK_INSIGHT, id, strlen(id), b.data, b.len, err);
	struct store_entry held;
	struct record r;
	bool same = !rc && !store_get(t, n->pk, RK_INSIGHT, id, strlen(id), &held, NULL) &&
	            !held.tombstone && !record_parse(held.env, held.env_len, &r, NULL) &&
	            r.body_len == b.len && !memcmp(r.body, b.data, b.len) &&
	            held.expires > now + n->cfg.lifetime / 2;
	uint8_t item[32];
	if (!rc && !same && !(rc = publish_record(n, t, n->sk, RK_INSIGHT, id, b.data, b.len,
	                                          now + n->cfg.lifetime, item, NULL, NULL, err))) {
		itemlist_push(&pj->items, item);
		pj->signed_++;
	}
	gl_buf_free(&b);
	return rc;
}

static int publish_write(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	struct pub_job *pj = (struct pub_job *)job;
	struct node *n = pj->n;
	struct store_filter f = { .kind = RK_INSIGHT, .author = n->pk };
	json_t *held = json_object(), *one;
	size_t i;
	int rc = store_scan(t, &f, own_ids, held, err);
	json_array_foreach(pj->bodies, i, one) {
		const char *id = json_string_value(json_object_get(one, "id"));
		if (rc || !id)
			break;
		json_object_del(held, id);
		rc = sign_one(pj, t, id, json_object_get(one, "body"), err);
	}
	const char *id;
	json_t *v;
	uint8_t item[32];
	json_object_foreach(held, id, v) {
		if (rc || (rc = publish_record(n, t, n->sk, RK_INSIGHT, id, NULL, 0,
		                               clock_now() + n->cfg.tombstone_lifetime, item, NULL, NULL,
		                               err)))
			break;
		itemlist_push(&pj->items, item);
		pj->retracted++;
	}
	json_decref(held);
	return rc;
}

static void publish_done(struct wjob *job)
{
	struct pub_job *pj = (struct pub_job *)job;
	if (job->rc)
		log_error("insight-publish-failed", "reason=\"%s\"", job->err.msg);
	else if (pj->items.n) {
		log_info("insight-published", "records=%u retracted=%u", pj->signed_, pj->retracted);
		pj->n->counters.published += pj->items.n;
		atomic_fetch_add(&pj->n->insight->published, pj->items.n);
		gossip_announce(pj->n, (const uint8_t (*)[32])pj->items.v, pj->items.n, NULL);
	}
	json_decref(pj->bodies);
	free(pj->items.v);
	free(pj);
}

static const struct wjob_kind publish_job = { "insight", publish_write, publish_done };

static void release_done(uv_work_t *w, int status)
{
	struct insightd *d = w->data;
	(void)status;
	d->busy = false;
	if (d->rc)
		log_error("insight-release-failed", "reason=\"%s\"", d->err.msg);
	if (d->bodies && !d->n->stopping) {
		struct pub_job *pj = gl_xcalloc(1, sizeof *pj);
		pj->n = d->n;
		pj->bodies = d->bodies;
		writer_submit(&d->n->writer, &pj->job, &publish_job);
	} else {
		json_decref(d->bodies);
	}
	d->bodies = NULL;
}

static void on_timer(uv_timer_t *t)
{
	struct insightd *d = t->data;
	if (d->busy || d->n->stopping)
		return;
	d->busy = true;
	d->work.data = d;
	uv_queue_work(d->n->loop, &d->work, release_work, release_done);
}

bool insightd_has_status(const struct node *n)
{
	return n->insight != NULL;
}

void insightd_pack_status(struct node *n, msgpack_packer *pk)
{
	struct insightd *d = n->insight;
	struct progress_txn *t;
	uint64_t events = 0;
	if (!progress_begin(d->p, false, &t, NULL)) {
		progress_count(t, &events, NULL);
		progress_abort(t);
	}
	msg_pack_str(pk, "insight");
	msgpack_pack_map(pk, 4);
	ctl_pack_bool(pk, "collecting", d->collecting);
	ctl_pack_uint(pk, "events", events);
	ctl_pack_uint(pk, "releases", atomic_load(&d->releases));
	ctl_pack_uint(pk, "published", atomic_load(&d->published));
}

/* ---- the control socket (gilde plan) --------------------------------------------- */

enum { ACT_EVENT, ACT_SENT, ACT_WITHDRAW };

struct ctl_work {
	uv_work_t w;
	struct ctl_req *rq;
	struct node *n;
	int action;
	char *text; /* the event, or the token */
	size_t len;
	bool stored;
	unsigned removed;
	json_t *events;
	int rc;
	struct gl_error err;
};

static void ctl_work_run(uv_work_t *w)
{
	struct ctl_work *cw = w->data;
	if (cw->action == ACT_EVENT)
		cw->rc = insightd_take(cw->n, cw->text, cw->len, &cw->stored, &cw->err);
	else if (cw->action == ACT_SENT)
		cw->rc = insightd_sent(cw->n, cw->text, &cw->events, &cw->err);
	else
		cw->rc = insightd_withdraw(cw->n, cw->text, &cw->removed, &cw->err);
}

static void ctl_work_done(uv_work_t *w, int status)
{
	struct ctl_work *cw = w->data;
	(void)status;
	if (cw->rc) {
		ctl_reply_error(cw->rq, cw->rc, cw->err.msg);
	} else {
		struct gl_buf out = { 0 };
		msgpack_packer pk;
		ctl_pack_ok(&out, &pk, 1);
		if (cw->action == ACT_EVENT) {
			ctl_pack_bool(&pk, "stored", cw->stored);
		} else if (cw->action == ACT_WITHDRAW) {
			ctl_pack_uint(&pk, "withdrawn", cw->removed);
		} else {
			char *text = json_dumps(cw->events, JSON_COMPACT);
			ctl_pack_str(&pk, "events", text ? text : "[]");
			free(text);
		}
		ctl_reply(cw->rq, &out);
	}
	json_decref(cw->events);
	free(cw->text);
	free(cw);
}

void insightd_ctl(struct ctl_req *rq, const msgpack_object *req)
{
	struct node *n = ctl_node(rq);
	char action[16];
	const char *v;
	size_t len;
	if (!msg_get_cstr(req, "action", action, sizeof action)) {
		ctl_reply_error(rq, GL_EPROTO, "insight needs \"action\": status, event, sent or withdraw");
		return;
	}
	if (!strcmp(action, "status")) {
		struct gl_buf out = { 0 };
		msgpack_packer pk;
		ctl_pack_ok(&out, &pk, 2);
		ctl_pack_bool(&pk, "collecting", insightd_collecting(n));
		ctl_pack_uint(&pk, "k", n->insight ? n->insight->k : 0);
		ctl_reply(rq, &out);
		return;
	}
	int act = !strcmp(action, "event") ? ACT_EVENT : !strcmp(action, "sent") ? ACT_SENT
	        : !strcmp(action, "withdraw") ? ACT_WITHDRAW : -1;
	if (act < 0 || !msg_get_str(req, act == ACT_EVENT ? "json" : "token", &v, &len) ||
	    len > INSIGHT_EVENT_MAX) {
		ctl_reply_error(rq, GL_EPROTO, "insight: event takes \"json\", sent and withdraw "
		                "\"token\" (at most INSIGHT_EVENT_MAX bytes)");
		return;
	}
	struct ctl_work *cw = gl_xcalloc(1, sizeof *cw);
	cw->rq = rq;
	cw->n = n;
	cw->action = act;
	cw->text = gl_xstrndup(v, len);
	cw->len = len;
	cw->w.data = cw;
	uv_queue_work(n->loop, &cw->w, ctl_work_run, ctl_work_done);
}

/* ---- start and stop ---------------------------------------------------------------- */

int insightd_start(struct node *n, struct gl_error *err)
{
	char path[PATHS_MAX];
	struct stat st;
	int rc = paths_join(path, n->data, "insight", err);
	if (rc)
		return rc;
	bool kept = stat(path, &st) == 0;
	if (!n->cfg.insight_enabled && !kept)
		return 0;
	struct insightd *d = gl_xcalloc(1, sizeof *d);
	d->n = n;
	if ((rc = progress_open(path, false, &d->p, err))) {
		free(d);
		return rc;
	}
	d->collecting = n->cfg.insight_enabled;
	d->publish = n->cfg.insight_publish;
	d->k = (unsigned)n->cfg.insight_k;
	d->retention = n->cfg.insight_retention;
	d->rate = (double)n->cfg.insight_rate;
	d->burst = d->tokens = (double)n->cfg.insight_burst;
	d->last_ms = mono_ms();
	pthread_mutex_init(&d->lock, NULL);
	uv_timer_init(n->loop, &d->timer);
	d->timer.data = d;
	uv_timer_start(&d->timer, on_timer, 200, n->cfg.insight_release * 1000);
	n->insight = d;
	log_info("insight-started", "collecting=%s k=%u retention_days=%llu publish=%s",
	         d->collecting ? "yes" : "no", d->k,
	         (unsigned long long)(d->retention / 86400), d->publish ? "yes" : "no");
	return 0;
}

void insightd_stop(struct node *n)
{
	if (n->insight)
		uv_timer_stop(&n->insight->timer);
}

void insightd_free(struct node *n)
{
	struct insightd *d = n->insight;
	if (!d)
		return;
	progress_close(d->p);
	json_decref(d->bodies);
	pthread_mutex_destroy(&d->lock);
	free(d);
	n->insight = NULL;
}
