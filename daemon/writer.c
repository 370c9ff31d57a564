#include "daemon/writer.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "daemon/log.h"
#include "proto/clock.h"
#include "store/derived.h"
#include "store/textindex.h"

/*
 * Group commit: every job of a group runs in a transaction of its own
 * nested in one parent, which is committed (and synced) once for the
 * group.  A job that fails rolls back alone; if the parent's commit fails,
 * every job of the group failed and nothing of it was written.
 *
 * A group takes every job waiting, up to GROUP_MAX jobs or GROUP_WEIGHT
 * (records, their terms and their disorder: writer.h; a job heavier than
 * that alone makes a group), and while jobs are announced (writer_expect: batches whose
 * signatures are being checked) it may wait up to LINGER_MS for them:
 *
 *   - a small group, under LINGER_WEIGHT records, waits for any: a commit
 *     costs about the same for one record as for a few (a sync, pages
 *     written);
 *   - a larger group waits only while two or more are announced.  The
 *     batches behind the one awaited are not sent until this group's
 *     answers go out (their senders keep a few in flight), so waiting for
 *     the last one announced would leave the verifying threads idle.
 */
#define GROUP_MAX 16
#define GROUP_WEIGHT WRITER_GROUP_WEIGHT
#define LINGER_MS 50
#define LINGER_WEIGHT 256
#define SETTLE_RETRY 64
#define CATCH_UP_AFTER_MS 1000
#define CATCH_UP_QUIET_MS 50
#define CATCH_UP_CHUNK 64

static void run_job(struct store_txn *parent, struct wjob *job)
{
	struct store_txn *t;
	job->err.msg[0] = '\0';
	if ((job->rc = store_begin_child(parent, &t, &job->err)))
		return;
	job->rc = job->kind->write(job, t, &job->err);
	if (job->rc)
		store_abort(t);
	else
		job->rc = store_commit(t, &job->err);
	char q[600];
	if (job->rc)
		log_debug("write-failed", "job=%s reason=%s", job->kind->name, log_q(job->err.msg, q, sizeof q));
}

unsigned wjob_record_weight(const struct record *prev, const struct record *r, size_t terms)
{
	unsigned w = 1 + (unsigned)(terms / WJOB_TERMS_WEIGHT);
	if (!prev || prev->kind != r->kind ||
	    memcmp(prev->author, r->author, RECORD_KEY_LEN) != 0 ||
	    record_key_cmp(&(struct record_key){ prev->author, prev->kind, prev->id, prev->id_len },
	                   &(struct record_key){ r->author, r->kind, r->id, r->id_len }) >= 0)
		w += WJOB_SCATTER_WEIGHT;
	return w;
}

static unsigned job_weight(const struct wjob *job)
{
	return job->weight ? job->weight : 1;
}

/* Take the next job off the queue (lock held). */
static struct wjob *take(struct writer *w)
{
	struct wjob *job = w->todo;
	w->todo = job->next;
	if (!w->todo)
		w->todo_tail = NULL;
	job->next = NULL;
	return job;
}

/* Gather and run one group (lock held on entry and exit). */
static void run_group(struct writer *w)
{
	struct store_txn *parent = NULL;
	struct gl_error perr = { 0 };
	uv_mutex_unlock(&w->lock);
	int prc = store_begin(w->store, true, &parent, &perr);
	uv_mutex_lock(&w->lock);
	struct wjob *group = NULL, *last = NULL;
	unsigned jobs = 0, weight = 0;
	uint64_t deadline = uv_hrtime() + (uint64_t)LINGER_MS * 1000000u;
	for (;;) {
		/* a job that would take the group past GROUP_WEIGHT waits for
		 * the next, unless it is the first */
		while (w->todo && jobs < GROUP_MAX &&
		       (!jobs || (weight < GROUP_WEIGHT &&
		                  job_weight(w->todo) <= GROUP_WEIGHT - weight))) {
			struct wjob *job = take(w);
			if (last)
				last->next = job;
			else
				group = job;
			last = job;
			jobs++;
			weight = job_weight(job) > UINT_MAX - weight ? UINT_MAX
			                                              : weight + job_weight(job);
			uv_mutex_unlock(&w->lock);
			if (prc) {
				job->rc = prc;
				job->err = perr;
			} else {
				run_job(parent, job);
			}
			uv_mutex_lock(&w->lock);
		}
		if (prc || jobs >= GROUP_MAX || weight >= GROUP_WEIGHT || w->todo || w->quit ||
		    w->expected < (weight < LINGER_WEIGHT ? 1 : 2))
			break;
		uint64_t now = uv_hrtime();
		if (now >= deadline)
			break;
		if (!w->todo && uv_cond_timedwait(&w->wake, &w->lock, deadline - now) == UV_ETIMEDOUT &&
		    !w->todo)
			break;
	}
	uv_mutex_unlock(&w->lock);
	if (!prc && (prc = store_commit(parent, &perr)))
		for (struct wjob *job = group; job; job = job->next)
			if (job->rc == 0) {
				job->rc = prc;
				job->err = perr;
			}
	/* a full disk or map stops every write: said loudly, once, until a
	 * group is written again (a full map fails the jobs, not the commit) */
	for (struct wjob *job = group; job && !prc; job = job->next)
		if (job->rc == GL_ENOSPC) {
			prc = job->rc;
			perr = job->err;
		}
	char q[600];
	if (prc && !w->failing)
		log_error("store-failed", "reason=%s", log_q(perr.msg, q, sizeof q));
	else if (!prc && w->failing)
		log_info("store-recovered", "reason=\"a group of writes was committed again\"");
	uv_mutex_lock(&w->lock);
	w->failing = prc != 0;
	if (prc)
		w->failure = perr;
	if (w->done_tail)
		w->done_tail->next = group;
	else
		w->done = group;
	w->done_tail = last;
	w->groups++;
	uv_async_send(&w->async);
}

/*
 * Move fresh items into the items table once enough have gathered
 * (store.h): in a transaction of its own, after the group's done() calls
 * are on their way, so that the next batches are already being checked
 * while it runs.  If it fails the items stay fresh, where readers find
 * them too, and it is tried again after SETTLE_RETRY more groups.
 */
static void settle(struct writer *w)
{
	/* after a failure (a full map, say), retry after every SETTLE_RETRY
	 * groups, not after each: a settle redoes all its work to fail again */
	if (w->settle_failing && w->groups % SETTLE_RETRY != 0)
		return;
	struct gl_error err = { 0 };
	uint64_t moved;
	int rc = store_settle_alone(w->store, STORE_SETTLE_DUE, &moved, &err);
	/* said once, not after every group, until it works again */
	char q[600];
	if (rc && !w->settle_failing)
		log_error("settle-failed", "reason=%s", log_q(err.msg, q, sizeof q));
	w->settle_failing = rc != 0;
}

/*
 * Index records committed without their postings (textindex.h), in a
 * transaction of its own: CATCH_UP_CHUNK records at a time, up to
 * TEXTINDEX_CATCH_UP_RECORDS, stopping after the chunk in which a job
 * came or (unless patient: announced jobs that do not come) a batch
 * began its verification, so that a job waits for a chunk, never for a
 * step, and the index takes no core from the signature checks.
 * text_behind stays set while records wait.  A failure (a full map, say)
 * is said once and tried again after the next group.
 */
static void catch_up(struct writer *w, bool patient)
{
	struct gl_error err = { 0 };
	struct store_txn *t;
	uint64_t left = 0, skipped = 0;
	int rc = store_begin(w->store, true, &t, &err);
	if (rc == 0 && (rc = textindex_behind(t, &left, &err)) == 0 && left == 0) {
		store_abort(t); /* nothing waits: nothing to commit */
	} else if (rc == 0) {
		bool busy = false;
		for (unsigned n = 0; rc == 0 && left > 0 && !busy && n < TEXTINDEX_CATCH_UP_RECORDS;
		     n += CATCH_UP_CHUNK) {
			rc = textindex_catch_up(t, CATCH_UP_CHUNK, &left, &skipped, &err);
			uv_mutex_lock(&w->lock);
			busy = w->todo || w->quit || (!patient && w->expected > 0);
			uv_mutex_unlock(&w->lock);
		}
		if (rc)
			store_abort(t);
		else
			rc = store_commit(t, &err);
	}
	char q[600];
	if (rc && !w->text_failing)
		log_error("index-failed", "reason=%s", log_q(err.msg, q, sizeof q));
	if (skipped)
		log_warn("index-skipped", "records=%llu reason=\"a held record does not parse\"",
		         (unsigned long long)skipped);
	w->text_failing = rc != 0;
	w->text_behind = rc == 0 && left > 0;
}

/*
 * Pack the offers' facts again (store/derived.h), in a transaction of its
 * own, if a group may have moved them: readers meanwhile read the table,
 * the same facts more slowly the first time.  At most once in
 * WRITER_PACK_INTERVAL_MS, so that a stream of publishes does not rewrite the
 * whole copy for each (100,000 offers: 5 MiB).  A failure is said once
 * and tried again after the next group.
 */
static void pack(struct writer *w)
{
	struct gl_error err = { 0 };
	struct store_txn *t;
	bool wrote = false;
	int rc = store_begin(w->store, true, &t, &err);
	if (rc == 0) {
		rc = store_derived_pack(t, &wrote, &err);
		if (rc == 0 && wrote)
			rc = store_commit(t, &err);
		else
			store_abort(t); /* nothing to write, or a failure */
	}
	char q[600];
	if (rc && !w->pack_failing)
		log_error("pack-failed", "reason=%s", log_q(err.msg, q, sizeof q));
	else if (wrote && rc == 0)
		log_debug("packed", "what=offer-facts");
	w->pack_failing = rc != 0;
	w->pack_behind = false;
	w->pack_last_ms = clock_mono_ms();
}

/* How long the idle writer waits before its next idle work: 0 for as
 * long as it takes (none to do), else ms (lock held). */
static unsigned idle_wait_ms(const struct writer *w)
{
	if (w->text_behind)
		return w->expected > 0 ? CATCH_UP_AFTER_MS : CATCH_UP_QUIET_MS;
	if (!w->pack_behind)
		return 0;
	uint64_t since = clock_mono_ms() - w->pack_last_ms;
	unsigned wait = since >= WRITER_PACK_INTERVAL_MS ? 0
	                                                 : (unsigned)(WRITER_PACK_INTERVAL_MS - since);
	wait = wait > CATCH_UP_QUIET_MS ? wait : CATCH_UP_QUIET_MS;
	return w->expected > 0 && wait < CATCH_UP_AFTER_MS ? CATCH_UP_AFTER_MS : wait;
}

/*
 * Wait for a job (lock held).  Meanwhile, the writer does its idle work:
 * first the search index catches up, then the offers' facts are packed.
 * Each waits until neither a job nor an announced batch came for
 * CATCH_UP_QUIET_MS (between the batches of an import it waits: each
 * step's commit costs the last page of every term it touches), or until
 * announced batches have not come for CATCH_UP_AFTER_MS (a sender gone
 * quiet).
 */
static void wait_for_job(struct writer *w)
{
	while (!w->todo && !w->quit) {
		unsigned ms = idle_wait_ms(w);
		if (!ms) {
			uv_cond_wait(&w->wake, &w->lock);
			continue;
		}
		bool patient = w->expected > 0;
		if (uv_cond_timedwait(&w->wake, &w->lock, (uint64_t)ms * 1000000u) == 0)
			continue; /* woken: a job, or a batch announced or come */
		if (w->todo || w->quit)
			break;
		if (!patient && w->expected > 0)
			continue; /* a batch announced meanwhile: wait for it */
		bool text = w->text_behind;
		uv_mutex_unlock(&w->lock);
		if (text)
			catch_up(w, patient);
		else
			pack(w);
		uv_mutex_lock(&w->lock);
	}
}

static void thread_main(void *arg)
{
	struct writer *w = arg;
	/* so that top -H and perf tell the writer from the verifiers */
	pthread_setname_np(pthread_self(), "gilded-writer");
	w->text_behind = true; /* a restart goes on from the store's mark */
	w->pack_behind = true;  /* and packs what a previous run left behind */
	uv_mutex_lock(&w->lock);
	for (;;) {
		wait_for_job(w);
		if (!w->todo)
			break; /* quit, and nothing left */
		run_group(w);
		uv_mutex_unlock(&w->lock);
		settle(w);
		w->text_behind = !w->text_failing || w->groups % SETTLE_RETRY == 0;
		w->pack_behind = true; /* pack() finds out whether offers moved */
		uv_mutex_lock(&w->lock);
	}
	uv_mutex_unlock(&w->lock);
}

/* On the loop: call done() for every finished job, in order. */
static void on_async(uv_async_t *a)
{
	struct writer *w = a->data;
	uv_mutex_lock(&w->lock);
	struct wjob *list = w->done;
	w->done = w->done_tail = NULL;
	uv_mutex_unlock(&w->lock);
	while (list) {
		struct wjob *job = list;
		list = job->next;
		w->pending--;
		if (job->rc == 0)
			w->committed++;
		job->kind->done(job);
	}
}

int writer_init(struct writer *w, uv_loop_t *loop, struct store *store)
{
	memset(w, 0, sizeof *w);
	w->loop = loop;
	w->store = store;
	if (uv_mutex_init(&w->lock) || uv_cond_init(&w->wake))
		return GL_EIO;
	uv_async_init(loop, &w->async, on_async);
	w->async.data = w;
	if (uv_thread_create(&w->thread, thread_main, w)) {
		uv_close((uv_handle_t *)&w->async, NULL);
		return GL_EIO;
	}
	w->started = true;
	return 0;
}

void writer_submit(struct writer *w, struct wjob *job, const struct wjob_kind *kind)
{
	job->kind = kind;
	job->next = NULL;
	job->rc = 0;
	w->pending++;
	uv_mutex_lock(&w->lock);
	if (w->todo_tail)
		w->todo_tail->next = job;
	else
		w->todo = job;
	w->todo_tail = job;
	uv_cond_signal(&w->wake);
	uv_mutex_unlock(&w->lock);
}

void writer_expect(struct writer *w, int delta)
{
	uv_mutex_lock(&w->lock);
	w->expected += delta;
	if (delta < 0)
		uv_cond_signal(&w->wake); /* a group waiting for more may no longer need to */
	uv_mutex_unlock(&w->lock);
}

bool writer_failing(struct writer *w, struct gl_error *why)
{
	uv_mutex_lock(&w->lock);
	bool failing = w->failing;
	if (failing)
		*why = w->failure;
	uv_mutex_unlock(&w->lock);
	return failing;
}

bool writer_idle(const struct writer *w)
{
	return w->pending == 0;
}

void writer_close(struct writer *w)
{
	if (!w->started)
		return;
	uv_mutex_lock(&w->lock);
	w->quit = true;
	uv_cond_signal(&w->wake);
	uv_mutex_unlock(&w->lock);
	uv_thread_join(&w->thread);
	w->started = false;
	on_async(&w->async); /* anything that finished after the last wake-up */
	if (!uv_is_closing((uv_handle_t *)&w->async))
		uv_close((uv_handle_t *)&w->async, NULL);
	uv_cond_destroy(&w->wake);
	uv_mutex_destroy(&w->lock);
}
