/*
 * gossip_int.h — what gossip.c shares with gossip2.c (reconciliation v3 on
 * a link) and nothing else includes.  Loop thread.
 */
#ifndef GILDE_GOSSIP_INT_H
#define GILDE_GOSSIP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/conn.h"
#include "daemon/itemset.h"
#include "proto/alloc.h"

/* An item asked for is not asked again (of any peer) for this long. */
#define WANT_TTL_MS 30000
/* A reconciliation of ours without an answer for this long is given up
 * (PROTOCOL.md 6.4, "Who starts"). */
#define RECON_GIVE_UP_MS 60000
/* How long a new link waits for the sketch being built before its first
 * reconciliation runs v1 instead (sketch.h). */
#define RECON_SKETCH_WAIT_MS 10000
/* A record stored this recently is not given for a reconciliation: push
 * is delivering it (PROTOCOL.md 6.4, "Moving the records"). */
#define RECON_GIVE_FRESH_MS 10000

/* A reconciliation of ours whose records should have come by now
 * without its SENT (a lost or late one), or a v1 peer's (no SENT). */
#define RECON_SENT_WAIT_MS 10000
#define RECON_V1_WAIT_MS 2000

/* Node-wide gossip state. */
struct gossip {
	struct itemset wanted;   /* items asked for -> when (ms) */
	uint64_t next_expire_ms;
	/* one reconciliation of ours at a time, across links (PROTOCOL.md
	 * 6.4): the link whose runs or whose records are awaited (until
	 * owner_until_ms), NULL if none */
	struct conn *owner;
	uint64_t owner_sid;      /* the session whose SENT ends the wait (0: v1's) */
	uint64_t owner_until_ms;
};

/* Send m on c and free it. */
void gossip_send(struct conn *c, struct gl_buf *m);
/* Queue items to send as records (own items, or key hashes + 16 zero
 * bytes: the version held), leaving out those push is delivering on c
 * (gossip_pushed) when fresh_filter; returns how many were queued. */
size_t gossip_give(struct conn *c, const uint8_t (*items)[32], size_t n, bool fresh_filter);
/* SENT [14, sid, records] once everything queued so far has been sent
 * (and the spans too, if after_spans). */
void gossip_sent_due(struct conn *c, uint64_t sid, uint64_t records, bool after_spans);
/* Send what is queued (records, spans, SENT due) while the link has room. */
void gossip_pump(struct conn *c);
/* Is push delivering item's record on c: stored less than
 * RECON_GIVE_FRESH_MS ago, and after c's HELLO arrived or announced on c
 * (gossip_announce reaches only links past HELLO; what was stored before
 * and not announced since was never pushed on c, so a reconciliation
 * must give it)? */
bool gossip_pushed(struct conn *c, const uint8_t item[32]);
/* Mark items as asked for now (a HAVE for them does not ask again). */
void gossip_mark_wanted(struct node *n, const uint8_t (*items)[32], size_t count);
/* Forget that items were asked for (they did not come: ask again). */
void gossip_unmark_wanted(struct node *n, const uint8_t (*items)[32], size_t count);
/* Was item asked of any peer less than WANT_TTL_MS ago? */
bool gossip_asked_recently(void *node, const uint8_t item[32]);
/* Count one reconciliation message against the peer's window; false (the
 * link is being closed) past RECON_WINDOW_MAX. */
bool gossip_recon_window(struct conn *c);
/* Start a v1 reconciliation of ours (start_recon). */
void gossip_start_v1(struct conn *c);
/* A reconciliation ended: its statistics, with the version used. */
void gossip_recon_stats(struct conn *c, unsigned version, uint64_t started_ms, unsigned rounds,
                        uint64_t bytes);

/* gossip2.c */
/* The versions this node lists in HELLO (WIRE_RECON_* bits). */
unsigned gossip2_versions(void);
/* The peer's HELLO arrived: agree on the version. */
void gossip2_hello(struct conn *c, const struct wire_msg *m);
/* Start a reconciliation of ours with v3 if both speak it and the sketch
 * is ready; false: the caller runs v1. */
bool gossip2_start(struct conn *c);
/* A message of types 9-14 (the frame's plaintext p, len bytes). */
void gossip2_message(struct conn *c, const uint8_t *p, size_t len);
/* May c start a reconciliation of ours now (no other link's runs)? */
bool gossip2_may_start(struct conn *c);
/* c's runs now (it holds the turn). */
void gossip2_own(struct conn *c);
/* c's is over: the turn passes once SENT sid arrives, or after wait_ms
 * (0: at once). */
void gossip2_release(struct conn *c, uint64_t wait_ms, uint64_t sid);
/* The link closes: drop its sessions. */
void gossip2_close(struct conn *c);

#endif
