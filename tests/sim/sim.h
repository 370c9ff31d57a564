/*
 * sim.h — a discrete-event simulation of a gilde federation: many nodes,
 * one process, a virtual clock.  What runs is the real proto/ code: every
 * message is built by proto's encoders and read by its parsers
 * (wire_parse, recon2_parse), reconciliation is recon.c (v1) or recon2.c
 * with riblt.c (v2), records are signed and verified by record.c, and a
 * node's push rule is gossip.c's as it is today (modelled here, since the
 * daemon cannot run without libuv and LMDB):
 *
 *   - a node that stores a record that is new to it sends HAVE with its
 *     item to every open connection except the one it came from and those
 *     whose peer it knows to hold it (it sent or received it, or was told);
 *   - a node receiving HAVE asks with WANT for the items it does not hold
 *     in that or a newer version, unless it asked any peer for the same
 *     item less than 30 s ago;
 *   - WANT is answered with RECORDS; records are verified and stored after
 *     a processing delay, then announced;
 *   - the node that dialled a connection reconciles when the peer's HELLO
 *     arrives and every recon_interval after its reconciliation ended; the
 *     records found go as RECORDS (give) and WANT (take), or, with v2, the
 *     take keys in END.
 *
 * The handshake is not run: a connection opens two round trips after it
 * is dialled (M1..M4), its 352 bytes counted.  Links are TCP-like: each
 * direction delivers in order, with a latency, a bandwidth, and a loss
 * modelled as a retransmission delay (head-of-line blocking included).
 *
 * Memory: the records every node holds at the start (the base) are one
 * shared sorted array and one shared v2 sketch; a node keeps only what it
 * has beyond it or without it, and its own copy of the sketch's symbols.
 * Only records made during the run have envelopes.
 */
#ifndef GILDE_SIM_H
#define GILDE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/alloc.h"
#include "proto/recon.h"
#include "proto/recon2.h"
#include "proto/riblt.h"

#define SIM_FRAMING 21        /* bytes a message costs on the wire beyond its plaintext */
#define SIM_HANDSHAKE_BYTES 352
#define SIM_CACHE_SLOTS 1024  /* gilded's itemcache has 4096; enough here */
#define SIM_WANT_TTL_US 30000000ull

/* ---- small containers ---- */

/* A sorted array of distinct items. */
struct sarr {
	uint8_t (*v)[32];
	size_t n, cap;
};

bool sarr_has(const struct sarr *a, const uint8_t x[32]);
void sarr_insert(struct sarr *a, const uint8_t x[32]);
void sarr_remove(struct sarr *a, const uint8_t x[32]);
/* First index with v[i] >= x (bytewise). */
size_t sarr_lower(const uint8_t (*v)[32], size_t n, const uint8_t *x);

/* An exact hash map from items to 64-bit values (0: absent). */
struct imap {
	uint8_t (*k)[32];
	uint64_t *val;
	size_t cap, n;
};

uint64_t imap_get(const struct imap *m, const uint8_t x[32]);
void imap_put(struct imap *m, const uint8_t x[32], uint64_t v);
void imap_del(struct imap *m, const uint8_t x[32]);
void imap_free(struct imap *m);

/* ---- the federation ---- */

enum sim_class { SC_RECON, SC_PUSH, SC_RECORDS, SC_GIVEN, SC_OTHER, SC_COUNT };

struct sim_stats {
	uint64_t bytes_out[SC_COUNT];
	uint64_t records_in, dups_in, have_in, have_out, want_in, want_out;
	uint64_t dups_given;        /* of dups_in: records a reconciliation gave */
	uint64_t recons, recon_bytes, recon_flights;
	uint64_t v2_sessions, v2_nonzero, v2_fallbacks, v2_more;
};

struct sim_node;

struct sim_conn {
	struct sim_node *self, *peer_node;
	struct sim_conn *peer;      /* the other end */
	bool outbound, open, hello, closing;
	uint64_t hello_us;          /* when the peer's HELLO arrived */
	unsigned version;           /* reconciliation version in use */
	uint64_t arrive_us;         /* when the last message sent here arrives */
	uint64_t next_recon_us;
	bool recon_active;
	uint64_t recon_started_us;
	unsigned recon_flights;
	uint64_t recon_bytes;
	uint64_t next_sid;
	struct recon2_init r2i;
	struct recon2_resp r2r;
	uint8_t key[32];            /* v1 fingerprints: the link's recon key */
	uint64_t *known, *announced; /* SIM_CACHE_SLOTS each, while open */
	struct sim_stats st;
	unsigned slot;              /* index in self->conns */
};

struct sim_node {
	unsigned id;
	uint8_t pk[32], sk[64];
	bool online;
	uint64_t node_version;      /* of its node record */
	struct sim_conn **conns;
	unsigned nconns, conns_cap;
	struct sarr extra;          /* items held beyond the base */
	struct sarr gone;           /* base items no longer held */
	struct riblt_sketch sketch; /* v2: kept up to date with extra and gone */
	struct imap wanted;         /* item -> when it was asked (us) */
	struct sim_stats st;        /* summed over its connections, closed ones too */
	uint64_t next_tick_us;
	uint64_t up_since_us;       /* when it last came online */
	struct imap stored;         /* records stored in the run -> when (us) */
	unsigned own_active;        /* reconciliations it started that run */
	uint64_t own_quiet_us;      /* start no other before this */
	struct sim *sim;
};

struct sim_params {
	unsigned nodes;
	size_t base_records;
	unsigned version;           /* 1 or 2: what nodes speak */
	uint64_t latency_us, jitter_us;
	double bandwidth_bps;
	double loss;                /* share of messages retransmitted once */
	uint64_t rto_us;            /* the retransmission's delay */
	uint64_t store_us;          /* from a record's arrival to its being stored */
	uint64_t recon_interval_us;
	unsigned dial, max_peers;
	uint32_t sketch_size;
	double up_mean_s, down_mean_s; /* churn; 0: none */
	uint64_t seed;
	/* the rules that keep reconciliation from duplicating push (sim.c,
	 * "Duplicates"); off: today's gilded */
	bool dedup;
	uint64_t young_us;          /* records stored this recently are not given */
};

struct sim_rec {
	uint8_t item[32];
	struct gl_buf env;
	uint64_t published_us;
	unsigned holders;           /* nodes that stored it */
	uint64_t last_us;           /* when the last of them did */
	uint64_t copies;            /* RECORDS entries of it received, all nodes */
	bool tracked;
	uint64_t *got;              /* tracked: when each node stored it (0: not) */
};

struct sim;

/* Build a federation: base records, node keys, sketches, no connections. */
struct sim *sim_new(const struct sim_params *p);
void sim_free(struct sim *s);
/* Run the clock until `until_us`. */
void sim_run(struct sim *s, uint64_t until_us);
uint64_t sim_now(const struct sim *s);
/* Node `origin` publishes a new record of about `size` bytes; returns its
 * index in the records table. */
size_t sim_publish(struct sim *s, unsigned origin, size_t size, bool tracked);
const struct sim_rec *sim_rec(const struct sim *s, size_t i);
/* Records made so far (published or republished). */
size_t sim_nrecs(const struct sim *s);
struct sim_node *sim_node(struct sim *s, unsigned i);
unsigned sim_online(const struct sim *s);
/* Totals over all nodes (closed connections included). */
void sim_totals(const struct sim *s, struct sim_stats *t);
/* Start churn (if the parameters ask for it) and periodic publishing of
 * one record every `every_us` (0: none). */
void sim_steady(struct sim *s, uint64_t every_us);
/* Does node i hold item x (any version that wins or equals)? */
bool sim_holds(const struct sim *s, unsigned i, const uint8_t x[32]);

#endif
