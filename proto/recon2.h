/*
 * recon2.h — reconciliation by coded symbols, version 3 on the wire
 * (PROTOCOL.md 6.7; the messages of version 2 with a cheaper digest, so
 * the module keeps v2's name): two nodes find the
 * records one holds and the other lacks from coded symbols (riblt.h) in
 * one round trip when they agree and about two when they do not, with
 * bytes that grow with the number of differences and CPU that does not
 * grow with the number of records.  Pure logic: the caller moves the
 * messages, keeps the sketch of its items and sends the records.
 *
 * A session is started by one node, the initiator (I); the other is the
 * responder (R).  Messages, each one frame (a msgpack array):
 *
 *   I->R  START     [9, sid, count, digest]
 *   R->I  ESTIMATE  [10, sid, count, counts]
 *   I->R  SYMBOLS   [11, sid, first, end, count, digest, symbols]
 *   R->I  MORE      [12, sid, end]
 *   both  END       [13, sid, status, take]
 *   both  SENT      [14, sid, records]
 *
 *   sid      uint >= 1, chosen by I; odd if I dialled the connection, even
 *            if it accepted it (so a node tells its own sessions from its
 *            peer's); SENT uses 0 for records of a v1 reconciliation
 *   count    uint, the sender's number of items
 *   digest   bin 32, the sender's set digest (riblt.h: the v3 multiset
 *            hash)
 *   counts   bin of 0 to RECON2_COUNTS_MAX bytes: the counts, modulo 256,
 *            of R's symbols 1, 2, ... (an estimate of the difference)
 *   first    uint, the index of the first symbol in `symbols`
 *   end      uint, one past the last index I sends in this flight
 *   symbols  bin of k * 37 bytes, 1 <= k <= RECON2_FLIGHT_SYMBOLS, the
 *            symbols first .. first+k-1 in wire form; first+k <= end <=
 *            RIBLT_SYMBOLS_MAX
 *   status   0 SAME (the sets are equal), 1 DECODED, 2 TOO_MANY (more
 *            differences than v2 handles: run v1), 3 FAILED (symbols that do
 *            not decode or verify: run v1)
 *   take     array of bin 16, the key hashes whose records R wants from I
 *            (only with DECODED from R; else empty), at most
 *            RIBLT_SYMBOLS_MAX
 *   records  uint, records the sender sent for the session
 *
 * The flow: I sends START.  R answers END SAME if the digests and counts
 * are equal, END TOO_MANY if the counts alone differ by more than it can
 * decode, else ESTIMATE.  I sends one flight of SYMBOLS [0, end) (or END
 * TOO_MANY).  R decodes when it holds every symbol below end: END DECODED
 * (it then sends the records I lacks, then SENT), MORE (a larger end; I
 * sends the next flight from the same snapshot), or END TOO_MANY/FAILED.
 * I, on END DECODED, sends the records of the take keys, then SENT.  After
 * TOO_MANY or FAILED the initiator runs a v1 reconciliation.
 *
 * Every message is checked whole before it is acted on; a message of a
 * session that is no longer current (a late answer) is ignored; a message
 * that breaks its shape, or comes out of order within the current
 * session, is GL_EPROTO.
 *
 * Caveats: the sketch given to the calls of one session must be the same
 * node's, kept up to date between calls; the initiator answers MORE from a
 * snapshot taken when it sent its first SYMBOLS, so its later changes do
 * not spoil the session.
 */
#ifndef GILDE_RECON2_H
#define GILDE_RECON2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/alloc.h"
#include "proto/err.h"
#include "proto/recon.h"
#include "proto/riblt.h"

enum recon2_type {
	R2_START = 9,
	R2_ESTIMATE = 10,
	R2_SYMBOLS = 11,
	R2_MORE = 12,
	R2_END = 13,
	R2_SENT = 14,
};

enum recon2_status {
	R2_SAME = 0,
	R2_DECODED = 1,
	R2_TOO_MANY = 2,
	R2_FAILED = 3,
};

/* The reconciliation version these messages and this digest are, as HELLO
 * lists it (version 2, the same messages with a ristretto255 digest, is
 * no longer spoken: PROTOCOL.md 6.7.1). */
#define RECON2_VERSION 3
/* Most counts in ESTIMATE, and how many a responder sends. */
#define RECON2_COUNTS_MAX 1024
#define RECON2_COUNTS 512
/* Most symbols in one SYMBOLS message: its bin stays under 64 KiB. */
#define RECON2_FLIGHT_SYMBOLS 1536
/* The initiator keeps its symbols up to RECON2_SNAPSHOT_FACTOR times its
 * first flight, plus 256, for MORE; MORE beyond that ends the session
 * TOO_MANY. */
#define RECON2_SNAPSHOT_FACTOR 8

/* A parsed v2 message; pointers point into the bytes given to recon2_parse. */
struct recon2_msg {
	unsigned type;           /* enum recon2_type */
	uint64_t sid;
	uint64_t count;          /* START, ESTIMATE, SYMBOLS */
	const uint8_t *digest;   /* START, SYMBOLS: 32 bytes */
	const uint8_t *counts;   /* ESTIMATE */
	uint32_t ncounts;
	uint32_t first, end;     /* SYMBOLS (first, end); MORE (end) */
	const uint8_t *symbols;  /* SYMBOLS: nsymbols * RIBLT_SYMBOL_WIRE bytes */
	uint32_t nsymbols;
	unsigned status;         /* END */
	const uint8_t *take;     /* END: the first of ntake bin 16 (18 bytes each) */
	uint32_t ntake;
	uint64_t records;        /* SENT */
};

/* True if type is one of enum recon2_type. */
bool recon2_is_type(uint64_t type);

/*
 * Parse one frame's plaintext holding a v2 message: the msgpack profile
 * (PROTOCOL.md 1), the exact shape of its type, and every limit above.
 * Returns 0, or GL_EPROTO with a reason (nothing to free either way).
 */
int recon2_parse(const uint8_t *p, size_t len, struct recon2_msg *m, struct gl_error *err);

/* The take keys of a parsed END, in order: key i into k (16 bytes). */
void recon2_take_key(const struct recon2_msg *m, uint32_t i, uint8_t k[16]);

/* What handling a message yields. */
struct recon2_out {
	struct gl_buf *msgs;       /* messages to send, in order, one frame each */
	size_t nmsgs, msgs_cap;
	bool done;                 /* the session has ended (status says how) */
	int status;                /* enum recon2_status, when done */
	/* records to send: own items (responder), or the take key hashes
	 * followed by 16 zero bytes (initiator: send the record held for that
	 * key, whatever its version) */
	struct recon_items give;
	struct recon_items take;   /* responder: the peer's items asked for */
	uint32_t symbols;          /* symbols sent (initiator) or decoded over (responder) */
};

void recon2_out_reset(struct recon2_out *o);
void recon2_out_free(struct recon2_out *o);

/* The initiator's side of one session. */
struct recon2_init {
	uint64_t sid;      /* 0: no session */
	int phase;
	uint64_t n;        /* count and digest of the snapshot */
	uint8_t digest[RIBLT_DIGEST];
	uint8_t *snap;     /* wire symbols [end, snap_end) kept for MORE */
	uint32_t end, snap_end;
	uint32_t estimate; /* the difference estimated from ESTIMATE, in items */
};

/* The responder's side of the peer's current session. */
struct recon2_resp {
	/*
	 * Optional, set by the caller and kept across sessions: skip(ctx, x)
	 * true leaves the peer's item x out of `take` (the caller is getting
	 * that record already, e.g. it asked another peer for it less than 30 s
	 * ago).  NULL: take everything the peer holds that wins.
	 */
	bool (*skip)(void *ctx, const uint8_t item[RECON_ITEM]);
	void *skip_ctx;
	uint64_t sid;      /* 0: no session */
	int phase;
	uint64_t peer_n;
	uint8_t peer_digest[RIBLT_DIGEST];
	uint8_t *syms;     /* wire symbols [0, have) */
	uint32_t have;     /* symbols received, from index 0 on */
	uint32_t end;      /* end of the flight being received */
	uint32_t asked;    /* end asked for with MORE (0: none) */
	uint32_t cap;      /* room in syms, in symbols */
};

/*
 * Start session sid (>= 1; odd if this node dialled, even if not) over the
 * items of own: appends START to out.  Any previous session of `in` is
 * dropped.  Returns 0 or GL_EINVAL (sid 0).
 */
int recon2_initiate(struct recon2_init *in, uint64_t sid, const struct riblt_sketch *own,
                    struct recon2_out *out, struct gl_error *err);

/*
 * Handle ESTIMATE, MORE or END (a session of our own) as the initiator.
 * Returns 0 (messages to send in out; out->done when the session ended),
 * or GL_EPROTO if the message breaks the session's order.
 */
int recon2_initiator_on(struct recon2_init *in, const struct riblt_sketch *own,
                        const struct recon2_msg *m, struct recon2_out *out, struct gl_error *err);

/*
 * Handle START, SYMBOLS or END (the peer's session) as the responder.
 * Returns 0 (out as above; on END DECODED out->give holds the records to
 * send and out->take the items asked for), or GL_EPROTO.
 */
int recon2_responder_on(struct recon2_resp *re, const struct riblt_sketch *own,
                        const struct recon2_msg *m, struct recon2_out *out, struct gl_error *err);

/* Free a side's session state (the responder keeps skip and skip_ctx). */
void recon2_init_free(struct recon2_init *in);
void recon2_resp_free(struct recon2_resp *re);

/*
 * Encoders, exposed for tests and the end of a transfer: each appends one
 * message to out.
 */
void recon2_msg_start(struct gl_buf *out, uint64_t sid, uint64_t count, const uint8_t digest[32]);
void recon2_msg_estimate(struct gl_buf *out, uint64_t sid, uint64_t count, const uint8_t *counts,
                         uint32_t k);
/* syms: k symbols in wire form */
void recon2_msg_symbols(struct gl_buf *out, uint64_t sid, uint32_t first, uint32_t end,
                        uint64_t count, const uint8_t digest[32], const uint8_t *syms, uint32_t k);
void recon2_msg_more(struct gl_buf *out, uint64_t sid, uint32_t end);
void recon2_msg_end(struct gl_buf *out, uint64_t sid, unsigned status,
                    const uint8_t (*take)[16], size_t ntake);
void recon2_msg_sent(struct gl_buf *out, uint64_t sid, uint64_t records);

/*
 * The estimate the initiator makes (not part of the protocol: any node may
 * choose its own): items in the symmetric difference, from own and peer
 * counts of symbols 1..k and the two item counts.
 */
double recon2_estimate(const uint8_t *own_counts, const uint8_t *peer_counts, uint32_t k,
                       uint64_t own_n, uint64_t peer_n);
/* The first flight's end for an estimate (also not part of the protocol). */
uint32_t recon2_flight_for(double estimate);

#endif
