#include "writer.h"

#include <string.h>

void writer_init(struct writer *w, uv_loop_t *loop, struct store *store)
{
	memset(w, 0, sizeof *w);
	w->loop = loop;
	w->store = store;
}

static void start_next(struct writer *w);

static void run_job(uv_work_t *req)
{
	struct wjob *job = req->data;
	struct store_txn *t;
	job->err.msg[0] = '\0';
	job->rc = store_begin(job->w->store, true, &t, &job->err);
	if (job->rc)
		return;
	job->rc = job->work(job, t, &job->err);
	if (job->rc)
		store_abort(t);
	else
		job->rc = store_commit(t, &job->err);
}

static void after_job(uv_work_t *req, int status)
{
	struct wjob *job = req->data;
	struct writer *w = job->w;
	if (status == UV_ECANCELED) {
		job->rc = GL_EIO;
		gl_errorf(&job->err, GL_EIO, "cancelled at shutdown");
	}
	w->running = NULL;
	if (job->rc == 0)
		w->committed++;
	job->done(job);
	start_next(w);
}

static void start_next(struct writer *w)
{
	if (w->running || !w->head)
		return;
	struct wjob *job = w->head;
	w->head = job->next;
	if (!w->head)
		w->tail = NULL;
	w->running = job;
	job->req.data = job;
	uv_queue_work(w->loop, &job->req, run_job, after_job);
}

void writer_submit(struct writer *w, struct wjob *job)
{
	job->w = w;
	job->next = NULL;
	job->rc = 0;
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	start_next(w);
}

bool writer_idle(const struct writer *w)
{
	return !w->running && !w->head;
}
