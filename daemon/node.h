/*
 * node.h — the daemon's one context, passed explicitly to every part.
 * There are no other globals in gilded.
 */
#ifndef GILDE_NODE_H
#define GILDE_NODE_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "query/match.h"
#include "schemas/config.h"
#include "store/paths.h"
#include "schemas/schema.h"
#include "store/store.h"
#include "store/trust.h"
#include "daemon/writer.h"

struct ctl;
struct gossip;
struct reconjobs;
struct insightd;
struct sketch;
struct net;
struct web;

/* Why offered records were turned away (ingest_reason()). */
enum reject_reason {
	REJECT_FORMAT,     /* not a well-formed envelope */
	REJECT_SIGNATURE,  /* the signature does not verify */
	REJECT_SCHEMA,     /* the body does not follow its kind's schema */
	REJECT_TIME,       /* expired, or issued too far in the future */
	REJECT_UNTRUSTED,  /* its author is not in the federation */
	REJECT_LIMIT,      /* over a size limit */
	REJECT_STORE,      /* the store failed to take it */
	REJECT_OTHER,
	REJECT_COUNT
};

struct node_counters {
	uint64_t published;       /* records signed here */
	uint64_t ingested;        /* records stored from imports and peers */
	uint64_t older;           /* offered records we already had or beat */
	uint64_t rejected;        /* offered records refused */
	uint64_t rejected_by[REJECT_COUNT];
	uint64_t last_ingest_ms;  /* clock_mono_ms() when one was last stored; 0: never */
};

struct node {
	uv_loop_t *loop;
	struct config cfg;
	char data[PATHS_MAX];
	char name[128];
	uint8_t *sk;              /* 64 bytes in sodium_malloc'd memory */
	uint8_t pk[32];
	char key_text[64];        /* ed25519:… */
	int lock_fd;
	struct store *store;
	struct schema_set *schemas;
	struct taxonomy *tax;          /* the schemas' taxonomy, for the offers' facts */
	struct match_facts facts;      /* the store's derived table of offers' facts */
	struct writer writer;
	unsigned ingest_pending;  /* batches submitted whose done() is still to come */
	struct ctl *ctl;
	struct net *net;
	struct gossip *gossip;
	struct reconjobs *reconjobs; /* reconciliation scans on the pool (reconjob.h) */
	struct sketch *sketch;    /* the items' v3 sketch (sketch.h) */
	struct strlist endpoints; /* where peers reach us: our node record */
	/* whose records this node accepts (curate.h): an immutable snapshot,
	 * replaced whole (SIGHUP, key rotation) and read from any thread with
	 * curate_trust(); replaced snapshots are freed only at exit */
	struct curate_trust *_Atomic trust;
	struct curate_trust *trust_retired;
	uv_timer_t sweep_timer;
	uv_timer_t mem_timer;     /* store_map_check() once a second */
	bool sweep_running;
	uv_signal_t sig_int, sig_term, sig_hup;
	int argc;                 /* the command line, read again on SIGHUP */
	char **argv;
	bool stopping;
	uint64_t started_ms;      /* clock_mono_ms(): for uptime, never shown as a date */
	struct node_counters counters;
	char listen_addr[300];    /* as bound, port resolved */
	struct web *web;          /* NULL unless [web] listen is set */
	char web_addr[300];       /* the web server's address, port resolved; "" if none */
	struct insightd *insight; /* progress events (insightd.h); NULL without DATA/insight */
};

/* Begin an orderly stop: stop accepting, let running jobs finish, close. */
void node_stop(struct node *n, const char *why);

#endif
