/*
 * publish.h — records this node signs: documents a person wrote, and
 * tombstones for retractions.
 *
 * Versions: a new version is max(held version + 1, now in milliseconds),
 * so it grows with every update and stays ahead of anything this key
 * signed before, even after the store was lost.  All documents of one
 * request are signed and stored in one transaction: all or none.
 */
#ifndef GILDE_PUBLISH_H
#define GILDE_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "proto/alloc.h"
#include "daemon/node.h"
#include "proto/bounds.h"
#include "proto/record.h"

struct publish_doc {
	char *source;         /* name for messages (a file name) */
	char *json;           /* the document's text */
	size_t json_len;
	/* results */
	int kind;
	char id[GL_ID_MAX + 1];
	uint64_t version;
	uint8_t cid[RECORD_CID_LEN];
};

struct publish_req {
	struct node *node;
	struct publish_doc *docs;   /* for a publish */
	size_t ndocs;
	int retract_kind;           /* for a retraction (ndocs == 0) */
	char retract_id[GL_ID_MAX + 1];
	uint64_t retract_version;
	uint8_t retract_cid[RECORD_CID_LEN];
	void (*done)(struct publish_req *r);
	void *ctx;
	int rc;
	struct gl_error err;
	struct wjob job;
};

/*
 * Inside a write job: sign a record of kind/id with this node's key (sk,
 * whose public half is the author), with the next version for that key,
 * issued now and expiring at `expires`, and store it.  body NULL makes a
 * tombstone.  The new record's item goes to item (if not NULL), its
 * content id to cid (if not NULL).  Returns 0 or an error.
 */
int publish_record(struct node *n, struct store_txn *t, const uint8_t sk[64], int kind,
                   const char *id, const uint8_t *body, size_t body_len, uint64_t expires,
                   uint8_t item[32], uint8_t cid[RECORD_CID_LEN], uint64_t *version,
                   struct gl_error *err);

/* Sign and store every document of r (or the retraction); calls r->done. */
void publish_submit(struct node *n, struct publish_req *r);
void publish_req_free(struct publish_req *r);
/* The reconciliation items of what a successful request stored, one per
 * document (or one for a retraction), into items. */
void publish_req_items(const struct publish_req *r, uint8_t (*items)[32]);

#endif
