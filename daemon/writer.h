/*
 * writer.h — the one writer of the store.
 *
 * Jobs run one at a time on libuv's thread pool, each inside its own
 * write transaction: work() runs on a pool thread; if it returns 0 the
 * transaction is committed, otherwise aborted, so a job's writes land
 * entirely or not at all.  done() then runs on the loop thread.  The loop
 * thread never waits for a commit or an fsync.
 */
#ifndef GILDE_WRITER_H
#define GILDE_WRITER_H

#include <stdbool.h>
#include <uv.h>

#include "err.h"
#include "store.h"

struct writer;
struct wjob;

typedef int (*wjob_work_fn)(struct wjob *job, struct store_txn *t, struct gl_error *err);
typedef void (*wjob_done_fn)(struct wjob *job);

struct wjob {
	wjob_work_fn work;
	wjob_done_fn done;
	int rc;               /* result of work() or of the commit */
	struct gl_error err;  /* its explanation when rc != 0 */
	/* private */
	struct wjob *next;
	struct writer *w;
	uv_work_t req;
};

struct writer {
	uv_loop_t *loop;
	struct store *store;
	struct wjob *head, *tail; /* waiting jobs */
	struct wjob *running;
	unsigned long long committed;
};

void writer_init(struct writer *w, uv_loop_t *loop, struct store *store);
/* Queue a job; work and done must be set.  The job must stay alive until
 * done() has been called. */
void writer_submit(struct writer *w, struct wjob *job);
/* True when no job is running or waiting. */
bool writer_idle(const struct writer *w);

#endif
