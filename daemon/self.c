#include "daemon/self.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "proto/ident.h"
#include "proto/msg.h"
#include "proto/record.h"
#include "daemon/curate.h"
#include "daemon/gossip.h"
#include "daemon/identity.h"
#include "daemon/itemset.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "daemon/publish.h"
#include "store/trust.h"

/* ---- the node record ------------------------------------------------------ */

struct node_record_req {
	struct wjob job;
	struct node *node;
	bool published;
	uint8_t item[32];
};

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static void pack_node_body(const struct node *n, struct gl_buf *body)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, body, buf_write);
	size_t nl = strlen(n->name);
	if (nl > 128)
		nl = 128;
	msgpack_pack_map(&pk, 2);
	msg_pack_str(&pk, "name");
	msgpack_pack_str_with_body(&pk, n->name, nl);
	msg_pack_str(&pk, "endpoints");
	msgpack_pack_array(&pk, n->endpoints.n);
	for (unsigned i = 0; i < n->endpoints.n; i++)
		msg_pack_str(&pk, n->endpoints.v[i]);
}

static int write_node_record(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	struct node_record_req *nr = (struct node_record_req *)job;
	struct node *n = nr->node;
	struct gl_buf body = { 0 };
	pack_node_body(n, &body);
	uint64_t now = clock_now();
	struct store_entry held;
	int rc = 0;
	if (store_get(t, n->pk, RK_NODE, "node", 4, &held, NULL) == 0) {
		struct record r;
		if (!held.tombstone && record_parse(held.env, held.env_len, &r, NULL) == 0 &&
		    r.body_len == body.len && !memcmp(r.body, body.data, body.len) &&
		    held.expires > now + n->cfg.lifetime / 2)
			goto out; /* unchanged and far from expiring */
	}
	rc = publish_record(n, t, n->sk, RK_NODE, "node", body.data, body.len, now + n->cfg.lifetime,
	                    nr->item, NULL, NULL, err);
	nr->published = rc == 0;
out:
	gl_buf_free(&body);
	return rc;
}

static void node_record_written(struct wjob *job)
{
	struct node_record_req *nr = (struct node_record_req *)job;
	if (job->rc)
		log_error("node-record-failed", "reason=\"%s\"", job->err.msg);
	else if (nr->published) {
		log_info("node-record", "endpoints=%u", nr->node->endpoints.n);
		gossip_announce(nr->node, (const uint8_t (*)[32])&nr->item, 1, NULL);
	}
	free(nr);
}

static const struct wjob_kind node_record_job = { "node-record", write_node_record,
                                                  node_record_written };

void self_publish_node_record(struct node *n)
{
	if (!n->endpoints.n) {
		log_info("node-record-skipped",
		         "reason=\"listening on a wildcard address; set [node] public to be found\"");
		return;
	}
	struct node_record_req *nr = gl_xcalloc(1, sizeof *nr);
	nr->node = n;
	writer_submit(&n->writer, &nr->job, &node_record_job);
}

/* ---- a new key ------------------------------------------------------------- */

/* This node's records but its node record (made anew after the switch),
 * as kind(1) id_len(1) id, back to back: the store cannot be read on while
 * it is written. */
static int collect_own(void *ctx, const struct store_entry *e)
{
	struct gl_buf *list = ctx;
	if (e->kind == RK_NODE)
		return 0;
	uint8_t h[2] = { (uint8_t)e->kind, (uint8_t)e->id_len };
	gl_buf_append(list, h, 2);
	gl_buf_append(list, e->id, e->id_len);
	return 0;
}

/* Sign every record of this node again with r->new_sk. */
static int resign_own(struct self_rotate_req *r, struct store_txn *t, struct gl_error *err)
{
	struct node *n = r->node;
	struct gl_buf list = { 0 };
	struct store_filter f = { .author = n->pk };
	int rc = store_scan(t, &f, collect_own, &list, err);
	uint64_t now = clock_now();
	for (size_t off = 0; !rc && off < list.len;) {
		int kind = list.data[off];
		size_t il = list.data[off + 1];
		char id[GL_ID_MAX + 1];
		memcpy(id, list.data + off + 2, il);
		id[il] = '\0';
		off += 2 + il;
		struct store_entry e;
		struct record rec;
		if ((rc = store_get(t, n->pk, kind, id, il, &e, err)) ||
		    (rc = record_parse(e.env, e.env_len, &rec, err)))
			break;
		/* a copy: rec points into the map, which the write changes */
		struct gl_buf body = { 0 };
		gl_buf_append(&body, rec.body, rec.body_len);
		uint8_t item[32];
		rc = publish_record(n, t, r->new_sk, kind, id, body.data, body.len,
		                    now + n->cfg.lifetime, item, NULL, NULL, err);
		gl_buf_free(&body);
		if (!rc) {
			itemlist_push(&r->announce, item);
			r->resigned++;
		}
	}
	gl_buf_free(&list);
	return rc;
}

/* The old key's records that stand for the partner: the directory's kinds
 * and the node record.  Its statements (endorse, revoke) keep their
 * signer: a curator's stay valid for as long as nodes name that key. */
static bool retired_kind(int kind)
{
	return kind == RK_PARTNER || kind == RK_OFFER || kind == RK_EVENT || kind == RK_NEWS ||
	       kind == RK_NODE;
}

/* The old key's live records of those kinds, as kind(1) expires(8)
 * id_len(1) id, back to back (the store cannot be read on while it is
 * written). */
static int collect_retired(void *ctx, const struct store_entry *e)
{
	struct gl_buf *list = ctx;
	if (!retired_kind(e->kind) || e->tombstone)
		return 0;
	uint8_t h[10] = { (uint8_t)e->kind };
	memcpy(h + 1, &e->expires, 8);
	h[9] = (uint8_t)e->id_len;
	gl_buf_append(list, h, sizeof h);
	gl_buf_append(list, e->id, e->id_len);
	return 0;
}

/*
 * Take the old key's records out of the directory, now that their copies
 * under the new key are stored.  In a curated federation the other nodes
 * keep the old copies (they do not accept the new key yet) until a
 * curator endorses the new key with `replaces`, which revokes the old one
 * everywhere: here they are deleted, and the store's list of retired keys
 * keeps peers from bringing them back (curate_admit).  Otherwise (own
 * records only, an allow list, an open node) every node that accepts the
 * old key must drop them: they are retracted, with tombstones signed by
 * the old key that outlive them.
 */
static int retire_old(struct self_rotate_req *r, struct store_txn *t, bool curated,
                      struct gl_error *err)
{
	struct node *n = r->node;
	struct gl_buf list = { 0 };
	struct store_filter f = { .author = n->pk };
	int rc = store_scan(t, &f, collect_retired, &list, err);
	uint64_t now = clock_now();
	for (size_t off = 0; !rc && off < list.len;) {
		int kind = list.data[off];
		uint64_t expires;
		memcpy(&expires, list.data + off + 1, 8);
		size_t il = list.data[off + 9];
		char id[GL_ID_MAX + 1];
		memcpy(id, list.data + off + 10, il);
		id[il] = '\0';
		off += 10 + il;
		bool removed = false;
		uint8_t item[32];
		uint64_t until = now + n->cfg.tombstone_lifetime;
		if (curated)
			rc = store_delete(t, n->pk, kind, id, il, &removed, err);
		else if (!(rc = publish_record(n, t, n->sk, kind, id, NULL, 0,
		                               expires > until ? expires : until, item, NULL, NULL,
		                               err)))
			itemlist_push(&r->announce, item);
		r->retired += curated ? removed : rc == 0;
	}
	if (!rc && curated)
		rc = trust_retired_add(t, n->pk, err);
	gl_buf_free(&list);
	return rc;
}

static int write_rotation(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	struct self_rotate_req *r =
		(struct self_rotate_req *)((char *)job - offsetof(struct self_rotate_req, job));
	struct node *n = r->node;
	uint8_t seed[32], pk[32];
	randombytes_buf(seed, sizeof seed);
	crypto_sign_seed_keypair(pk, r->new_sk, seed);
	memcpy(r->old_pk, n->pk, 32);
	const struct trust_cfg *tc_now = &curate_trust(n)->cfg;
	r->curated = tc_now->ncurators && !tc_now->open;
	int rc = resign_own(r, t, err);
	if (!rc)
		rc = retire_old(r, t, r->curated, err);
	if (!rc)
		rc = store_meta_put(t, "node_pk", pk, 32, err);
	if (!rc) {
		struct trust_cfg tc = curate_trust(n)->cfg;
		memcpy(tc.own, pk, 32);
		rc = trust_cfg_save(&tc, t, err);
	}
	/* the key file last: if it fails, the transaction is abandoned too */
	if (!rc)
		rc = identity_replace(n->data, n->pk, seed, err);
	sodium_memzero(seed, sizeof seed);
	return rc;
}

static void rotation_written(struct wjob *job)
{
	struct self_rotate_req *r =
		(struct self_rotate_req *)((char *)job - offsetof(struct self_rotate_req, job));
	struct node *n = r->node;
	r->rc = job->rc;
	r->err = job->err;
	if (!job->rc) {
		/* switch keys on the loop thread, between writer jobs */
		sodium_mprotect_readwrite(n->sk);
		memcpy(n->sk, r->new_sk, 64);
		sodium_mprotect_readonly(n->sk);
		memcpy(n->pk, n->sk + 32, 32);
		curate_init(n); /* a new snapshot with the new own key */
		ident_format(IDENT_PK_PREFIX, n->pk, n->key_text);
		char old[IDENT_TEXT_MAX];
		ident_format(IDENT_PK_PREFIX, r->old_pk, old);
		log_info("key-rotated", "old=%s new=%s resigned=%u retired=%u how=%s", old, n->key_text,
		         r->resigned, r->retired, r->curated ? "deleted-here" : "retracted");
		/* links were authenticated with the old key: make them again */
		net_close_links(n, "key rotated");
		self_publish_node_record(n);
		gossip_announce(n, (const uint8_t (*)[32])r->announce.v, r->announce.n, NULL);
	}
	r->done(r);
}

static const struct wjob_kind rotate_job = { "rotate-key", write_rotation, rotation_written };

void self_rotate_submit(struct node *n, struct self_rotate_req *r)
{
	r->node = n;
	r->new_sk = sodium_malloc(64);
	if (!r->new_sk) {
		r->rc = gl_errorf(&r->err, GL_EIO, "cannot allocate protected memory for the new key");
		r->done(r);
		return;
	}
	writer_submit(&n->writer, &r->job, &rotate_job);
}

void self_rotate_free(struct self_rotate_req *r)
{
	if (r->new_sk)
		sodium_free(r->new_sk);
	free(r->announce.v);
	free(r);
}
