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

#include "node.h"
#include "record.h"

struct ingest_rec {
	const uint8_t *env;  /* owned by the caller until done() */
	size_t len;
	int status;          /* result: enum store_outcome (>= 0) or a GL_E* code */
	struct record rec;   /* parsed view, valid when status >= 0 */
};

struct ingest_batch {
	struct ingest_rec *recs;
	size_t n;
	void (*done)(struct ingest_batch *b);
	void *ctx;
	/* results */
	unsigned accepted;   /* new or replacing an older version */
	unsigned older;      /* we held this or a newer version */
	unsigned rejected;
	int rc;              /* non-zero if the store failed: nothing was stored */
	struct gl_error err; /* the store failure, or the first rejection */
	/* private */
	struct node *node;
	unsigned chunks_left;
	struct ingest_chunk *chunks;
	struct wjob job;
};

/* Check and store b->recs; b must live until b->done(b) is called. */
void ingest_submit(struct node *n, struct ingest_batch *b);

#endif
