/*
 * trust.h — who belongs to the federation, decided from the store.
 *
 * A node accepts (stores and forwards) a record only if its author is
 * trusted, on every path: push, reconciliation, import, local publish.
 * An author is trusted when it is
 *   - this node's own key, or on the local allow list, or a curator, or
 *     the node is open ([federation] open = true); or
 *   - endorsed by a curator: for each curator C, C's latest statement
 *     about the author (its endorse or revoke record, whichever was issued
 *     later; a tombstone says nothing) counts.  The author is trusted if
 *     some curator's latest statement is an endorsement that has not
 *     passed its `until` day (UTC), and no curator's latest statement is
 *     a revocation.
 * Revocation wins over endorsement, so one curator can remove a key the
 * others admitted.  Rotation is an endorsement of the new key together
 * with a revocation of the old one, signed in one transaction.
 *
 * The verdict depends only on the store and the clock, so it is the same
 * inside a write transaction as records arrive: an endorsement stored
 * earlier in a batch admits the records after it.
 */
#ifndef GILDE_TRUST_H
#define GILDE_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/err.h"
#include "proto/record.h"
#include "store/store.h"

struct trust_cfg {
	uint8_t own[32];
	uint8_t (*curators)[32];
	unsigned ncurators;
	uint8_t (*allow)[32];
	unsigned nallow;
	bool open;
};

enum trust_verdict {
	TRUST_OK = 0,     /* accept */
	TRUST_UNKNOWN,    /* no curator has said anything: not a member */
	TRUST_REVOKED,    /* a curator revoked it (or replaced it) */
	TRUST_EXPIRED,    /* its endorsements have passed their end date */
};

const char *trust_verdict_name(enum trust_verdict v);

/* What an endorse or revoke record says. */
struct trust_statement {
	uint8_t key[32];          /* whom it is about */
	char name[201];           /* endorse: the partner's name */
	bool has_until;
	int64_t until_end;        /* endorse: end of the until day, seconds UTC */
	bool has_replaces;
	uint8_t replaces[32];     /* endorse: the key it rotates away from */
	char reason[501];         /* revoke */
};

/*
 * Read an endorse or revoke record's body (already schema-checked) and
 * check that its id is the hex of its key.  Returns 0, or GL_EFORMAT with
 * a reason.
 */
int trust_parse_statement(const struct record *r, struct trust_statement *out,
                          struct gl_error *err);

bool trust_is_curator(const struct trust_cfg *cfg, const uint8_t key[32]);

/* The verdict for author at time now (seconds).  Returns 0 or a store error. */
int trust_check(const struct trust_cfg *cfg, struct store_txn *t, const uint8_t author[32],
                uint64_t now, enum trust_verdict *out, struct gl_error *err);

/* Keep cfg in the store's meta ("trust"), so that gilde can report
 * members while the daemon is stopped; and read it back (free with
 * trust_cfg_free).  trust_cfg_load returns GL_ENOTFOUND if absent. */
int trust_cfg_save(const struct trust_cfg *cfg, struct store_txn *t, struct gl_error *err);
int trust_cfg_load(struct store_txn *t, struct trust_cfg *out, struct gl_error *err);
void trust_cfg_free(struct trust_cfg *cfg);

/*
 * Keys this node signed with before a rotation in a curated federation
 * (self.h): their records are deleted here and refused from then on
 * (statements excepted), while a curator's revocation is still to come.
 * Kept in the store's meta ("retired"), at most TRUST_RETIRED_MAX.
 * trust_retired_add returns 0 or a store error (GL_ELIMIT when full);
 * trust_is_retired reads in t, and a damaged or missing list says no.
 */
#define TRUST_RETIRED_MAX 256
int trust_retired_add(struct store_txn *t, const uint8_t key[32], struct gl_error *err);
bool trust_is_retired(struct store_txn *t, const uint8_t key[32]);

/* The record id for statements about key: 64 lowercase hex digits. */
void trust_key_id(const uint8_t key[32], char id[65]);

#endif
