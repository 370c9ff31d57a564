#include "daemon/reconjob.h"

#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "store/store.h"

struct job {
	uv_work_t req;
	struct node *node;
	struct conn *c;
	uint8_t *msg;           /* NULL: initiate */
	size_t len;
	uint8_t key[32];        /* the link's recon key, copied on the loop */
	reconjob_done done;
	struct reconjob_result r;
	struct job *next;
};

struct reconjobs {
	struct job *head, *tail; /* waiting, in turn */
	unsigned running;
	int64_t tokens;          /* items the node may still read (RECONJOB_NODE_ITEMS_PER_S) */
	uint64_t refilled_ms;
};

void reconjob_init(struct node *n)
{
	n->reconjobs = gl_xcalloc(1, sizeof *n->reconjobs);
	n->reconjobs->tokens = RECONJOB_NODE_ITEMS_PER_S;
	n->reconjobs->refilled_ms = clock_mono_ms();
}

static void job_free(struct job *j)
{
	recon_out_free(&j->r.out);
	free(j->msg);
	free(j);
}

void reconjob_free(struct node *n)
{
	struct reconjobs *q = n->reconjobs;
	if (!q)
		return;
	/* jobs that never ran: their links are closed by now */
	for (struct job *j = q->head, *next; j; j = next) {
		next = j->next;
		j->c->recon_jobs--;
		conn_unref(j->c);
		job_free(j);
	}
	free(q);
	n->reconjobs = NULL;
}

/* ---- on the pool ---------------------------------------------------------- */

/* The store's items in one read transaction, counted as they are read. */
struct counted {
	struct store_txn *t;
	uint64_t read;
	int (*fn)(void *arg, const uint8_t item[RECON_ITEM]);
	void *arg;
};

static int count_one(void *arg, const uint8_t item[RECON_ITEM])
{
	struct counted *k = arg;
	k->read++;
	return k->fn(k->arg, item);
}

static int scan_counted(void *ctx, const uint8_t *lo, const uint8_t *hi,
                        int (*fn)(void *arg, const uint8_t item[RECON_ITEM]), void *arg)
{
	struct counted *k = ctx;
	k->fn = fn;
	k->arg = arg;
	return store_items_scan(k->t, lo, hi, count_one, k, NULL);
}

static void work(uv_work_t *req)
{
	struct job *j = req->data;
	struct counted k = { 0 };
	struct recon_source src = { &k, scan_counted };
	if ((j->r.rc = store_begin(j->node->store, false, &k.t, &j->r.err)))
		return;
	if (j->msg)
		j->r.rc = recon_respond(&src, j->key, j->msg, j->len, &j->r.out, &j->r.err);
	else
		j->r.rc = recon_initiate(&src, j->key, &j->r.out, &j->r.err);
	store_abort(k.t);
	j->r.scanned = k.read;
}

/* ---- on the loop ---------------------------------------------------------- */

static void after(uv_work_t *req, int status);

static void unqueue(struct reconjobs *q, struct job *j, struct job *prev)
{
	if (prev)
		prev->next = j->next;
	else
		q->head = j->next;
	if (q->tail == j)
		q->tail = prev;
	j->next = NULL;
}

/* The node's budget, refilled for the time since the last refill (at most
 * a second's worth held). */
static void refill(struct reconjobs *q)
{
	uint64_t now = clock_mono_ms();
	int64_t rate = RECONJOB_NODE_ITEMS_PER_S;
	int64_t add = (int64_t)(now - q->refilled_ms) * rate / 1000;
	if (add <= 0)
		return;
	q->tokens = q->tokens + add > rate ? rate : q->tokens + add;
	q->refilled_ms = now;
}

/* Drop the waiting scans of links that closed. */
static void drop_closed(struct reconjobs *q)
{
	struct job *prev = NULL;
	for (struct job *j = q->head, *next; j; j = next) {
		next = j->next;
		if (j->c->state != CONN_CLOSING) {
			prev = j;
			continue;
		}
		unqueue(q, j, prev);
		j->c->recon_jobs--;
		conn_unref(j->c);
		job_free(j);
	}
}

/* The next scan to run: of the links whose budget is not spent, the one
 * with the most left (a link that asked little goes before one that asked
 * much, whatever their order), its oldest scan; NULL if none may run. */
static struct job *next_job(struct reconjobs *q, struct job **before)
{
	struct job *best = NULL, *prev = NULL;
	*before = NULL;
	for (struct job *j = q->head; j; prev = j, j = j->next) {
		bool first_of_link = true;
		for (struct job *k = q->head; k != j && first_of_link; k = k->next)
			first_of_link = k->c != j->c;
		if (!first_of_link || j->c->scan_tokens < 0)
			continue;
		if (!best || j->c->scan_tokens > best->c->scan_tokens) {
			best = j;
			*before = prev;
		}
	}
	return best;
}

/* Start what may run: RECONJOB_RUNNING at most, while the node's budget lasts. */
static void kick(struct reconjobs *q)
{
	refill(q);
	drop_closed(q);
	while (q->running < RECONJOB_RUNNING && q->tokens >= 0) {
		struct job *prev, *j = next_job(q, &prev);
		if (!j)
			return;
		unqueue(q, j, prev);
		q->running++;
		j->req.data = j;
		uv_queue_work(j->node->loop, &j->req, work, after);
	}
}

void reconjob_kick(struct node *n)
{
	if (n->reconjobs)
		kick(n->reconjobs);
}

static void after(uv_work_t *req, int status)
{
	struct job *j = req->data;
	struct reconjobs *q = j->node->reconjobs;
	struct conn *c = j->c;
	q->running--;
	q->tokens -= (int64_t)j->r.scanned;
	c->recon_jobs--;
	if (status == 0 && c->state != CONN_CLOSING) {
		j->r.initiate = !j->msg;
		j->done(c, &j->r);
		memset(&j->r.out, 0, sizeof j->r.out); /* done() owns it now */
	}
	if (c->state != CONN_CLOSING && c->recon_jobs < RECONJOB_PENDING)
		conn_resume_work(c);
	conn_unref(c);
	job_free(j);
	kick(q);
}

void reconjob_submit(struct conn *c, const uint8_t *msg, size_t len, reconjob_done done)
{
	struct node *n = c->node;
	struct job *j = gl_xcalloc(1, sizeof *j);
	j->node = n;
	j->c = c;
	j->done = done;
	memcpy(j->key, c->recon_key, 32);
	if (msg) {
		j->msg = gl_xmalloc(len ? len : 1);
		memcpy(j->msg, msg, len);
		j->len = len;
	}
	conn_ref(c);
	if (++c->recon_jobs >= RECONJOB_PENDING) {
		c->st.throttled++;
		conn_pause_work(c);
	}
	struct reconjobs *q = n->reconjobs;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	kick(q);
}
