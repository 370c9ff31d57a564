/*
 * self.h — what this node says about itself to the federation.  It sits
 * at the top of the daemon, above net, gossip and curate, and uses them;
 * none of them calls it.
 *
 *   - The node record (kind node, id "node"): this node's name and the
 *     endpoints where peers reach it (net_start() works them out), so that
 *     other nodes learn where to dial (gossip.c).  Signed and stored at
 *     start when it changed or has less than half its [limits] lifetime
 *     left, then announced.
 *   - A new key (gilde rotate-key): every record this node signed is
 *     signed again with the new key, the old key's directory and node
 *     records leave the directory (so that no query lists a partner's
 *     records twice), the store and the trust settings learn the new key,
 *     and the key file is replaced, all in one write job; then the node
 *     switches keys, closes its links (authenticated with the old key) and
 *     announces what it signed.  How the old records leave depends on the
 *     federation: with curators they are deleted here only and the old key
 *     is refused here from then on (trust_retired_add), while every other
 *     node keeps them until a curator endorses the new key with `replaces`
 *     naming the old one, which revokes it everywhere (curate.h); without
 *     curators they are retracted by tombstones signed with the old key,
 *     which every node that accepts that key takes in.  Statements
 *     (endorse, revoke) stay under the old key.
 */
#ifndef GILDE_SELF_H
#define GILDE_SELF_H

#include <stdint.h>

#include "proto/err.h"
#include "proto/recon.h"
#include "daemon/node.h"
#include "daemon/writer.h"

/* Sign and store this node's node record if it changed, and announce it.
 * Without endpoints (listening on a wildcard address and no [node]
 * public) nothing is published, and the log says why. */
void self_publish_node_record(struct node *n);

/* A key rotation (gilde rotate-key). */
struct self_rotate_req {
	void (*done)(struct self_rotate_req *r); /* on the loop, once it is over */
	void *ctx;               /* the caller's */
	/* results */
	int rc;                  /* 0, or why nothing changed: err says more */
	struct gl_error err;
	uint8_t old_pk[32];      /* the key replaced */
	unsigned resigned;       /* records signed again with the new key */
	unsigned retired;        /* the old key's records taken out of the directory */
	bool curated;            /* deleted here (curators), not retracted everywhere */
	/* private */
	struct node *node;
	uint8_t *new_sk;         /* sodium_malloc'd, 64 bytes */
	struct recon_items announce;
	struct wjob job;
};

/* Rotate this node's key; r (zeroed but for done and ctx) must live until
 * r->done(r), after which the caller frees it with self_rotate_free().
 * r->rc is then 0, GL_EIO (no protected memory for the new key, or the
 * key file could not be replaced) or a store error; on failure nothing
 * changed. */
void self_rotate_submit(struct node *n, struct self_rotate_req *r);
void self_rotate_free(struct self_rotate_req *r);

#endif
