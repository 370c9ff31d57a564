#include "publish.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "doc.h"

static uint64_t next_version(struct store_txn *t, const uint8_t *pk, int kind, const char *id,
                             size_t id_len, struct store_entry *held, bool *found)
{
	uint64_t v = clock_now_ms();
	struct store_entry e;
	*found = store_get(t, pk, kind, id, id_len, &e, NULL) == 0;
	if (*found) {
		*held = e;
		if (e.version >= v)
			v = e.version + 1;
	}
	return v;
}

static int sign_and_put(struct node *n, struct store_txn *t, const struct record_draft *d,
                        uint8_t cid[RECORD_CID_LEN], int *outcome, struct gl_error *err)
{
	struct gl_buf env = { 0 };
	struct record rec;
	int rc = record_sign(d, n->sk, &env, err);
	if (!rc)
		rc = record_parse(env.data, env.len, &rec, err);
	if (!rc) {
		enum store_outcome oc;
		record_cid(env.data, env.len, cid);
		rc = store_put(t, &rec, &oc, err);
		*outcome = (int)oc;
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
		bool found;
		size_t idl = strlen(r->retract_id);
		uint64_t v = next_version(t, n->pk, r->retract_kind, r->retract_id, idl, &held, &found);
		if (!found || held.tombstone)
			return gl_errorf(err, GL_ENOTFOUND, "%s/%s: this node has published no such record",
			                 record_kind_name(r->retract_kind), r->retract_id);
		struct record_draft d = {
			.kind = r->retract_kind, .id = r->retract_id, .id_len = idl,
			.version = v, .issued = now, .expires = now + n->cfg.tombstone_lifetime,
		};
		int oc;
		r->retract_version = v;
		return sign_and_put(n, t, &d, r->retract_cid, &oc, err);
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
		struct store_entry held;
		bool found;
		uint64_t v = next_version(t, n->pk, doc.kind, doc.id, strlen(doc.id), &held, &found);
		struct record_draft d = {
			.kind = doc.kind, .id = doc.id, .id_len = strlen(doc.id),
			.version = v, .issued = now, .expires = now + n->cfg.lifetime,
			.body = doc.body.data, .body_len = doc.body.len,
		};
		pd->kind = doc.kind;
		memcpy(pd->id, doc.id, sizeof pd->id);
		pd->version = v;
		rc = sign_and_put(n, t, &d, pd->cid, &pd->outcome, err);
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

void publish_submit(struct node *n, struct publish_req *r)
{
	r->node = n;
	r->rc = 0;
	r->err.msg[0] = '\0';
	r->job.work = publish_work;
	r->job.done = publish_done;
	writer_submit(&n->writer, &r->job);
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

static void item_of(const uint8_t pk[32], int kind, const char *id, uint64_t version,
                    const uint8_t cid[RECORD_CID_LEN], uint8_t item[32])
{
	record_keyhash(pk, kind, id, strlen(id), item);
	for (int i = 0; i < 8; i++)
		item[16 + i] = (uint8_t)(version >> (56 - 8 * i));
	memcpy(item + 24, cid, 8);
}

void publish_req_items(const struct publish_req *r, uint8_t (*items)[32])
{
	if (r->ndocs == 0) {
		item_of(r->node->pk, r->retract_kind, r->retract_id, r->retract_version,
		        r->retract_cid, items[0]);
		return;
	}
	for (size_t i = 0; i < r->ndocs; i++)
		item_of(r->node->pk, r->docs[i].kind, r->docs[i].id, r->docs[i].version,
		        r->docs[i].cid, items[i]);
}
