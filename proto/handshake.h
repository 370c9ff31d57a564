/*
 * handshake.h — the connection handshake between two nodes (PROTOCOL.md,
 * section 6.1).  A pure state machine: the caller moves bytes; this module
 * never does I/O.
 *
 * Four messages, fixed sizes, initiator (I, the side that dialled) first:
 *
 *   M1  I->R  64 bytes   E_I || HMAC(K, "gilde-hs-v1 m1" || E_I)
 *   M2  R->I  64 bytes   E_R || HMAC(K, "gilde-hs-v1 m2" || E_I || E_R)
 *   M3  I->R 112 bytes   secretbox(key box3, nonce 0, pk_I || sig_I)
 *   M4  R->I 112 bytes   secretbox(key box4, nonce 0, pk_R || sig_R)
 *
 * where K is the federation's 32-byte network key, E_I and E_R are fresh
 * X25519 public keys (crypto_kx_keypair), HMAC is HMAC-SHA-512-256
 * (crypto_auth), secretbox is XSalsa20-Poly1305 (crypto_secretbox_easy)
 * with a 24-byte zero nonce (each box key is used once), and
 *
 *   shared  = X25519(own ephemeral secret, other's ephemeral public)
 *             (crypto_scalarmult; an all-zero result is refused)
 *   kdf(L)  = BLAKE2b-256(key = K, msg = "gilde-hs-v1 " || L || shared || E_I || E_R)
 *             for the ASCII labels L = "box3", "box4", "i2r", "r2i", "recon"
 *   sig_I   = Ed25519(sk_I, "gilde-hs-v1 m3" || E_I || E_R)
 *   sig_R   = Ed25519(sk_R, "gilde-hs-v1 m4" || E_I || E_R || pk_I)
 *
 * (All strings are ASCII without a terminating NUL.)  A node without K
 * cannot produce M1 or M2, so a scanner or a node of another federation is
 * dropped after its first 64 bytes and learns nothing; the long-term keys
 * travel only inside the boxes; the stream keys come from ephemeral keys
 * (forward secrecy); each signature covers both ephemeral keys, so a proof
 * cannot be replayed into another session, and sig_R also covers pk_I.
 *
 * Afterwards the initiator sends with kdf("i2r") and receives with
 * kdf("r2i"); the responder the opposite.  kdf("recon") keys the
 * reconciliation fingerprints of this connection (recon.h).
 */
#ifndef GILDE_HANDSHAKE_H
#define GILDE_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"

#define HS_M1_LEN 64
#define HS_M2_LEN 64
#define HS_M3_LEN 112
#define HS_M4_LEN 112
#define HS_MAX_MSG 112

/* What a completed handshake yields. */
struct hs_result {
	uint8_t remote_pk[32]; /* the other node's Ed25519 public key, proven */
	uint8_t tx[32];        /* key for the frames this side sends */
	uint8_t rx[32];        /* key for the frames this side receives */
	uint8_t recon[32];     /* key for reconciliation fingerprints */
};

enum hs_state {
	HS_SEND_M1,   /* initiator, before hs_start */
	HS_WAIT_M1,   /* responder */
	HS_WAIT_M2,   /* initiator */
	HS_WAIT_M3,   /* responder */
	HS_WAIT_M4,   /* initiator */
	HS_DONE,
	HS_FAILED,
};

/* The handshake of one connection.  Treat as opaque. */
struct hs {
	bool initiator;
	enum hs_state state;
	uint8_t netkey[32];
	const uint8_t *sk;     /* caller's 64-byte Ed25519 secret key; must outlive h */
	uint8_t e_pk[32], e_sk[32];
	uint8_t peer_e[32];
	uint8_t shared[32];
	uint8_t pk_i[32];      /* the initiator's long-term key, once known */
};

/* Prepare a handshake; generates the ephemeral key pair. */
void hs_init(struct hs *h, bool initiator, const uint8_t netkey[32], const uint8_t sk[64]);

/* For tests only: a reproducible ephemeral key, derived from eph_seed with
 * crypto_kx_seed_keypair instead of drawn at random.  Never use this on
 * a real connection: a repeated ephemeral key loses forward secrecy. */
void hs_init_seeded(struct hs *h, bool initiator, const uint8_t netkey[32], const uint8_t sk[64],
                    const uint8_t eph_seed[32]);

/* Initiator only: write M1 (HS_M1_LEN bytes) into out.  Returns its length. */
size_t hs_start(struct hs *h, uint8_t out[HS_MAX_MSG]);

/* How many bytes the handshake needs next; 0 when done or failed. */
size_t hs_want(const struct hs *h);

/*
 * Feed exactly hs_want(h) bytes.  If a reply is due it is written to out
 * (*outlen bytes, else *outlen = 0).  When the handshake completes, *done
 * is set and *res filled (the responder completes on M3 and must still
 * send the M4 written to out).
 * Returns 0, or GL_EAUTH if the other side does not hold the network key,
 * a box does not open, or a signature does not verify (h is then failed
 * and should be dropped without sending anything more).
 */
int hs_feed(struct hs *h, const uint8_t *in, size_t len, uint8_t out[HS_MAX_MSG],
            size_t *outlen, bool *done, struct hs_result *res, struct gl_error *err);

/* Erase the secrets held in h. */
void hs_wipe(struct hs *h);

#endif
