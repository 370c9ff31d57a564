/*
 * reconjob.h — a reconciliation's store scans (recon_initiate and
 * recon_respond over the store's items) on the thread pool, not the loop.
 *
 * One RECON message makes a node read every item in the ranges it names:
 * at 100,000 items, a range over the whole space cost about 75 ms of the
 * loop, and a peer sending thirty of them every ten seconds on four links
 * stalled the node for minutes (issue 24).  So:
 *
 *   - the scan runs on the thread pool; the loop only sends the answer;
 *   - at most RECONJOB_RUNNING scans run at once, the rest wait, the link
 *     with most budget left first: the other pool threads stay free to
 *     check signatures, and a link that asks little is served before one
 *     that asks much;
 *   - every item a scan reads is charged to the link's scan budget
 *     (conn.scan_tokens; gossip.c refills it, RECONJOB_ITEMS_PER_S a
 *     second), and a link whose budget is spent has its scans wait; and
 *     to the node's, RECONJOB_NODE_ITEMS_PER_S, so that many links
 *     together take at most about a third of a core;
 *   - a link has at most RECONJOB_PENDING scans queued or running; at
 *     that many, reading from it pauses (conn_pause_work) until one is
 *     done, so its next messages wait in its socket, not in our memory.
 *     An honest peer has one reconciliation of its own and one of ours
 *     going at most, so its records and announcements never wait.
 *
 * Loop thread, but for the scan itself.
 */
#ifndef GILDE_RECONJOB_H
#define GILDE_RECONJOB_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/conn.h"
#include "daemon/node.h"
#include "proto/recon.h"

#define RECONJOB_RUNNING 1
#define RECONJOB_PENDING 2
/* An honest reconciliation of a 100,000-item store reads each item a few
 * times (about one full read per round on either side, a few rounds when
 * they differ; one read when they do not): a link may make us read this
 * many a second, and twice that at once; all links together, the second.
 * Reading goes at about 1.3 million items a second (issue 24: 75 ms for
 * 100,000). */
#define RECONJOB_ITEMS_PER_S 100000
#define RECONJOB_NODE_ITEMS_PER_S 400000

/* What a scan gives back to done(), on the loop. */
struct reconjob_result {
	int rc;                 /* 0, or recon_*'s error (err says why) */
	struct gl_error err;
	struct recon_out out;   /* the answer; done() owns it, recon_out_free() */
	uint64_t scanned;       /* store items read */
	bool initiate;          /* a first message (msg was NULL) */
};

typedef void (*reconjob_done)(struct conn *c, struct reconjob_result *r);

/* Node-wide state (the queue); reconjob_free after the loop closed. */
void reconjob_init(struct node *n);
void reconjob_free(struct node *n);

/*
 * Queue a scan for c: the first message of a reconciliation (msg NULL) or
 * the answer to msg (len bytes, copied).  done(c, r) runs on the loop
 * when it is done (not at all if c closed meanwhile) and must charge
 * r->scanned to c->scan_tokens; reading resumes by itself.
 */
void reconjob_submit(struct conn *c, const uint8_t *msg, size_t len, reconjob_done done);

/* Start what waits and may run now (after budgets were refilled). */
void reconjob_kick(struct node *n);

#endif
