#include "daemon/packjob.h"

#include <stdlib.h>

#include "daemon/log.h"
#include "proto/alloc.h"
#include "proto/clock.h"
#include "store/derived.h"

struct packjob {
	struct wjob job;
	struct node *node;
	bool wrote;
};

static int pack_write(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	struct packjob *pj = (struct packjob *)job;
	return store_derived_pack(t, &pj->wrote, err);
}

static void pack_done(struct wjob *job)
{
	struct packjob *pj = (struct packjob *)job;
	char q[600];
	if (job->rc)
		log_error("pack-failed", "reason=%s", log_q(job->err.msg, q, sizeof q));
	else if (pj->wrote)
		log_debug("packed", "what=offer-facts");
	pj->node->pack_running = false;
	free(pj);
}

static const struct wjob_kind pack_job = { "pack", pack_write, pack_done };

/* Whether the packed copy is behind the table (a read, no write). */
static bool stale(struct node *n)
{
	struct store_txn *t;
	if (store_begin(n->store, false, &t, NULL))
		return false;
	bool behind = store_derived_generation(t) && !store_derived_packed(t);
	store_abort(t);
	return behind;
}

void packjob_tick(struct node *n)
{
	uint64_t now = clock_now_ms();
	if (n->stopping || n->pack_running || !writer_idle(&n->writer) ||
	    (n->pack_last_ms && now - n->pack_last_ms < PACKJOB_INTERVAL_MS) || !stale(n))
		return;
	struct packjob *pj = gl_xcalloc(1, sizeof *pj);
	pj->node = n;
	n->pack_running = true;
	n->pack_last_ms = now;
	writer_submit(&n->writer, &pj->job, &pack_job);
}
