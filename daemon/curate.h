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
 */
#ifndef GILDE_CURATE_H
#define GILDE_CURATE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/node.h"
#include "proto/recon.h"
#include "proto/record.h"

/* Status of a record kept as an application instead of stored. */
#define CURATE_APPLICATION 100

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
 * In a write job: may r (verified) be stored?  Returns 0 (yes),
 * CURATE_APPLICATION (kept as an application), GL_EREFUSED with the
 * reason in err, or a store error.
 */
int curate_admit(struct node *n, struct store_txn *t, const struct record *r, uint64_t now,
                 struct gl_error *err);

/*
 * In a write job, after statement r (endorse or revoke) was stored as new:
 * purge or admit its subject.  Items of records moved in from applications
 * are appended to moved; *changed is set if someone's trust changed;
 * records removed are added to *purged (if not NULL).
 */
int curate_after_statement(struct node *n, struct store_txn *t, const struct record *r,
                           uint64_t now, struct recon_items *moved, bool *changed,
                           unsigned *purged, struct gl_error *err);

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
	unsigned purged;         /* records removed */
	bool curator;            /* this node is one of its own curators */
	struct recon_items announce;
	struct wjob job;
};
void curate_statement_submit(struct node *n, struct curate_req *r);

/* A key rotation (gilde rotate-key). */
struct rotate_req {
	struct node *node;
	void (*done)(struct rotate_req *r);
	void *ctx;
	int rc;
	struct gl_error err;
	uint8_t *new_sk;         /* sodium_malloc'd, 64 bytes */
	uint8_t old_pk[32];
	unsigned resigned;
	struct recon_items announce;
	struct wjob job;
};
void curate_rotate_submit(struct node *n, struct rotate_req *r);
void curate_rotate_free(struct rotate_req *r);

void recon_items_push(struct recon_items *l, const uint8_t item[32]);

#endif
