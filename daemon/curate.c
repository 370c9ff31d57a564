#include "daemon/curate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "schemas/doc.h"
#include "proto/ident.h"
#include "daemon/itemset.h"
#include "daemon/log.h"
#include "proto/msg.h"
#include "daemon/publish.h"
#include "store/trust.h"

/* Revocations must outlive anything the revoked key could have signed. */
#define REVOKE_LIFETIME (3650ull * 86400)
#define SWEEP_INTERVAL_MS 60000
#define EXPIRE_BATCH 10000

void curate_changes_free(struct curate_changes *changes)
{
	free(changes->announce.v);
	memset(changes, 0, sizeof *changes);
}

const struct curate_trust *curate_trust(const struct node *n)
{
	return atomic_load(&((struct node *)n)->trust);
}

static uint8_t (*copy_keys(const struct keylist *l))[32]
{
	if (!l->n)
		return NULL;
	uint8_t (*v)[32] = gl_xmalloc(l->n * 32);
	memcpy(v, l->v, l->n * 32);
	return v;
}

void curate_init(struct node *n)
{
	struct curate_trust *ct = gl_xcalloc(1, sizeof *ct);
	struct trust_cfg *c = &ct->cfg;
	memcpy(c->own, n->pk, 32);
	c->ncurators = n->cfg.curators.n;
	c->curators = copy_keys(&n->cfg.curators);
	c->nallow = n->cfg.allow.n;
	c->allow = copy_keys(&n->cfg.allow);
	c->open = n->cfg.open;
	ct->curator_node = trust_is_curator(c, n->pk);
	struct curate_trust *old = atomic_exchange(&n->trust, ct);
	if (old) {
		old->retired_next = n->trust_retired;
		n->trust_retired = old;
	}
	if (c->open)
		log_warn("trust-open", "reason=\"[federation] open = true: every validly signed record "
		         "is accepted; use only for tests and private setups\"");
	else if (!c->ncurators && !c->nallow)
		log_info("trust-own-only", "reason=\"no [federation] curator or allow: this node "
		         "accepts only its own records\"");
	else
		log_info("trust", "curators=%u allow=%u curator_node=%s", c->ncurators, c->nallow,
		         ct->curator_node ? "yes" : "no");
}

static void free_trust(struct curate_trust *ct)
{
	free(ct->cfg.curators);
	free(ct->cfg.allow);
	free(ct);
}

void curate_free(struct node *n)
{
	struct curate_trust *ct = atomic_exchange(&n->trust, NULL);
	if (ct)
		free_trust(ct);
	while (n->trust_retired) {
		ct = n->trust_retired;
		n->trust_retired = ct->retired_next;
		free_trust(ct);
	}
}

struct trust_job {
	struct wjob job;
	struct trust_cfg cfg;
};

static int trust_save_work(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	return trust_cfg_save(&((struct trust_job *)job)->cfg, t, err);
}

static void trust_save_done(struct wjob *job)
{
	struct trust_job *tj = (struct trust_job *)job;
	if (job->rc)
		log_error("reload-trust", "reason=\"%s\"", job->err.msg);
	free(tj->cfg.curators);
	free(tj->cfg.allow);
	free(tj);
}

static const struct wjob_kind trust_save_job = { "trust-save", trust_save_work, trust_save_done };

void curate_reload(struct node *n)
{
	curate_init(n);
	/* through the writer: the loop thread never waits for the write lock */
	const struct trust_cfg *c = &curate_trust(n)->cfg;
	struct trust_job *tj = gl_xcalloc(1, sizeof *tj);
	tj->cfg = *c;
	/* a copy of its own: the job may run after further reloads */
	tj->cfg.curators = c->ncurators ? gl_xmalloc(c->ncurators * 32) : NULL;
	tj->cfg.allow = c->nallow ? gl_xmalloc(c->nallow * 32) : NULL;
	if (c->ncurators)
		memcpy(tj->cfg.curators, c->curators, c->ncurators * 32);
	if (c->nallow)
		memcpy(tj->cfg.allow, c->allow, c->nallow * 32);
	writer_submit(&n->writer, &tj->job, &trust_save_job);
}

int curate_admit(struct node *n, struct store_txn *t, const struct record *r, uint64_t now,
                 enum curate_verdict *verdict, struct gl_error *err)
{
	char key[IDENT_TEXT_MAX];
	const struct curate_trust *ct = curate_trust(n);
	if ((r->kind == RK_ENDORSE || r->kind == RK_REVOKE) &&
	    !trust_is_curator(&ct->cfg, r->author) && memcmp(r->author, ct->cfg.own, 32)) {
		ident_format(IDENT_PK_PREFIX, r->author, key);
		gl_errorf(err, GL_EREFUSED, "%s/%.*s by %s: only a curator's %s counts",
		          record_kind_name(r->kind), 16, r->id, key,
		          r->kind == RK_ENDORSE ? "endorsements" : "revocations");
		*verdict = CURATE_REFUSED;
		return 0;
	}
	if (r->kind != RK_ENDORSE && r->kind != RK_REVOKE && trust_is_retired(t, r->author)) {
		ident_format(IDENT_PK_PREFIX, r->author, key);
		gl_errorf(err, GL_EREFUSED, "%s/%.*s by %s: a key this node rotated away from",
		          record_kind_name(r->kind), (int)r->id_len, r->id, key);
		*verdict = CURATE_REFUSED;
		return 0;
	}
	enum trust_verdict v;
	int rc = trust_check(&ct->cfg, t, r->author, now, &v, err);
	if (rc)
		return rc;
	if (v == TRUST_OK) {
		*verdict = CURATE_STORE;
		return 0;
	}
	if (v == TRUST_UNKNOWN && ct->curator_node && r->kind == RK_PARTNER && r->body) {
		if ((rc = store_app_put(t, r->author, clock_now_ms(), r->env, r->env_len, err)))
			return rc;
		*verdict = CURATE_APPLICATION;
		return 0;
	}
	ident_format(IDENT_PK_PREFIX, r->author, key);
	gl_errorf(err, GL_EREFUSED, "%s/%.*s by %s: %s", record_kind_name(r->kind),
	          (int)r->id_len, r->id, key, trust_verdict_name(v));
	*verdict = CURATE_REFUSED;
	return 0;
}

/* Move subject's application, if any, into the directory. */
static int admit_application(struct store_txn *t, const uint8_t subject[32],
                             struct recon_items *moved, struct gl_error *err)
{
	struct store_app app;
	int rc = store_app_get(t, subject, &app, err);
	if (rc == GL_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	/* copy: the application's bytes go away with store_app_del */
	uint8_t *env = gl_xmalloc(app.env_len);
	size_t len = app.env_len;
	memcpy(env, app.env, len);
	struct record r;
	enum store_outcome oc;
	uint8_t cid[RECORD_CID_LEN], item[RECORD_ITEM_LEN];
	if (record_open(env, len, &r, NULL) == 0) {
		record_cid(env, len, cid);
		record_item(&r, cid, item);
		if ((rc = store_put_hashed(t, &r, cid, item, NULL, &oc, err)) == 0 &&
		    (oc == STORE_NEW || oc == STORE_REPLACED))
			itemlist_push(moved, item);
	}
	free(env);
	return rc ? rc : store_app_del(t, subject, err);
}

int curate_after_statement(struct node *n, struct store_txn *t, const struct record *r,
                           uint64_t now, struct curate_changes *changes, struct gl_error *err)
{
	struct trust_statement st;
	const struct curate_trust *ct = curate_trust(n);
	if (trust_parse_statement(r, &st, NULL) || !memcmp(st.key, ct->cfg.own, 32))
		return 0;
	enum trust_verdict v;
	int rc = trust_check(&ct->cfg, t, st.key, now, &v, err);
	if (rc)
		return rc;
	char key[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, st.key, key);
	if (v == TRUST_OK) {
		changes->trust_changed = true;
		return admit_application(t, st.key, &changes->announce, err);
	}
	unsigned removed = 0;
	if ((rc = store_delete_author(t, st.key, &removed, err)))
		return rc;
	if (v == TRUST_REVOKED && (rc = store_app_del(t, st.key, err)) && rc != GL_ENOTFOUND)
		return rc;
	changes->purged += removed;
	if (removed) {
		changes->trust_changed = true;
		log_info("purged", "key=%s records=%u reason=\"%s\"", key, removed, trust_verdict_name(v));
	}
	return 0;
}

/* ---- the sweep: expired records and lapsed endorsements ------------------ */

struct sweep_job {
	struct wjob job;
	struct node *node;
	unsigned expired, purged;
};

struct collect {
	struct node *node;
	struct recon_items subjects; /* 32-byte keys, not items, in the same shape */
};

static int collect_subject(void *ctx, const struct store_entry *e)
{
	struct collect *c = ctx;
	struct record r;
	struct trust_statement st;
	if (trust_is_curator(&curate_trust(c->node)->cfg, e->author) &&
	    record_parse(e->env, e->env_len, &r, NULL) == 0 && trust_parse_statement(&r, &st, NULL) == 0)
		itemlist_push(&c->subjects, st.key);
	return 0;
}

static int sweep_work(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	struct sweep_job *sj = (struct sweep_job *)job;
	struct node *n = sj->node;
	uint64_t now = clock_now();
	int rc = store_expire(t, now, EXPIRE_BATCH, &sj->expired, err);
	if (rc)
		return rc;
	struct collect c = { .node = n };
	struct store_filter f = { .kind = RK_ENDORSE };
	if ((rc = store_scan(t, &f, collect_subject, &c, err)))
		goto out;
	for (size_t i = 0; i < c.subjects.n; i++) {
		enum trust_verdict v;
		unsigned removed = 0;
		const struct curate_trust *ct = curate_trust(n);
		if (!memcmp(c.subjects.v[i], ct->cfg.own, 32))
			continue;
		if ((rc = trust_check(&ct->cfg, t, c.subjects.v[i], now, &v, err)))
			goto out;
		if (v != TRUST_OK && (rc = store_delete_author(t, c.subjects.v[i], &removed, err)))
			goto out;
		sj->purged += removed;
	}
out:
	free(c.subjects.v);
	return rc;
}

static void sweep_done(struct wjob *job)
{
	struct sweep_job *sj = (struct sweep_job *)job;
	if (job->rc)
		log_error("sweep-failed", "reason=\"%s\"", job->err.msg);
	else if (sj->expired || sj->purged)
		log_info("sweep", "expired=%u purged=%u", sj->expired, sj->purged);
	sj->node->sweep_running = false;
	free(sj);
}

static const struct wjob_kind sweep_job = { "sweep", sweep_work, sweep_done };

static void on_sweep(uv_timer_t *timer)
{
	struct node *n = timer->data;
	if (n->stopping || n->sweep_running)
		return;
	struct sweep_job *sj = gl_xcalloc(1, sizeof *sj);
	sj->node = n;
	n->sweep_running = true;
	writer_submit(&n->writer, &sj->job, &sweep_job);
}

void curate_start(struct node *n)
{
	uv_timer_init(n->loop, &n->sweep_timer);
	n->sweep_timer.data = n;
	uv_timer_start(&n->sweep_timer, on_sweep, 1000, SWEEP_INTERVAL_MS);
}

void curate_stop(struct node *n)
{
	uv_timer_stop(&n->sweep_timer);
}

/* ---- endorse and revoke, signed here ------------------------------------- */

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static int sign_statement(struct node *n, struct store_txn *t, bool revoke,
                          const uint8_t subject[32], const char *name, const char *until,
                          const uint8_t *replaces, const char *reason, struct curate_req *r,
                          struct gl_error *err)
{
	char key[IDENT_TEXT_MAX], id[65];
	ident_format(IDENT_PK_PREFIX, subject, key);
	trust_key_id(subject, id);
	struct gl_buf body = { 0 };
	msgpack_packer pk;
	msgpack_packer_init(&pk, &body, buf_write);
	unsigned fields = 1 + (revoke ? (reason && *reason) : 1 + (until && *until) + (replaces != NULL));
	msgpack_pack_map(&pk, fields);
	msg_pack_str(&pk, "key");
	msg_pack_str(&pk, key);
	uint64_t now = clock_now(), expires = now + (revoke ? REVOKE_LIFETIME : n->cfg.lifetime);
	if (revoke && reason && *reason) {
		msg_pack_str(&pk, "reason");
		msg_pack_str(&pk, reason);
	}
	if (!revoke) {
		msg_pack_str(&pk, "name");
		msg_pack_str(&pk, name);
		if (until && *until) {
			int64_t day;
			clock_parse(until, &day);
			if ((uint64_t)day + 2 * 86400 > expires)
				expires = (uint64_t)day + 2 * 86400;
			msg_pack_str(&pk, "until");
			msg_pack_str(&pk, until);
		}
		if (replaces) {
			char old[IDENT_TEXT_MAX];
			ident_format(IDENT_PK_PREFIX, replaces, old);
			msg_pack_str(&pk, "replaces");
			msg_pack_str(&pk, old);
		}
	}
	uint8_t item[32];
	int rc = doc_check_body(n->schemas, revoke ? RK_REVOKE : RK_ENDORSE, id, 64, body.data,
	                        body.len, err);
	if (!rc)
		rc = publish_record(n, t, n->sk, revoke ? RK_REVOKE : RK_ENDORSE, id, body.data,
		                    body.len, expires, item, NULL, NULL, err);
	gl_buf_free(&body);
	if (rc)
		return rc;
	itemlist_push(&r->changes.announce, item);
	/* take effect at once, as a received statement would */
	struct store_entry e;
	struct record rec;
	if ((rc = store_get(t, n->pk, revoke ? RK_REVOKE : RK_ENDORSE, id, 64, &e, err)) ||
	    (rc = record_parse(e.env, e.env_len, &rec, err)))
		return rc;
	/* rec points into the map: copy before writing more */
	uint8_t *copy = gl_xmalloc(e.env_len);
	memcpy(copy, e.env, e.env_len);
	record_parse(copy, e.env_len, &rec, NULL);
	rc = curate_after_statement(n, t, &rec, now, &r->changes, err);
	free(copy);
	return rc;
}

static int statement_work(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	struct curate_req *r = (struct curate_req *)((char *)job - offsetof(struct curate_req, job));
	struct node *n = r->node;
	int rc = sign_statement(n, t, r->revoke, r->key, r->name, r->until,
	                        r->has_replaces ? r->replaces : NULL, r->reason, r, err);
	if (rc || !r->has_replaces)
		return rc;
	/* rotation: the old key is revoked in the same transaction */
	char newkey[IDENT_TEXT_MAX], reason[120];
	ident_format(IDENT_PK_PREFIX, r->key, newkey);
	snprintf(reason, sizeof reason, "replaced by %s", newkey);
	return sign_statement(n, t, true, r->replaces, NULL, NULL, NULL, reason, r, err);
}

static void statement_done(struct wjob *job)
{
	struct curate_req *r = (struct curate_req *)((char *)job - offsetof(struct curate_req, job));
	r->rc = job->rc;
	r->err = job->err;
	r->curator = curate_trust(r->node)->curator_node;
	if (!job->rc)
		r->changes.trust_changed = true; /* its subject may have records peers hold */
	r->done(r);
}

static const struct wjob_kind statement_job = { "statement", statement_work, statement_done };

void curate_statement_submit(struct node *n, struct curate_req *r)
{
	r->node = n;
	writer_submit(&n->writer, &r->job, &statement_job);
}
