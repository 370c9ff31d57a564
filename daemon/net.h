/*
 * net.h — who this node talks to: the listener, the addresses it knows
 * (configured with [peers] peer or --peer, learnt from HELLO messages and
 * node records), dialling with exponential backoff and jitter, and the
 * limits on connections ([peers] max, max_per_ip).
 *
 * A peer that misbehaves (fails the handshake as a responder, sends a bad
 * frame, message or signature: conn_misbehaved) gets a strike on its IP
 * address, which is then refused for [limits] ban seconds, doubled for
 * each strike in a row up to an hour.  Only the 256 most recent addresses
 * are remembered.
 *
 * One link per pair of nodes: if two nodes end up with two connections
 * (both dialled), each keeps the one dialled by the node with the smaller
 * public key, so both keep the same one.  A node that reaches itself
 * (its own key answers) marks that address and never dials it again.
 */
#ifndef GILDE_NET_H
#define GILDE_NET_H

#include <msgpack.h>

#include "proto/err.h"
#include "daemon/conn.h"
#include "daemon/node.h"

/*
 * Bind the listener, work out this node's public endpoints, start the
 * dialler.  Fills n->listen_addr and n->endpoints.
 *
 * link is what the layer above does on a link (gossip.h: gossip_link):
 * its opened, message, writable, tick and closed must be set (its strike
 * and handshake_failed are not used).  net hands every connection a table
 * of its own: the link's, with net's part around opened (a link to
 * ourselves or a second link to the same node is closed before the link
 * hears of it) and after closed (redialling), and net's strike and
 * handshake_failed.  link is copied.
 */
int net_start(struct node *n, const struct conn_cb *link, struct gl_error *err);
/* After SIGHUP replaced n->cfg: dial newly configured peers, stop dialling
 * dropped ones (their open links stay), and close the newest links if
 * there are now more than [peers] max. */
void net_reload(struct node *n);

/* Stop accepting and dialling; close every connection. */
void net_close(struct node *n);
/* Free what net_start allocated, after the loop closed every handle. */
void net_free(struct node *n);

/* The first connection (follow ->next). */
struct conn *net_conns(struct node *n);

/* An endpoint "HOST:PORT" (len bytes) where node `key` can be reached,
 * from its signed node record (from_record) or its HELLO; kept or not as
 * addrs.h says. */
void net_learn(struct node *n, const uint8_t key[32], const char *endpoint, size_t len,
               bool from_record);

/* Close every connection, for the reason why (this node's key changed:
 * self.h); listening and dialling go on, so links are made again. */
void net_close_links(struct node *n, const char *why);

/* Pack {"connections": [...], "addresses": [...], "banned": [...]} for `gilde peers`. */
void net_pack_peers(struct node *n, msgpack_packer *pk);

#endif
