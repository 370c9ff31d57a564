#include "daemon/ctl_ops.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/clock.h"
#include "daemon/ctl_pack.h"
#include "daemon/curate.h"
#include "proto/ident.h"
#include "gilde_config.h"
#include "daemon/gossip.h"
#include "daemon/ingest.h"
#include "daemon/insightd.h"
#include "daemon/log.h"
#include "proto/msg.h"
#include "daemon/net.h"
#include "daemon/publish.h"
#include "daemon/self.h"
#include "daemon/sketch.h"
#include "daemon/web.h"

/* Most records one import request may carry. */
#define IMPORT_BATCH_MAX 8192

static void op_status(struct ctl_req *cl, const msgpack_object *req)
{
	struct node *n = ctl_node(cl);
	(void)req;
	struct gl_buf out = { 0 };
	msgpack_packer pk;
	ctl_pack_ok(&out, &pk, (n->web ? 18 : 17) + insightd_has_status(n));
	ctl_pack_uint(&pk, "pid", (uint64_t)getpid());
	ctl_pack_str(&pk, "version", GILDE_VERSION);
	ctl_pack_str(&pk, "key", n->key_text);
	ctl_pack_str(&pk, "name", n->name);
	ctl_pack_str(&pk, "data", n->data);
	ctl_pack_str(&pk, "config", n->cfg.path ? n->cfg.path : "");
	ctl_pack_str(&pk, "listen", n->listen_addr);
	ctl_pack_uint(&pk, "uptime_ms", clock_mono_ms() - n->started_ms);
	ctl_pack_uint(&pk, "published", n->counters.published);
	ctl_pack_uint(&pk, "ingested", n->counters.ingested);
	/* when the last record was stored, in ms after the start (0: none yet) */
	ctl_pack_uint(&pk, "last_ingest_ms",
	             n->counters.last_ingest_ms ? n->counters.last_ingest_ms - n->started_ms : 0);
	ctl_pack_uint(&pk, "older", n->counters.older);
	ctl_pack_uint(&pk, "rejected", n->counters.rejected);
	msg_pack_str(&pk, "rejected_by");
	msgpack_pack_map(&pk, REJECT_COUNT);
	for (int i = 0; i < REJECT_COUNT; i++)
		ctl_pack_uint(&pk, ingest_reason_name((enum reject_reason)i), n->counters.rejected_by[i]);
	ctl_pack_uint(&pk, "commits", n->writer.committed);
	/* why the store takes no writes now (a full disk or map); "" if it does */
	struct gl_error why = { 0 };
	ctl_pack_str(&pk, "store_error", writer_failing(&n->writer, &why) ? why.msg : "");
	struct store_mem mu;
	store_mem_read(&mu);
	msg_pack_str(&pk, "memory");
	msgpack_pack_map(&pk, 5);
	ctl_pack_uint(&pk, "resident", mu.resident);
	ctl_pack_uint(&pk, "anonymous", mu.anonymous);
	ctl_pack_uint(&pk, "file", mu.file);
	ctl_pack_uint(&pk, "peak", mu.peak);
	ctl_pack_uint(&pk, "map_releases", store_map_releases(n->store));
	if (n->web) {
		struct web_counters wc;
		web_counters(n, &wc);
		msg_pack_str(&pk, "web");
		msgpack_pack_map(&pk, 7);
		ctl_pack_str(&pk, "listen", n->web_addr);
		ctl_pack_uint(&pk, "requests", wc.requests);
		ctl_pack_uint(&pk, "client_errors", wc.client_errors);
		ctl_pack_uint(&pk, "rate_limited", wc.rate_limited);
		ctl_pack_uint(&pk, "server_errors", wc.server_errors);
		ctl_pack_uint(&pk, "answers_cached", wc.answers_cached);
		ctl_pack_uint(&pk, "answers_computed", wc.answers_computed);
	}
	if (insightd_has_status(n))
		insightd_pack_status(n, &pk);
	ctl_reply(cl, &out);
}

static void reply_publish(struct publish_req *r)
{
	struct ctl_req *cl = r->ctx;
	if (r->rc) {
		ctl_reply_error(cl, r->rc, r->err.msg);
		publish_req_free(r);
		return;
	}
	size_t nitems = r->ndocs ? r->ndocs : 1;
	uint8_t (*items)[32] = gl_xmalloc(nitems * 32);
	publish_req_items(r, items);
	for (size_t i = 0; i < r->ndocs; i++)
		log_debug("published", "kind=%s id=%s version=%llu", record_kind_name(r->docs[i].kind),
		          r->docs[i].id, (unsigned long long)r->docs[i].version);
	gossip_announce(ctl_node(cl), (const uint8_t (*)[32])items, nitems, NULL);
	free(items);
	struct gl_buf out = { 0 };
	msgpack_packer pk;
	ctl_pack_ok(&out, &pk, 1);
	msg_pack_str(&pk, "results");
	size_t n = r->ndocs ? r->ndocs : 1;
	msgpack_pack_array(&pk, n);
	for (size_t i = 0; i < n; i++) {
		bool retract = r->ndocs == 0;
		const struct publish_doc *d = retract ? NULL : &r->docs[i];
		msgpack_pack_map(&pk, 5);
		ctl_pack_str(&pk, "kind", record_kind_name(retract ? r->retract_kind : d->kind));
		ctl_pack_str(&pk, "id", retract ? r->retract_id : d->id);
		ctl_pack_uint(&pk, "version", retract ? r->retract_version : d->version);
		ctl_pack_bin(&pk, "cid", retract ? r->retract_cid : d->cid, RECORD_CID_LEN);
		ctl_pack_str(&pk, "source", retract ? "" : d->source);
	}
	ctl_reply(cl, &out);
	publish_req_free(r);
}

static void op_publish(struct ctl_req *cl, const msgpack_object *req)
{
	const msgpack_object *docs = msg_get(req, "docs");
	if (!docs || docs->type != MSGPACK_OBJECT_ARRAY || docs->via.array.size == 0 ||
	    docs->via.array.size > IMPORT_BATCH_MAX) {
		ctl_reply_error(cl, GL_EPROTO, "publish needs \"docs\": an array of 1 to 8192 documents");
		return;
	}
	struct publish_req *r = gl_xcalloc(1, sizeof *r);
	r->ndocs = docs->via.array.size;
	r->docs = gl_xcalloc(r->ndocs, sizeof *r->docs);
	for (size_t i = 0; i < r->ndocs; i++) {
		const msgpack_object *d = &docs->via.array.ptr[i];
		const char *src, *json;
		size_t sl, jl;
		if (!msg_get_str(d, "source", &src, &sl) || !msg_get_str(d, "json", &json, &jl)) {
			publish_req_free(r);
			ctl_reply_error(cl, GL_EPROTO, "each document needs \"source\" and \"json\" strings");
			return;
		}
		r->docs[i].source = gl_xstrndup(src, sl);
		r->docs[i].json = gl_xstrndup(json, jl);
		r->docs[i].json_len = jl;
	}
	r->done = reply_publish;
	r->ctx = cl;
	publish_submit(ctl_node(cl), r);
}

static void op_retract(struct ctl_req *cl, const msgpack_object *req)
{
	char kind[16];
	struct publish_req *r = gl_xcalloc(1, sizeof *r);
	if (!msg_get_cstr(req, "kind", kind, sizeof kind) ||
	    !msg_get_cstr(req, "id", r->retract_id, sizeof r->retract_id) ||
	    !(r->retract_kind = record_kind_parse(kind, strlen(kind)))) {
		publish_req_free(r);
		ctl_reply_error(cl, GL_EPROTO, "retract needs \"kind\" and \"id\"");
		return;
	}
	r->done = reply_publish;
	r->ctx = cl;
	publish_submit(ctl_node(cl), r);
}

struct import_req {
	struct ingest_batch b;
	struct gl_buf data; /* the envelopes, back to back */
	struct ctl_req *cl;
};

static void reply_import(struct ingest_batch *b)
{
	struct import_req *ir = b->ctx;
	if (b->rc) {
		ctl_reply_error(ir->cl, b->rc, b->err.msg);
	} else {
		gossip_stored(ctl_node(ir->cl), b, NULL);
		struct gl_buf out = { 0 };
		msgpack_packer pk;
		ctl_pack_ok(&out, &pk, 6);
		ctl_pack_uint(&pk, "accepted", b->accepted);
		ctl_pack_uint(&pk, "older", b->older);
		ctl_pack_uint(&pk, "rejected", b->rejected);
		ctl_pack_uint(&pk, "refused", b->refused);
		ctl_pack_uint(&pk, "applications", b->applications);
		ctl_pack_str(&pk, "first_error", b->err.msg);
		ctl_reply(ir->cl, &out);
	}
	char q[300];
	if (b->rejected)
		log_info("import-rejected", "count=%u first=%s", b->rejected, log_q(b->err.msg, q, sizeof q));
	gl_buf_free(&ir->data);
	free(b->recs);
	curate_changes_free(&b->changes);
	free(ir);
}

static void op_import(struct ctl_req *cl, const msgpack_object *req)
{
	const msgpack_object *recs = msg_get(req, "records");
	if (!recs || recs->type != MSGPACK_OBJECT_ARRAY || recs->via.array.size > IMPORT_BATCH_MAX) {
		ctl_reply_error(cl, GL_EPROTO, "import needs \"records\": an array of at most 8192 envelopes");
		return;
	}
	struct import_req *ir = gl_xcalloc(1, sizeof *ir);
	size_t n = recs->via.array.size;
	ir->cl = cl;
	ir->b.recs = gl_xcalloc(n ? n : 1, sizeof *ir->b.recs);
	ir->b.n = n;
	size_t *offs = gl_xcalloc(n ? n : 1, sizeof *offs);
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *o = &recs->via.array.ptr[i];
		if (o->type != MSGPACK_OBJECT_BIN) {
			free(offs);
			gl_buf_free(&ir->data);
			free(ir->b.recs);
			free(ir);
			ctl_reply_error(cl, GL_EPROTO, "import: every record must be binary");
			return;
		}
		offs[i] = ir->data.len;
		gl_buf_append(&ir->data, o->via.bin.ptr, o->via.bin.size);
		ir->b.recs[i].len = o->via.bin.size;
	}
	for (size_t i = 0; i < n; i++)
		ir->b.recs[i].env = ir->data.data + offs[i];
	free(offs);
	ir->b.done = reply_import;
	ir->b.ctx = ir;
	ingest_submit(ctl_node(cl), &ir->b);
}

static void op_peers(struct ctl_req *cl, const msgpack_object *req)
{
	(void)req;
	struct gl_buf out = { 0 };
	msgpack_packer pk;
	ctl_pack_ok(&out, &pk, 1);
	msg_pack_str(&pk, "peers");
	net_pack_peers(ctl_node(cl), &pk);
	ctl_reply(cl, &out);
}

/* sketch: the v3 sketch against one built anew from the store (tests,
 * operators; PROTOCOL.md 5) */
static void reply_sketch(void *ctx, const struct sketch_check *r)
{
	struct ctl_req *cl = ctx;
	if (r->rc) {
		ctl_reply_error(cl, r->rc, "reading the store's items failed");
		return;
	}
	struct gl_buf out = { 0 };
	msgpack_packer pk;
	ctl_pack_ok(&out, &pk, 6);
	ctl_pack_bool(&pk, "ready", r->ready);
	ctl_pack_bool(&pk, "moved", r->moved);
	ctl_pack_bool(&pk, "equal", r->equal);
	ctl_pack_uint(&pk, "items", r->items);
	ctl_pack_uint(&pk, "fresh_items", r->fresh_items);
	ctl_pack_uint(&pk, "txn", r->txn_id);
	ctl_reply(cl, &out);
}

static void op_sketch(struct ctl_req *cl, const msgpack_object *req)
{
	(void)req;
	sketch_check(ctl_node(cl), reply_sketch, cl);
}

static void reply_statement(struct curate_req *r)
{
	struct ctl_req *cl = r->ctx;
	if (r->rc) {
		ctl_reply_error(cl, r->rc, r->err.msg);
	} else {
		gossip_curated(ctl_node(cl), &r->changes);
		struct gl_buf out = { 0 };
		msgpack_packer pk;
		ctl_pack_ok(&out, &pk, 2);
		ctl_pack_uint(&pk, "purged", r->changes.purged);
		ctl_pack_bool(&pk, "curator", r->curator);
		ctl_reply(cl, &out);
	}
	curate_changes_free(&r->changes);
	free(r);
}

/* endorse: key, name, [until], [replaces]; revoke: key, [reason] */
static void op_statement(struct ctl_req *cl, const msgpack_object *req, bool revoke)
{
	struct curate_req *r = gl_xcalloc(1, sizeof *r);
	char key[IDENT_TEXT_MAX + 8], replaces[IDENT_TEXT_MAX + 8];
	struct gl_error err = { 0 };
	r->revoke = revoke;
	if (!msg_get_cstr(req, "key", key, sizeof key) ||
	    ident_parse(IDENT_PK_PREFIX, key, "key", r->key, &err)) {
		ctl_reply_error(cl, GL_EINVAL, err.msg[0] ? err.msg : "a key (ed25519:...) is needed");
		free(r);
		return;
	}
	if (!revoke && !msg_get_cstr(req, "name", r->name, sizeof r->name)) {
		ctl_reply_error(cl, GL_EINVAL, "endorse needs the partner's name (at most 200 bytes)");
		free(r);
		return;
	}
	msg_get_cstr(req, "until", r->until, sizeof r->until);
	msg_get_cstr(req, "reason", r->reason, sizeof r->reason);
	if (msg_get_cstr(req, "replaces", replaces, sizeof replaces)) {
		if (ident_parse(IDENT_PK_PREFIX, replaces, "replaced key", r->replaces, &err)) {
			ctl_reply_error(cl, GL_EINVAL, err.msg);
			free(r);
			return;
		}
		r->has_replaces = true;
	}
	r->done = reply_statement;
	r->ctx = cl;
	curate_statement_submit(ctl_node(cl), r);
}

static void op_endorse(struct ctl_req *cl, const msgpack_object *req)
{
	op_statement(cl, req, false);
}

static void op_revoke(struct ctl_req *cl, const msgpack_object *req)
{
	op_statement(cl, req, true);
}

static void reply_rotate(struct self_rotate_req *r)
{
	struct ctl_req *cl = r->ctx;
	if (r->rc) {
		ctl_reply_error(cl, r->rc, r->err.msg);
	} else {
		char old[IDENT_TEXT_MAX];
		ident_format(IDENT_PK_PREFIX, r->old_pk, old);
		struct gl_buf out = { 0 };
		msgpack_packer pk;
		ctl_pack_ok(&out, &pk, 5);
		ctl_pack_str(&pk, "old", old);
		ctl_pack_str(&pk, "new", ctl_node(cl)->key_text);
		ctl_pack_uint(&pk, "resigned", r->resigned);
		ctl_pack_uint(&pk, "retired", r->retired);
		ctl_pack_bool(&pk, "curated", r->curated);
		ctl_reply(cl, &out);
	}
	self_rotate_free(r);
}

static void op_rotate(struct ctl_req *cl, const msgpack_object *req)
{
	(void)req;
	struct self_rotate_req *r = gl_xcalloc(1, sizeof *r);
	r->done = reply_rotate;
	r->ctx = cl;
	self_rotate_submit(ctl_node(cl), r);
}

const struct ctl_op ctl_ops[] = {
	{ "endorse", op_endorse },
	{ "revoke", op_revoke },
	{ "rotate-key", op_rotate },
	{ "peers", op_peers },
	{ "sketch", op_sketch },
	{ "status", op_status },
	{ "publish", op_publish },
	{ "retract", op_retract },
	{ "import", op_import },
	{ "insight", insightd_ctl },
	{ NULL, NULL },
};
