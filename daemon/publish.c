#include "daemon/publish.h"

#include <stdlib.h>
#include <string.h>

#include "proto/clock.h"
#include "schemas/doc.h"

int publish_record(struct node *n, struct store_txn *t, const uint8_t sk[64], int kind,
                   const char *id, const uint8_t *body, size_t body_len, uint64_t expires,
                   uint8_t item[32], uint8_t cid_out[RECORD_CID_LEN], uint64_t *version_out,
                   struct gl_error *err)
{
	(void)n;
	size_t id_len = strlen(id);
	uint64_t now = clock_now(), version = clock_now_ms();
	struct store_entry held;
	if (store_get(t, sk + 32, kind, id, id_len, &held, NULL) == 0 && held.version >= version)
		version = held.version + 1;
	struct record_draft d = { .kind = kind, .id = id, .id_len = id_len, .version = version,
	                          .issued = now, .expires = expires, .body = body,
	                          .body_len = body ? body_len : 0 };
	struct gl_buf env = { 0 };
	struct record rec;
	enum store_outcome oc;
	uint8_t cid[RECORD_CID_LEN], own_item[RECORD_ITEM_LEN];
	int rc = record_sign(&d, sk, &env, err);
	if (!rc)
		rc = record_parse(env.data, env.len, &rec, err);
	if (!rc) {
		/* the hashes once: for the store and for the caller */
		if (!item)
			item = own_item;
		record_cid(env.data, env.len, cid);
		record_item(&rec, cid, item);
		rc = store_put_hashed(t, &rec, cid, item, NULL, &oc, err);
	}
	if (!rc) {
		if (cid_out)
			memcpy(cid_out, cid, sizeof cid);
		if (version_out)
			*version_out = version;
	}
	gl_buf_free(&env);
	return rc;
}

static int publish_work(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	struct publish_req *r = (struct publish_req *)((char *)job - offsetof(struct publish_req, job));
	struct node *n = r->node;
	uint64_t now = clock_now();

	if (r->ndocs == 0) {
		struct store_entry held;
		if (store_get(t, n->pk, r->retract_kind, r->retract_id, strlen(r->retract_id), &held,
		              NULL) != 0 || held.tombstone)
			return gl_errorf(err, GL_ENOTFOUND, "%s/%s: this node has published no such record",
			                 record_kind_name(r->retract_kind), r->retract_id);
		return publish_record(n, t, n->sk, r->retract_kind, r->retract_id, NULL, 0,
		                      now + n->cfg.tombstone_lifetime, NULL, r->retract_cid,
		                      &r->retract_version, err);
	}

	for (size_t i = 0; i < r->ndocs; i++) {
		struct publish_doc *pd = &r->docs[i];
		struct doc doc;
		int rc = doc_parse(n->schemas, pd->json, pd->json_len, pd->source, &doc, err);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (r->docs[j].kind == doc.kind && !strcmp(r->docs[j].id, doc.id)) {
				doc_free(&doc);
				return gl_errorf(err, GL_EINVAL, "%s: %s/%s is also in %s; publish one of them",
				                 pd->source, record_kind_name(doc.kind), doc.id,
				                 r->docs[j].source);
			}
		pd->kind = doc.kind;
		memcpy(pd->id, doc.id, sizeof pd->id);
		rc = publish_record(n, t, n->sk, doc.kind, doc.id, doc.body.data, doc.body.len,
		                    now + n->cfg.lifetime, NULL, pd->cid, &pd->version, err);
		doc_free(&doc);
		if (rc) {
			gl_error_prefix(err, rc, "%s", pd->source);
			return rc;
		}
	}
	return 0;
}

static void publish_done(struct wjob *job)
{
	struct publish_req *r = (struct publish_req *)((char *)job - offsetof(struct publish_req, job));
	r->rc = job->rc;
	r->err = job->err;
	if (!job->rc)
		r->node->counters.published += r->ndocs ? r->ndocs : 1;
	r->done(r);
}

static const struct wjob_kind publish_job = { "publish", publish_work, publish_done };

void publish_submit(struct node *n, struct publish_req *r)
{
	r->node = n;
	r->rc = 0;
	r->err.msg[0] = '\0';
	writer_submit(&n->writer, &r->job, &publish_job);
}

void publish_req_free(struct publish_req *r)
{
	for (size_t i = 0; i < r->ndocs; i++) {
		free(r->docs[i].source);
		free(r->docs[i].json);
	}
	free(r->docs);
	free(r);
}

void publish_req_items(const struct publish_req *r, uint8_t (*items)[32])
{
	if (r->ndocs == 0) {
		record_item_of(r->node->pk, r->retract_kind, r->retract_id, strlen(r->retract_id),
		               r->retract_version, r->retract_cid, items[0]);
		return;
	}
	for (size_t i = 0; i < r->ndocs; i++)
		record_item_of(r->node->pk, r->docs[i].kind, r->docs[i].id, strlen(r->docs[i].id),
		               r->docs[i].version, r->docs[i].cid, items[i]);
}
