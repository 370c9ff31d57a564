/*
 * ingest.h — taking in signed records from outside (an import, a peer).
 *
 * A batch is checked on the thread pool, split across threads: structure
 * and limits (record_parse), signature, times (not issued in the future
 * beyond [limits] max_clock_skew, not expired), body schema.  The records
 * that pass are then offered to the store in one write transaction (see
 * writer.h), so a batch lands whole or not at all.  done() runs on the loop.
 */
#ifndef GILDE_INGEST_H
#define GILDE_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/node.h"
#include "proto/recon.h"
#include "proto/record.h"
#include "store/textindex.h"

struct ingest_rec {
	const uint8_t *env;  /* owned by the caller until done() */
	size_t len;
	/* result: enum store_outcome (>= 0), CURATE_APPLICATION (kept as an
	 * application, not stored), or a GL_E* code (GL_EREFUSED: its author
	 * is not trusted) */
	int status;
	bool parsed;         /* rec, cid and item are valid (the structure was sound) */
	struct record rec;
	uint8_t cid[RECORD_CID_LEN];   /* record_cid(), record_item(): computed once, */
	uint8_t item[RECORD_ITEM_LEN]; /* with the signature check, off the loop */
	struct textindex_terms terms;     /* cut there too (not ready: cut when written) */
};

struct ingest_batch {
	struct ingest_rec *recs;
	size_t n;
	void (*done)(struct ingest_batch *b);
	void *ctx;
	/* results */
	unsigned accepted;   /* new or replacing an older version */
	unsigned older;      /* we held this or a newer version */
	unsigned rejected;   /* malformed, bad signature, bad times or schema, refused */
	unsigned refused;    /* of the rejected: author not trusted (curate.h) */
	unsigned applications; /* kept as applications (curator nodes) */
	struct recon_items moved; /* stored as a side effect (admitted applications) */
	bool trust_changed;
	int rc;              /* non-zero if the store failed: nothing was stored */
	struct gl_error err; /* the store failure, or the first rejection */
	/* private */
	struct node *node;
	unsigned chunks_left;
	struct ingest_chunk *chunks;
	struct wjob job;
};

/* Check and store b->recs; b must live until b->done(b) is called, and
 * the caller then frees b->moved.v. */
void ingest_submit(struct node *n, struct ingest_batch *b);

/* The reason a record's negative status counts under, and its name
 * (status and metrics). */
enum reject_reason ingest_reason(int status);
const char *ingest_reason_name(enum reject_reason r);

#endif
