#include "daemon/ingest.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "daemon/curate.h"
#include "schemas/doc.h"
#include "proto/ident.h"
#include "store/textindex.h"
#include "store/trust.h"

#define CHUNK 128

struct ingest_chunk {
	uv_work_t req;
	struct ingest_batch *b;
	size_t from, to;
	uint64_t now;
	bool early_trust;      /* refuse untrusted authors on the pool, after verifying */
	struct gl_error first; /* first rejection in this chunk */
};

/*
 * A batch's path, in the order of this file: ingest_submit() cuts it into
 * chunks; 1. verify_chunk() on the pool, chunk_verified() on the loop when
 * each is done, the last one handing the batch to the writer; 2.
 * write_batch() on the writer thread; 3. batch_written() on the loop,
 * which counts the outcomes and calls the caller's done().
 */
static void verify_chunk(uv_work_t *req);
static void chunk_verified(uv_work_t *req, int status);
static int write_batch(struct wjob *job, struct store_txn *t, struct gl_error *err);
static void batch_written(struct wjob *job);

static const struct wjob_kind ingest_job = { "ingest", write_batch, batch_written };

/*
 * A curator's statements in a batch may change who is trusted within it,
 * so a batch holding one is verified whole.  Only a curator's: anyone can
 * sign an endorsement, and one of its own in every frame must not make a
 * node verify every untrusted record it is sent (issue 24).  A statement
 * that only claims a curator as author fails its signature check, and
 * that ends the sender's link with a strike (gossip.c).
 */
static bool has_curator_statements(const struct ingest_batch *b, const struct trust_cfg *cfg)
{
	for (size_t i = 0; i < b->n; i++) {
		struct record rec;
		if (record_parse(b->recs[i].env, b->recs[i].len, &rec, NULL) == 0 &&
		    (rec.kind == RK_ENDORSE || rec.kind == RK_REVOKE) &&
		    trust_is_curator(cfg, rec.author))
			return true;
	}
	return false;
}

void ingest_submit(struct node *n, struct ingest_batch *b)
{
	b->node = n;
	b->accepted = b->older = b->rejected = b->refused = b->applications = 0;
	memset(&b->changes, 0, sizeof b->changes);
	b->rc = 0;
	b->err.msg[0] = '\0';
	b->err.code = 0;
	if (b->n == 0) {
		b->done(b);
		return;
	}
	n->ingest_pending++;
	writer_expect(&n->writer, +1);
	/* freed in batch_written, whether or not a chunk ran */
	for (size_t i = 0; i < b->n; i++)
		b->recs[i].terms = (struct textindex_terms){ 0 };
	size_t nchunks = (b->n + CHUNK - 1) / CHUNK;
	b->chunks = gl_xcalloc(nchunks, sizeof *b->chunks);
	b->chunks_left = (unsigned)nchunks;
	uint64_t now = clock_now();
	const struct trust_cfg *tc = &curate_trust(n)->cfg;
	bool early = !tc->open && !has_curator_statements(b, tc);
	for (size_t i = 0; i < nchunks; i++) {
		struct ingest_chunk *c = &b->chunks[i];
		c->early_trust = early;
		c->b = b;
		c->from = i * CHUNK;
		c->to = c->from + CHUNK < b->n ? c->from + CHUNK : b->n;
		c->now = now;
		c->req.data = c;
		uv_queue_work(n->loop, &c->req, verify_chunk, chunk_verified);
	}
}

/* ---- 1. verify, on the thread pool ------------------------------------- */

/*
 * Would this author's record be refused anyway?  Then spare the signature
 * check: a record of an author this node does not trust counts as
 * untrusted whether it verifies or not.  Only a definite refusal counts: a
 * partner record that a curator node would keep as an application goes
 * the whole way.
 */
static bool refused_early(struct node *n, struct store_txn *t, const struct record *rec,
                          uint64_t now)
{
	enum trust_verdict v;
	const struct curate_trust *ct = curate_trust(n);
	if (!t || trust_check(&ct->cfg, t, rec->author, now, &v, NULL) || v == TRUST_OK)
		return false;
	return !(v == TRUST_UNKNOWN && ct->curator_node && rec->kind == RK_PARTNER);
}

/* Everything about one record before the store: runs on a pool thread. */
static int verify_one(struct node *n, struct store_txn *t, struct ingest_rec *r, uint64_t now,
                      struct gl_error *err)
{
	int rc = record_parse(r->env, r->len, &r->rec, err);
	if (rc)
		return rc;
	record_cid(r->env, r->len, r->cid);
	record_item(&r->rec, r->cid, r->item);
	r->parsed = true;
	const struct record *rec = &r->rec;
	/* trust before the signature (PROTOCOL.md 7): a record this node will
	 * not keep costs it no signature check, forged or not (issue 24) */
	if (refused_early(n, t, rec, now)) {
		char key[IDENT_TEXT_MAX];
		ident_format(IDENT_PK_PREFIX, rec->author, key);
		return gl_errorf(err, GL_EREFUSED, "%s/%.*s by %s: not trusted here",
		                 record_kind_name(rec->kind), (int)rec->id_len, rec->id, key);
	}
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
	if (rec->body && (rc = doc_check_body(n->schemas, rec->kind, rec->id, rec->id_len,
	                                      rec->body, rec->body_len, err)))
		return rc;
	struct trust_statement st;
	if (rec->body && (rec->kind == RK_ENDORSE || rec->kind == RK_REVOKE) &&
	    trust_parse_statement(rec, &st, err))
		return gl_error_prefix(err, GL_EFORMAT, "%s/%.16s", record_kind_name(rec->kind), rec->id);
	/* the record is searchable once the writer indexes it, after the
	 * commit and in its idle time (textindex.h): the terms are cut then,
	 * off the path of an import or a sync */
	r->terms.defer = true;
	return 0;
}

static void verify_chunk(uv_work_t *req)
{
	struct ingest_chunk *c = req->data;
	struct node *n = c->b->node;
	struct store_txn *t = NULL;
	c->first.msg[0] = '\0';
	if (c->early_trust && store_begin(n->store, false, &t, NULL))
		t = NULL;
	for (size_t i = c->from; i < c->to; i++) {
		struct gl_error e;
		struct ingest_rec *r = &c->b->recs[i];
		r->error = verify_one(n, t, r, c->now, &e);
		r->outcome = r->error ? INGEST_REJECTED : INGEST_VERIFIED;
		if (r->error && !c->first.msg[0])
			c->first = e;
	}
	store_abort(t);
}

static void chunk_verified(uv_work_t *req, int status)
{
	struct ingest_chunk *c = req->data;
	struct ingest_batch *b = c->b;
	if (status == UV_ECANCELED)
		for (size_t i = c->from; i < c->to; i++) {
			b->recs[i].outcome = INGEST_REJECTED;
			b->recs[i].error = GL_EIO;
			b->recs[i].parsed = false;
		}
	if (c->first.msg[0] && !b->err.msg[0])
		b->err = c->first;
	if (--b->chunks_left)
		return;
	free(b->chunks);
	b->chunks = NULL;
	size_t bad = 0;
	unsigned long weight = 0;
	const struct record *prev = NULL;
	for (size_t i = 0; i < b->n; i++) {
		const struct ingest_rec *r = &b->recs[i];
		bad += r->outcome == INGEST_REJECTED;
		if (r->outcome == INGEST_REJECTED)
			continue;
		weight += wjob_record_weight(prev, &r->rec, r->terms.length);
		prev = &r->rec;
	}
	struct writer *w = &b->node->writer;
	if (bad == b->n) {
		writer_expect(w, -1);
		b->job.rc = 0;
		batch_written(&b->job);
		return;
	}
	b->job.weight = weight < UINT_MAX ? (unsigned)weight : UINT_MAX;
	writer_submit(w, &b->job, &ingest_job);
	writer_expect(w, -1);
}

/* ---- 2. write, in the one writer --------------------------------------- */

static enum ingest_outcome stored_as(enum store_outcome oc)
{
	switch (oc) {
	case STORE_NEW:
		return INGEST_NEW;
	case STORE_REPLACED:
		return INGEST_REPLACED;
	case STORE_OLDER:
		return INGEST_OLDER;
	case STORE_SAME:
	default:
		return INGEST_SAME;
	}
}

bool ingest_stored(const struct ingest_rec *r)
{
	return r->outcome == INGEST_NEW || r->outcome == INGEST_REPLACED;
}

/* The writer's job: every verified record of the batch, in one transaction. */
static int write_batch(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	struct ingest_batch *b = (struct ingest_batch *)((char *)job - offsetof(struct ingest_batch, job));
	struct node *n = b->node;
	uint64_t now = clock_now();
	for (size_t i = 0; i < b->n; i++) {
		struct ingest_rec *r = &b->recs[i];
		if (r->outcome != INGEST_VERIFIED)
			continue;
		/* one acceptance rule on every path (curate.h) */
		struct gl_error why = { 0 };
		enum curate_verdict verdict;
		int rc = curate_admit(n, t, &r->rec, now, &verdict, &why);
		if (rc) {
			*err = why;
			return rc;
		}
		if (verdict == CURATE_APPLICATION) {
			r->outcome = INGEST_APPLICATION;
			continue;
		}
		if (verdict == CURATE_REFUSED) {
			r->outcome = INGEST_REJECTED;
			r->error = GL_EREFUSED;
			if (!b->err.msg[0])
				b->err = why;
			continue;
		}
		enum store_outcome oc;
		if ((rc = store_put_hashed(t, &r->rec, r->cid, r->item, &r->terms, &oc, err)))
			return rc;
		r->outcome = stored_as(oc);
		if (ingest_stored(r) && (r->rec.kind == RK_ENDORSE || r->rec.kind == RK_REVOKE) &&
		    (rc = curate_after_statement(n, t, &r->rec, now, &b->changes, err)))
			return rc;
	}
	return 0;
}

/* ---- 3. the outcomes, on the loop ---------------------------------------- */

/* The outcome counts, from every record's outcome: done in one place. */
static void count(struct ingest_batch *b)
{
	b->accepted = b->older = b->rejected = b->refused = b->applications = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct ingest_rec *r = &b->recs[i];
		switch (r->outcome) {
		case INGEST_NEW:
		case INGEST_REPLACED:
			b->accepted++;
			break;
		case INGEST_OLDER:
		case INGEST_SAME:
			b->older++;
			break;
		case INGEST_APPLICATION:
			b->applications++;
			break;
		case INGEST_VERIFIED: /* not after a write that succeeded */
		case INGEST_REJECTED:
			b->rejected++;
			b->refused += r->error == GL_EREFUSED;
			break;
		}
	}
}

static void batch_written(struct wjob *job)
{
	struct ingest_batch *b = (struct ingest_batch *)((char *)job - offsetof(struct ingest_batch, job));
	struct node *n = b->node;
	b->rc = job->rc;
	if (job->rc) {
		b->err = job->err;
		b->accepted = b->older = b->refused = b->applications = 0;
		b->rejected = (unsigned)b->n;
		n->counters.rejected_by[REJECT_STORE] += b->n;
	} else {
		for (size_t i = 0; i < b->n; i++)
			if (b->recs[i].outcome == INGEST_REJECTED)
				n->counters.rejected_by[ingest_reason(b->recs[i].error)]++;
		count(b);
		n->counters.ingested += b->accepted;
		if (b->accepted)
			n->counters.last_ingest_ms = clock_mono_ms();
		n->counters.older += b->older;
	}
	n->counters.rejected += b->rejected;
	n->ingest_pending--;
	for (size_t i = 0; i < b->n; i++)
		textindex_terms_free(&b->recs[i].terms);
	b->done(b);
}

enum reject_reason ingest_reason(int error)
{
	switch (error) {
	case GL_ETRUNC:
	case GL_EFORMAT:
		return REJECT_FORMAT;
	case GL_ESIG:
		return REJECT_SIGNATURE;
	case GL_ESCHEMA:
		return REJECT_SCHEMA;
	case GL_ETIME:
		return REJECT_TIME;
	case GL_EREFUSED:
		return REJECT_UNTRUSTED;
	case GL_ELIMIT:
		return REJECT_LIMIT;
	case GL_EIO:
	case GL_ENOSPC:
	case GL_ESTORE:
		return REJECT_STORE;
	default:
		return REJECT_OTHER;
	}
}

const char *ingest_reason_name(enum reject_reason r)
{
	static const char *const names[REJECT_COUNT] = {
		"format", "signature", "schema", "time", "untrusted", "limit", "store", "other",
	};
	return r < REJECT_COUNT ? names[r] : "other";
}
