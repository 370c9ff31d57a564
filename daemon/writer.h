/*
 * writer.h — the one writer of the store.
 *
 * Jobs run one at a time, in the order submitted, on a thread of their own
 * (not libuv's pool, which is left to signature checks: a commit's fsync
 * would otherwise park a pool thread), each inside its own write
 * transaction: its write() runs on the writer thread; if it returns 0 the
 * transaction is committed, otherwise aborted, so a job's writes land
 * entirely or not at all.  done() then runs on the loop thread, in order.
 * Jobs that wait together are committed together (nested transactions in
 * one parent, one sync for the group), and done() is called only once the
 * group is durable; while more jobs are announced (writer_expect) a group
 * may wait a little for them (writer.c says when).  After a group the
 * writer settles the store's fresh items when enough have gathered
 * (store_settle).
 * The loop thread never waits for a commit or an fsync.
 */
#ifndef GILDE_WRITER_H
#define GILDE_WRITER_H

#include <stdbool.h>
#include <uv.h>

#include "proto/err.h"
#include "store/store.h"

struct writer;
struct wjob;

/*
 * What a job does, named: each part that writes defines its kinds as
 * constants beside the code that submits them.  The daemon's jobs:
 *
 *   kind         defined in   what it writes
 *   ingest       ingest.c     a batch of verified records (a peer's, an import)
 *   publish      publish.c    documents signed here, or a retraction
 *   statement    curate.c     an endorsement or revocation signed here
 *   sweep        curate.c     expired records out, lapsed endorsements purged
 *   trust-save   curate.c     the trust settings after a reload
 *   node-record  self.c       this node's node record, when it changed
 *   rotate-key   self.c       this node's records signed again with a new key
 */
struct wjob_kind {
	const char *name;  /* as above; in the writer's debug log */
	/* On the writer thread, inside the job's own transaction: 0 commits
	 * it, anything else aborts it and becomes job->rc (err says why). */
	int (*write)(struct wjob *job, struct store_txn *t, struct gl_error *err);
	/* On the loop thread, in submission order, once the job's group is
	 * durable or failed (job->rc, job->err). */
	void (*done)(struct wjob *job);
};

/*
 * A group's transaction keeps every page it dirties in memory until it
 * commits, and LMDB keeps that many for reuse after.  A record with text
 * puts postings on the pages of about as many terms (search.h), so its
 * terms weigh too: records like partners' (80 terms, 64 postings: the
 * benchmark's records with text), weigh 11 each, so a group holds at
 * most 745 of them; at 16 terms a unit (1,365 a group), the writer kept
 * 15-17 MiB of pages against 12 MiB now, and was no faster.
 */
#define WJOB_TERMS_WEIGHT 8
/* A group's weight at most (writer.c), unless one job weighs more. */
#define WRITER_GROUP_WEIGHT 8192
/* When idle, the writer packs the offers' facts again (store/derived.h)
 * at most once in this long. */
#define WRITER_PACK_INTERVAL_MS 10000
/*
 * Records in no order (a peer's batch of records from all over the store)
 * each land on pages of their own in the records, kinds and expiry
 * tables, where records in key order share them: a record that does not
 * follow the one before it in its batch (ingest.c) weighs this much more.
 * 100,000 records imported in random order had the writer keep 39 MiB of
 * pages (groups of 8,000 records); weighed so, a group holds 2,000 of them.
 */
#define WJOB_SCATTER_WEIGHT 3

/*
 * The weight of writing record r after prev (NULL: r comes first) in one
 * job, r having terms search terms: 1, plus 1 per WJOB_TERMS_WEIGHT
 * terms, plus WJOB_SCATTER_WEIGHT unless r follows prev in the store's
 * key order with the same author and kind (record_key_cmp).
 */
unsigned wjob_record_weight(const struct record *prev, const struct record *r, size_t terms);

struct wjob {
	const struct wjob_kind *kind;
	/* what it writes, about: the sum of its records'
	 * wjob_record_weight() (0 counts as 1) */
	unsigned weight;
	int rc;               /* result of kind->write() or of the commit */
	struct gl_error err;  /* its explanation when rc != 0 */
	/* private */
	struct wjob *next;
};

struct writer {
	uv_loop_t *loop;
	struct store *store;
	uv_thread_t thread;
	uv_mutex_t lock;
	uv_cond_t wake;
	uv_async_t async;
	struct wjob *todo, *todo_tail;   /* submitted, not yet run (lock) */
	struct wjob *done, *done_tail;   /* run, done() not yet called (lock) */
	unsigned pending;                /* submitted and done() not yet called (loop) */
	int expected;                    /* jobs announced, not yet submitted (lock) */
	bool quit;                       /* (lock) */
	unsigned long long groups;       /* transactions committed (lock) */
	bool settle_failing;             /* the last settle failed (writer thread) */
	/* records may wait for the search index (textindex.h): true after a
	 * group, false once a catch-up found none; the last one failed
	 * (writer thread) */
	bool text_behind, text_failing;
	/* the offers' facts may need packing again (store/derived.h): true
	 * after a group; the last pack failed; when it was (writer thread) */
	bool pack_behind, pack_failing;
	uint64_t pack_last_ms;
	bool started;
	unsigned long long committed;    /* (loop) */
	/* the last group's commit failed (lock): a full disk or map, why in
	 * failure; cleared by the next commit that works */
	bool failing;
	struct gl_error failure;
};

/* Start the writer thread.  Returns 0 or GL_EIO. */
int writer_init(struct writer *w, uv_loop_t *loop, struct store *store);
/* Queue job, of the given kind (which sets job->kind).  The job must stay
 * alive until kind->done() has been called; its weight is the caller's. */
void writer_submit(struct writer *w, struct wjob *job, const struct wjob_kind *kind);
/* Announce (+1) a job that will be submitted soon, or withdraw (-1) the
 * announcement once it is submitted or will not be. */
void writer_expect(struct writer *w, int delta);
/* If the store is failing to commit (the last group's commit failed):
 * true, with the reason in *why.  Any thread. */
bool writer_failing(struct writer *w, struct gl_error *why);
/* True when no job is waiting, running or waiting for its done(). */
bool writer_idle(const struct writer *w);
/* Stop the thread once its queue is empty and join it; close the async
 * handle (call from the loop thread before the loop ends). */
void writer_close(struct writer *w);

#endif
