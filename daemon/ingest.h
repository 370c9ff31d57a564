/*
 * ingest.h — taking in signed records from outside (an import, a peer).
 *
 * A batch goes one way, and its results come back in it:
 *
 *   1. verify, on the thread pool, split across threads: structure and
 *      limits (record_parse), signature, times (not issued in the future
 *      beyond [limits] max_clock_skew, not expired), body schema;
 *   2. write, in one job of the one writer (writer.h), so a batch lands
 *      whole or not at all: each verified record passes curate_admit(),
 *      is offered to the store, and a statement among them takes effect
 *      (curate_after_statement());
 *   3. done(), on the loop: the caller acts on the outcomes (gossip.c
 *      announces what was stored; the control socket answers an import).
 */
#ifndef GILDE_INGEST_H
#define GILDE_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/curate.h"
#include "daemon/node.h"
#include "proto/recon.h"
#include "proto/record.h"
#include "store/textindex.h"

/* What became of one record of a batch. */
enum ingest_outcome {
	INGEST_VERIFIED,    /* passed the checks, not yet written (between steps 1 and 2) */
	INGEST_NEW,         /* stored: no version of its key was held */
	INGEST_REPLACED,    /* stored: it replaced an older version */
	INGEST_OLDER,       /* not stored: the version held wins */
	INGEST_SAME,        /* not stored: this very record is held */
	INGEST_APPLICATION, /* kept as an application (curate.h), not stored */
	INGEST_REJECTED,    /* refused; ingest_rec.error says why */
};

struct ingest_rec {
	const uint8_t *env;  /* owned by the caller until done() */
	size_t len;
	/* results */
	enum ingest_outcome outcome;
	int error;           /* INGEST_REJECTED: a GL_E* code (GL_EREFUSED: its
	                      * author is not trusted here); else 0 */
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
	struct curate_changes changes; /* what its statements changed besides (curate.h) */
	int rc;              /* non-zero if the store failed: nothing was stored */
	struct gl_error err; /* the store failure, or the first rejection */
	/* private */
	struct node *node;
	unsigned chunks_left;
	struct ingest_chunk *chunks;
	struct wjob job;
};

/* Check and store b->recs; b must live until b->done(b) is called, and
 * the caller then frees b->changes (curate_changes_free). */
void ingest_submit(struct node *n, struct ingest_batch *b);

/* Was r stored (new, or replacing an older version)? */
bool ingest_stored(const struct ingest_rec *r);

/* The reason a rejected record's error (GL_E*) counts under, and its
 * name (status and metrics). */
enum reject_reason ingest_reason(int error);
const char *ingest_reason_name(enum reject_reason r);

#endif
