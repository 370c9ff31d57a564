#include "ingest.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "doc.h"

#define CHUNK 128

struct ingest_chunk {
	uv_work_t req;
	struct ingest_batch *b;
	size_t from, to;
	uint64_t now;
	struct gl_error first; /* first rejection in this chunk */
};

/* Everything about one record that needs no store: runs on a pool thread. */
static int check_one(struct node *n, struct ingest_rec *r, uint64_t now, struct gl_error *err)
{
	int rc = record_parse(r->env, r->len, &r->rec, err);
	if (rc)
		return rc;
	const struct record *rec = &r->rec;
	if (record_verify(rec))
		return gl_errorf(err, GL_ESIG, "%s/%.*s: signature does not verify",
		                 record_kind_name(rec->kind), (int)rec->id_len, rec->id);
	if (rec->issued > now + n->cfg.max_clock_skew)
		return gl_errorf(err, GL_ETIME,
		                 "%s/%.*s: issued %llus in the future (more than [limits] "
		                 "max_clock_skew)", record_kind_name(rec->kind), (int)rec->id_len,
		                 rec->id, (unsigned long long)(rec->issued - now));
	if (rec->expires <= now)
		return gl_errorf(err, GL_ETIME, "%s/%.*s: expired", record_kind_name(rec->kind),
		                 (int)rec->id_len, rec->id);
	if (rec->body)
		return doc_check_body(n->schemas, rec->kind, rec->id, rec->id_len, rec->body,
		                      rec->body_len, err);
	return 0;
}

static void check_chunk(uv_work_t *req)
{
	struct ingest_chunk *c = req->data;
	c->first.msg[0] = '\0';
	for (size_t i = c->from; i < c->to; i++) {
		struct gl_error e;
		struct ingest_rec *r = &c->b->recs[i];
		r->status = check_one(c->b->node, r, c->now, &e);
		if (r->status && !c->first.msg[0])
			c->first = e;
	}
}

static int commit_work(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	struct ingest_batch *b = (struct ingest_batch *)((char *)job - offsetof(struct ingest_batch, job));
	for (size_t i = 0; i < b->n; i++) {
		struct ingest_rec *r = &b->recs[i];
		if (r->status < 0)
			continue;
		enum store_outcome oc;
		int rc = store_put(t, &r->rec, &oc, err);
		if (rc)
			return rc;
		r->status = (int)oc;
	}
	return 0;
}

static void commit_done(struct wjob *job)
{
	struct ingest_batch *b = (struct ingest_batch *)((char *)job - offsetof(struct ingest_batch, job));
	struct node *n = b->node;
	b->rc = job->rc;
	if (job->rc) {
		b->err = job->err;
		b->accepted = b->older = 0;
		b->rejected = (unsigned)b->n;
	} else {
		for (size_t i = 0; i < b->n; i++) {
			int s = b->recs[i].status;
			if (s == STORE_NEW || s == STORE_REPLACED)
				b->accepted++;
			else if (s == STORE_OLDER || s == STORE_SAME)
				b->older++;
		}
		n->counters.ingested += b->accepted;
		n->counters.older += b->older;
	}
	n->counters.rejected += b->rejected;
	b->done(b);
}

static void chunk_done(uv_work_t *req, int status)
{
	struct ingest_chunk *c = req->data;
	struct ingest_batch *b = c->b;
	if (status == UV_ECANCELED)
		for (size_t i = c->from; i < c->to; i++)
			b->recs[i].status = GL_EIO;
	if (c->first.msg[0] && !b->err.msg[0])
		b->err = c->first;
	if (--b->chunks_left)
		return;
	free(b->chunks);
	b->chunks = NULL;
	for (size_t i = 0; i < b->n; i++)
		if (b->recs[i].status < 0)
			b->rejected++;
	if (b->rejected == b->n) {
		b->job.rc = 0;
		commit_done(&b->job);
		return;
	}
	b->job.work = commit_work;
	b->job.done = commit_done;
	writer_submit(&b->node->writer, &b->job);
}

void ingest_submit(struct node *n, struct ingest_batch *b)
{
	b->node = n;
	b->accepted = b->older = b->rejected = 0;
	b->rc = 0;
	b->err.msg[0] = '\0';
	b->err.code = 0;
	if (b->n == 0) {
		b->done(b);
		return;
	}
	size_t nchunks = (b->n + CHUNK - 1) / CHUNK;
	b->chunks = gl_xcalloc(nchunks, sizeof *b->chunks);
	b->chunks_left = (unsigned)nchunks;
	uint64_t now = clock_now();
	for (size_t i = 0; i < nchunks; i++) {
		struct ingest_chunk *c = &b->chunks[i];
		c->b = b;
		c->from = i * CHUNK;
		c->to = c->from + CHUNK < b->n ? c->from + CHUNK : b->n;
		c->now = now;
		c->req.data = c;
		uv_queue_work(n->loop, &c->req, check_chunk, chunk_done);
	}
}
