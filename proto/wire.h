/*
 * wire.h — the messages two nodes exchange inside frames (PROTOCOL.md
 * 6.3).  Each frame's plaintext is one msgpack array whose first item is
 * the message type:
 *
 *   [1, version, name, endpoints]  HELLO    first message each way
 *   [2, ranges]                     RECON    reconciliation step (recon.h)
 *   [3, items]                      WANT     send me these records
 *   [4, envelopes]                  RECORDS  signed records (record.h)
 *   [5, items]                      HAVE     I hold these (new) records
 *   [6, nonce]                      PING
 *   [7, nonce]                      PONG     answers PING with its nonce
 *   [8, code, reason]               BYE      I am closing, and why
 *
 * version is 1; name a str of at most 128 bytes; endpoints an array of at
 * most 8 str "HOST:PORT" of at most 300 bytes; HELLO's optional fifth item
 * is the sender's clock (uint, or nil) and its optional sixth the
 * reconciliation versions it speaks (an array of 1 to 8 uint; absent or
 * malformed: version 1 only); items an array of 1 to
 * WIRE_ITEMS_MAX bin of 32 bytes; envelopes an array of 1 to
 * WIRE_RECORDS_MAX bin of at most 65,536 bytes; nonce a uint; code an
 * integer; reason a str of at most 256 bytes.  HELLO may carry further
 * items after endpoints (ignored: room for later versions); every other
 * type has exactly its fields.  Messages of an unknown type are ignored.
 */
#ifndef GILDE_WIRE_H
#define GILDE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/alloc.h"
#include "proto/err.h"
#include "proto/mp.h"

enum wire_type {
	WIRE_HELLO = 1,
	WIRE_RECON = 2,
	WIRE_WANT = 3,
	WIRE_RECORDS = 4,
	WIRE_HAVE = 5,
	WIRE_PING = 6,
	WIRE_PONG = 7,
	WIRE_BYE = 8,
};

#define WIRE_VERSION 1
#define WIRE_NAME_MAX 128
#define WIRE_ENDPOINTS_MAX 8
#define WIRE_ENDPOINT_MAX 300
#define WIRE_ITEMS_MAX 4096
#define WIRE_RECORDS_MAX 1024
#define WIRE_REASON_MAX 256
/* Reconciliation versions, one bit each, in wire_msg.recon_versions. */
#define WIRE_RECON_V1 (1u << 1)
#define WIRE_RECON_V2 (1u << 2) /* listed only by nodes before v3 */
#define WIRE_RECON_V3 (1u << 3)
#define WIRE_RECON_LIST_MAX 8

/* A parsed message.  Pointers point into the frame given to wire_parse;
 * items is allocated (free with wire_msg_free). */
struct wire_msg {
	unsigned type;          /* enum wire_type, or another value: ignore it */
	uint64_t version;       /* HELLO */
	const char *name;       /* HELLO, name_len bytes */
	size_t name_len;
	const char *endpoints[WIRE_ENDPOINTS_MAX]; /* HELLO */
	size_t endpoint_len[WIRE_ENDPOINTS_MAX];
	unsigned nendpoints;
	uint64_t clock_ms;      /* HELLO: the sender's clock, Unix ms; 0 if not sent */
	unsigned recon_versions; /* HELLO: bit v set for each reconciliation
	                          * version v (1 to 31) the peer speaks; bit 1
	                          * always (a peer that lists none speaks v1) */
	const uint8_t *recon;   /* RECON: the raw ranges array */
	size_t recon_len;
	uint8_t (*items)[32];   /* WANT, HAVE */
	size_t nitems;
	const uint8_t **env;    /* RECORDS */
	size_t *env_len;
	size_t nenv;
	uint64_t nonce;         /* PING, PONG */
	int64_t code;           /* BYE */
	const char *reason;
	size_t reason_len;
};

/*
 * Parse one frame's plaintext.  Checks the msgpack profile (mp.h) with
 * wire limits, then the fields of the type.  Returns 0 (unknown types
 * included: check msg->type), or GL_EFORMAT / GL_ELIMIT / GL_ETRUNC with
 * a reason.  On failure nothing needs freeing.
 */
int wire_parse(const uint8_t *p, size_t len, struct wire_msg *msg, struct gl_error *err);
void wire_msg_free(struct wire_msg *msg);

/* Encoders: each appends one message (a frame's plaintext) to out. */
/* HELLO; clock_ms is the sender's wall clock (Unix ms), or 0 to leave the
 * optional fifth item out. */
void wire_hello(struct gl_buf *out, const char *name, const char *const *endpoints,
                unsigned n, uint64_t clock_ms);
/* HELLO with all six items: the clock (nil if clock_ms is 0) and the
 * reconciliation versions of the mask `versions` (bits as in
 * recon_versions; bit 1 is always listed). */
void wire_hello_recon(struct gl_buf *out, const char *name, const char *const *endpoints,
                      unsigned n, uint64_t clock_ms, unsigned versions);
/* The reconciliation version two nodes use: the highest both speak
 * (masks as in recon_versions), 1 if they share no other. */
unsigned wire_recon_pick(unsigned mine, unsigned theirs);
void wire_recon(struct gl_buf *out, const uint8_t *ranges, size_t len);
void wire_items(struct gl_buf *out, unsigned type, const uint8_t (*items)[32], size_t n);
/* RECORDS: the caller appends n envelopes after wire_records_head. */
void wire_records_head(struct gl_buf *out, size_t n);
void wire_records_add(struct gl_buf *out, const uint8_t *env, size_t len);
void wire_ping(struct gl_buf *out, unsigned type, uint64_t nonce);
void wire_bye(struct gl_buf *out, int64_t code, const char *reason);

#endif
