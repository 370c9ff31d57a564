/*
 * record.h — the signed record: the unit of everything gilde stores and
 * gossips.  proto/PROTOCOL.md ("Records") is the normative description;
 * this header is its C contract.
 *
 * An envelope is the msgpack array [payload: bin, signature: bin(64)].
 * The payload is itself msgpack:
 *     [format=1, author: bin(32), kind: str, id: str, version: uint,
 *      issued: uint, expires: uint, body: map | nil]
 * The signature is Ed25519 by `author` over RECORD_SIG_CONTEXT || payload.
 * A nil body is a tombstone: the record with that key is deleted.
 *
 * Envelopes are never re-encoded: the bytes that were signed are the bytes
 * stored, exported and forwarded.  struct record is a view into them.
 */
#ifndef GILDE_RECORD_H
#define GILDE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/alloc.h"
#include "proto/err.h"
#include "proto/mp.h"

#define RECORD_FORMAT 1
/* 15 ASCII characters and a NUL byte: the 16-byte signing context. */
#define RECORD_SIG_CONTEXT "gilde-record-v1"
#define RECORD_SIG_CONTEXT_LEN 16
#define RECORD_KEY_LEN 32   /* Ed25519 public key */
#define RECORD_SIG_LEN 64
#define RECORD_CID_LEN 32   /* BLAKE2b-256 of the envelope */
#define RECORD_KEYHASH_LEN 16
#define RECORD_ITEM_LEN 32  /* reconciliation item, see record_item() */

/* Kinds, numbered for the store's keys (the wire carries names). */
enum record_kind {
	RK_PARTNER = 1,
	RK_OFFER = 2,
	RK_EVENT = 3,
	RK_NEWS = 4,
	RK_ENDORSE = 5,
	RK_REVOKE = 6,
	RK_NODE = 7,
	RK_INSIGHT = 8, /* a city node's anonymous figures (PROTOCOL.md 2.8) */
};
#define RK_FIRST RK_PARTNER
#define RK_LAST RK_INSIGHT

/* The kind's wire name ("offer"), or NULL if k is not a kind. */
const char *record_kind_name(int k);
/* Parse a kind name of len bytes; returns the kind or 0 if unknown. */
int record_kind_parse(const char *name, size_t len);
/* True if id (len bytes) is a valid record id: [a-z0-9][a-z0-9._-]{0,63}. */
bool record_id_valid(const char *id, size_t len);

/*
 * A parsed record.  Every pointer points into the envelope given to
 * record_parse() and is valid as long as those bytes are.
 */
struct record {
	const uint8_t *env;
	size_t env_len;
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *sig;     /* RECORD_SIG_LEN bytes */
	const uint8_t *author;  /* RECORD_KEY_LEN bytes */
	int kind;               /* enum record_kind */
	const char *id;         /* id_len bytes, not NUL-terminated */
	size_t id_len;
	uint64_t version;
	uint64_t issued;        /* seconds since the Unix epoch, UTC */
	uint64_t expires;       /* seconds since the Unix epoch; > issued */
	const uint8_t *body;    /* msgpack map, or NULL for a tombstone */
	size_t body_len;
};

/*
 * Parse and check the structure of an envelope of len bytes: format,
 * types, shortest encodings, limits (proto/limits.h), kind, id, times
 * (expires > issued, version >= 1), no trailing bytes.  Does NOT check
 * the signature (record_verify) or the times against a clock.
 * Returns 0 and fills *out, or GL_ELIMIT / GL_ETRUNC / GL_EFORMAT with a
 * reason in err; *out is untouched on failure.
 */
int record_parse(const uint8_t *env, size_t len, struct record *out,
                 struct gl_error *err);

/*
 * The same for an envelope the store holds, which record_parse() accepted
 * when it entered the store: the same fields and checks of the envelope
 * and payload, but the body is not walked again (its values, limits and
 * UTF-8 were checked then; walking every body on every read was a third
 * of a query's time).  Lengths are still checked against len, so a
 * damaged store cannot make it read past the envelope, and the body
 * readers (proto/body.h) are bounded too.  Only for bytes read from the
 * store: never for bytes from a peer or a file.
 */
int record_parse_held(const uint8_t *env, size_t len, struct record *out,
                      struct gl_error *err);

/* Verify the signature of a parsed record.  Returns 0 or GL_ESIG. */
int record_verify(const struct record *r);

/* Parse and verify in one step. */
int record_open(const uint8_t *env, size_t len, struct record *out,
                struct gl_error *err);

/* The content id: BLAKE2b-256 (unkeyed) of the whole envelope. */
void record_cid(const uint8_t *env, size_t len, uint8_t cid[RECORD_CID_LEN]);

/*
 * The key hash: BLAKE2b-128 (unkeyed) of
 *   author(32) || u8 len(kind name) || kind name || u8 len(id) || id.
 */
void record_keyhash(const uint8_t author[RECORD_KEY_LEN], int kind,
                    const char *id, size_t id_len,
                    uint8_t out[RECORD_KEYHASH_LEN]);

/*
 * The reconciliation item of the record with key (author, kind, id),
 * version and content id cid:
 *   keyhash(16) || version as 8 bytes big-endian || cid[0..8).
 * Items sort by key, then version, then content.  The one place the
 * layout is written: the store (held entries), publishing (records about
 * to be signed) and record_item() all come here.
 */
void record_item_of(const uint8_t author[RECORD_KEY_LEN], int kind, const char *id,
                    size_t id_len, uint64_t version, const uint8_t cid[RECORD_CID_LEN],
                    uint8_t item[RECORD_ITEM_LEN]);

/* The reconciliation item of a parsed record (record_item_of). */
void record_item(const struct record *r, const uint8_t cid[RECORD_CID_LEN],
                 uint8_t item[RECORD_ITEM_LEN]);

/*
 * True if record a (version va, content id ca) wins over b: a higher
 * version wins; at equal versions the greater content id wins.
 */
bool record_wins(uint64_t va, const uint8_t ca[RECORD_CID_LEN],
                 uint64_t vb, const uint8_t cb[RECORD_CID_LEN]);

/* What a signer puts in a record.  body is a msgpack map or NULL. */
struct record_draft {
	int kind;
	const char *id;
	size_t id_len;
	uint64_t version;
	uint64_t issued;
	uint64_t expires;
	const uint8_t *body;
	size_t body_len;
};

/*
 * Encode and sign a draft with the Ed25519 secret key sk (libsodium's
 * 64-byte form; the author is its public half).  The envelope is appended
 * to *out.  The result is checked with record_parse() before returning,
 * so a draft over a limit fails here with the same reason a receiver
 * would give.  Returns 0, GL_EINVAL, GL_ELIMIT or GL_EFORMAT.
 */
int record_sign(const struct record_draft *d, const uint8_t sk[64],
                struct gl_buf *out, struct gl_error *err);

/*
 * Find where the envelope at the start of buf ends, for reading a stream
 * of envelopes (an export file).  Only the outer structure is read; parse
 * the span with record_parse().  Returns 0 and the length in *span,
 * GL_ETRUNC if buf ends inside it, GL_EFORMAT or GL_ELIMIT otherwise.
 */
int record_span(const uint8_t *buf, size_t len, size_t *span, struct gl_error *err);

/*
 * The key of a record (author, kind, id) read from an envelope without
 * checking the rest of it, for putting envelopes in the store's order
 * before they are parsed (gilde import).  Pointers point into env.
 */
struct record_key {
	const uint8_t *author;  /* RECORD_KEY_LEN bytes */
	int kind;               /* enum record_kind */
	const char *id;
	size_t id_len;
};

/*
 * Fill *out from the envelope of len bytes at env.  Returns 0, or
 * GL_EFORMAT / GL_ETRUNC if these fields cannot be read, in which case
 * record_parse() says why.  A key read here is no promise that the record
 * parses.
 */
int record_peek_key(const uint8_t *env, size_t len, struct record_key *out);

/*
 * Compare two keys in the order of the store's records table: author,
 * then kind, then id bytewise, a shorter id first when one is a prefix of
 * the other.  Returns <0, 0 or >0.
 */
int record_key_cmp(const struct record_key *a, const struct record_key *b);

/* The body limits (depth counted from the payload array). */
extern const struct mp_limits record_body_limits;

#endif
