/*
 * curate.h — the curated federation in the daemon (daemon/store/trust.h has the
 * rule).  Every record offered to the store passes curate_admit() inside
 * the writer's transaction, whatever path it came by.  A stored statement
 * (endorse or revoke by a curator) takes effect in the same transaction:
 * a key that is no longer trusted loses every record it had here; a key
 * that became trusted has its application, if this node held one, moved
 * into the directory.
 *
 * A curator node (its own key is among its curators) keeps partner
 * records of unknown keys as applications (store.h), bounded, never
 * forwarded, for `gilde applications` and `gilde endorse`.
 *
 * Changing the configuration (removing a curator) does not purge
 * anything: only signed statements do, so a configuration slip cannot
 * empty a node's directory.
 *
 * curate decides and writes; it talks to no peer.  What a write changed
 * beyond its own records comes back as a struct curate_changes for the
 * caller to act on (ingest.c's callers, the control socket).  A new key
 * for this node is self.h's business.
 */
#ifndef GILDE_CURATE_H
#define GILDE_CURATE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/node.h"
#include "proto/recon.h"
#include "proto/record.h"

/* What curate_admit() decides for a verified record. */
enum curate_verdict {
	CURATE_STORE,       /* its author is trusted here: store it */
	CURATE_APPLICATION, /* a partner record of an unknown key on a curator
	                     * node: kept as an application (already written) */
	CURATE_REFUSED,     /* not trusted here */
};

/*
 * What a write changed beyond the records it was asked to write, for the
 * caller to act on: curate talks to no peer.  The caller announces
 * `announce` to its peers and, if trust_changed, has every link reconcile
 * soon to fetch records it refused before (gossip_curated()).
 */
struct curate_changes {
	struct recon_items announce; /* items of records stored as a side effect
	                              * (admitted applications, statements signed here) */
	bool trust_changed;          /* a key became trusted or lost its records here */
	unsigned purged;             /* records removed: their authors are no longer trusted */
};

/* Free what changes holds (announce.v) and empty it. */
void curate_changes_free(struct curate_changes *changes);

/* One snapshot of the trust settings; never changed once published. */
struct curate_trust {
	struct trust_cfg cfg;     /* owns its key arrays */
	bool curator_node;        /* cfg.own is one of cfg.curators */
	struct curate_trust *retired_next;
};

/* The current snapshot (any thread; valid until the process ends). */
const struct curate_trust *curate_trust(const struct node *n);

/* Publish a snapshot built from n->cfg and n->pk, and say what the node
 * accepts.  Loop thread only.  The first call is at start. */
void curate_init(struct node *n);
/* Free every snapshot (at exit, when no other thread runs). */
void curate_free(struct node *n);
/* After SIGHUP replaced n->cfg: follow its curators, allow list and open
 * setting (and record them for gilde members).  Purges nothing. */
void curate_reload(struct node *n);

/*
 * In a write job: may r (verified) be stored?  Returns 0 with the verdict
 * in *verdict (CURATE_REFUSED: err says why, with code GL_EREFUSED), or a
 * store error (then err says what failed; abort the transaction).
 */
int curate_admit(struct node *n, struct store_txn *t, const struct record *r, uint64_t now,
                 enum curate_verdict *verdict, struct gl_error *err);

/*
 * In a write job, after statement r (endorse or revoke) was stored as new:
 * purge or admit its subject, and add what that changed to *changes
 * (items of records moved in from applications, trust_changed, purged).
 * Returns 0 or a store error.
 */
int curate_after_statement(struct node *n, struct store_txn *t, const struct record *r,
                           uint64_t now, struct curate_changes *changes, struct gl_error *err);

/* Start the periodic sweep: expired records, lapsed endorsements. */
void curate_start(struct node *n);
void curate_stop(struct node *n);

/* A local statement request (gilde endorse / gilde revoke). */
struct curate_req {
	struct node *node;
	bool revoke;
	uint8_t key[32];
	char name[201];
	char until[16];          /* YYYY-MM-DD or "" */
	bool has_replaces;
	uint8_t replaces[32];
	char reason[501];
	void (*done)(struct curate_req *r);
	void *ctx;
	int rc;
	struct gl_error err;
	bool curator;            /* this node is one of its own curators */
	/* the statements signed (to announce) and what they changed; a
	 * statement signed here always counts as a change of trust */
	struct curate_changes changes;
	struct wjob job;
};
/* Sign and store the statement (and, for a rotation with `replaces`, the
 * revocation of the old key) in one write job; calls r->done, which acts
 * on r->changes and frees them. */
void curate_statement_submit(struct node *n, struct curate_req *r);

#endif
