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

#include "alloc.h"
#include "node.h"
#include "bounds.h"
#include "record.h"

struct publish_doc {
	char *source;         /* name for messages (a file name) */
	char *json;           /* the document's text */
	size_t json_len;
	/* results */
	int kind;
	char id[GL_ID_MAX + 1];
	uint64_t version;
	uint8_t cid[RECORD_CID_LEN];
	int outcome;          /* enum store_outcome */
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

/* Sign and store every document of r (or the retraction); calls r->done. */
void publish_submit(struct node *n, struct publish_req *r);
void publish_req_free(struct publish_req *r);
/* The reconciliation items of what a successful request stored, one per
 * document (or one for a retraction), into items. */
void publish_req_items(const struct publish_req *r, uint8_t (*items)[32]);

#endif
