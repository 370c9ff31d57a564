/*
 * gossip.h — what nodes say to each other once a link is open
 * (PROTOCOL.md 6.3–6.6): HELLO, reconciliation, push of new records
 * (HAVE, then WANT, then RECORDS), and learning peers from node records.
 *
 * Push: a record new to this node is announced (HAVE, its item only) at
 * once to every open link except the one it came from and links whose
 * peer is known to hold it; a peer asks (WANT) only for what it lacks and
 * has not already asked another peer for, so each node receives close to
 * one copy of each record.  Records that arrive although already held are
 * counted per link as duplicates.
 *
 * Reconciliation: the dialling side of each link starts one as soon as
 * HELLO has been exchanged and then every [federation] recon_interval;
 * either side sends what the other lacks and asks for what it lacks.
 * Version 3 (coded symbols over the node's sketch: gossip2.c, sketch.h)
 * when both list it in HELLO and the sketch is built, else v1 (range
 * fingerprints, their store scans on the pool: reconjob.h); a v3 session
 * that ends TOO_MANY or FAILED runs v1 at once.  The records a
 * reconciliation names end with SENT for a v3 peer; records stored less
 * than 10 s ago, after the peer's HELLO, are left to push (those stored
 * before it were never pushed on the link); one reconciliation of ours
 * runs at a time across links; one without an answer for 60 s is given up.
 */
#ifndef GILDE_GOSSIP_H
#define GILDE_GOSSIP_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/conn.h"
#include "daemon/curate.h"
#include "daemon/ingest.h"
#include "daemon/node.h"
#include "proto/wire.h"

/* Node-wide gossip state (the items asked for and not yet received). */
void gossip_init(struct node *n);
void gossip_free(struct node *n);

/*
 * What gossip does on a link, for net_start(): once open, say HELLO;
 * answer each message; write more queued records while the link's write
 * queue has room; once a second, start a reconciliation when due; when
 * closed, drop what was queued for the peer.
 */
extern const struct conn_cb gossip_link;

/*
 * Records were stored (accepted: new or newer).  Announce them to peers
 * (all but `from`, which may be NULL) and learn endpoints from node
 * records among them.
 */
void gossip_stored(struct node *n, const struct ingest_batch *b, struct conn *from);
void gossip_announce(struct node *n, const uint8_t (*items)[32], size_t count,
                     struct conn *from);

/* Someone's trust changed: reconcile every link soon, whichever side
 * dialled, to fetch records refused before. */
void gossip_trust_changed(struct node *n);

/* Act on what curation changed (curate.h): announce its records to every
 * link, and if trust changed, gossip_trust_changed(). */
void gossip_curated(struct node *n, const struct curate_changes *changes);

#endif
