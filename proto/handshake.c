/*
 * handshake.c — the connection handshake between two nodes; the message
 * layouts, labels and key derivation are specified in handshake.h and
 * PROTOCOL.md section 6.1.
 */
#include "proto/handshake.h"

#include <string.h>

#include <sodium.h>

#define HS_PREFIX "gilde-hs-v1 "
#define HS_PREFIX_LEN (sizeof HS_PREFIX - 1) /* 12 */
#define HS_TAG_LEN (HS_PREFIX_LEN + 2)       /* "gilde-hs-v1 m1" etc: 14 */
#define HS_BOX_PLAIN 96                      /* pk || sig */

static const uint8_t zero_nonce[crypto_secretbox_NONCEBYTES];

/* The two ephemeral public keys in protocol order (E_I, E_R). */
static const uint8_t *eph_i(const struct hs *h)
{
	return h->initiator ? h->e_pk : h->peer_e;
}

static const uint8_t *eph_r(const struct hs *h)
{
	return h->initiator ? h->peer_e : h->e_pk;
}

static void common_init(struct hs *h, bool initiator, const uint8_t netkey[32], const uint8_t sk[64])
{
	h->initiator = initiator;
	h->state = initiator ? HS_SEND_M1 : HS_WAIT_M1;
	memcpy(h->netkey, netkey, 32);
	h->sk = sk;
	memset(h->peer_e, 0, sizeof h->peer_e);
	memset(h->shared, 0, sizeof h->shared);
	memset(h->pk_i, 0, sizeof h->pk_i);
	if (initiator)
		crypto_sign_ed25519_sk_to_pk(h->pk_i, sk);
}

void hs_init(struct hs *h, bool initiator, const uint8_t netkey[32], const uint8_t sk[64])
{
	common_init(h, initiator, netkey, sk);
	crypto_kx_keypair(h->e_pk, h->e_sk);
}

void hs_init_seeded(struct hs *h, bool initiator, const uint8_t netkey[32], const uint8_t sk[64],
                    const uint8_t eph_seed[32])
{
	common_init(h, initiator, netkey, sk);
	crypto_kx_seed_keypair(h->e_pk, h->e_sk, eph_seed);
}

/* Erase the ephemeral secrets once they are no longer needed. */
static void wipe_ephemeral(struct hs *h)
{
	sodium_memzero(h->e_sk, sizeof h->e_sk);
	sodium_memzero(h->shared, sizeof h->shared);
}

static int fail(struct hs *h, struct gl_error *err, int code, const char *why)
{
	h->state = HS_FAILED;
	wipe_ephemeral(h);
	return gl_errorf(err, code, "handshake: %s", why);
}

/* "gilde-hs-v1 " || tag (2 ASCII bytes, e.g. "m1") */
static void put_tag(uint8_t *p, const char *tag)
{
	memcpy(p, HS_PREFIX, HS_PREFIX_LEN);
	memcpy(p + HS_PREFIX_LEN, tag, 2);
}

/* HMAC(K, "gilde-hs-v1 m1" || E_I) or HMAC(K, "gilde-hs-v1 m2" || E_I || E_R). */
static void mac_m1(const struct hs *h, uint8_t mac[crypto_auth_BYTES])
{
	uint8_t m[HS_TAG_LEN + 32];
	put_tag(m, "m1");
	memcpy(m + HS_TAG_LEN, eph_i(h), 32);
	crypto_auth(mac, m, sizeof m, h->netkey);
}

static void mac_m2(const struct hs *h, uint8_t mac[crypto_auth_BYTES])
{
	uint8_t m[HS_TAG_LEN + 64];
	put_tag(m, "m2");
	memcpy(m + HS_TAG_LEN, eph_i(h), 32);
	memcpy(m + HS_TAG_LEN + 32, eph_r(h), 32);
	crypto_auth(mac, m, sizeof m, h->netkey);
}

/* kdf(L) = BLAKE2b-256(key = K, "gilde-hs-v1 " || L || shared || E_I || E_R) */
static void kdf(const struct hs *h, const char *label, uint8_t out[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, h->netkey, 32, 32);
	crypto_generichash_update(&st, (const uint8_t *)HS_PREFIX, HS_PREFIX_LEN);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, h->shared, 32);
	crypto_generichash_update(&st, eph_i(h), 32);
	crypto_generichash_update(&st, eph_r(h), 32);
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof st);
}

/* The message signed in M3 (tag "m3", with_pk_i false: 78 bytes) or in M4
 * (tag "m4", with_pk_i true: 110 bytes). */
static size_t sig_msg(const struct hs *h, const char *tag, bool with_pk_i, uint8_t m[HS_TAG_LEN + 96])
{
	put_tag(m, tag);
	memcpy(m + HS_TAG_LEN, eph_i(h), 32);
	memcpy(m + HS_TAG_LEN + 32, eph_r(h), 32);
	if (!with_pk_i)
		return HS_TAG_LEN + 64;
	memcpy(m + HS_TAG_LEN + 64, h->pk_i, 32);
	return HS_TAG_LEN + 96;
}

/* pk_own || Ed25519(sk, m) sealed with kdf(label) and the zero nonce. */
static void seal_proof(const struct hs *h, const char *label, const uint8_t *m, size_t mlen,
                       uint8_t out[HS_MAX_MSG])
{
	uint8_t plain[HS_BOX_PLAIN], key[32];
	crypto_sign_ed25519_sk_to_pk(plain, h->sk);
	crypto_sign_detached(plain + 32, NULL, m, mlen, h->sk);
	kdf(h, label, key);
	crypto_secretbox_easy(out, plain, sizeof plain, zero_nonce, key);
	sodium_memzero(key, sizeof key);
}

/* Open a proof box; on success pk receives the sender's key and 0 is
 * returned, else -1 (box) or -2 (signature). */
static int open_proof(const struct hs *h, const char *label, const uint8_t *box, const uint8_t *m,
                      size_t mlen, uint8_t pk[32])
{
	uint8_t plain[HS_BOX_PLAIN], key[32];
	kdf(h, label, key);
	int rc = crypto_secretbox_open_easy(plain, box, HS_BOX_PLAIN + crypto_secretbox_MACBYTES, zero_nonce, key);
	sodium_memzero(key, sizeof key);
	if (rc != 0)
		return -1;
	if (crypto_sign_verify_detached(plain + 32, m, mlen, plain) != 0)
		return -2;
	memcpy(pk, plain, 32);
	return 0;
}

static void finish(struct hs *h, struct hs_result *res, const uint8_t remote_pk[32])
{
	memcpy(res->remote_pk, remote_pk, 32);
	kdf(h, h->initiator ? "i2r" : "r2i", res->tx);
	kdf(h, h->initiator ? "r2i" : "i2r", res->rx);
	kdf(h, "recon", res->recon);
	wipe_ephemeral(h);
	h->state = HS_DONE;
}

size_t hs_start(struct hs *h, uint8_t out[HS_MAX_MSG])
{
	if (!h->initiator || h->state != HS_SEND_M1)
		return 0;
	memcpy(out, h->e_pk, 32);
	mac_m1(h, out + 32);
	h->state = HS_WAIT_M2;
	return HS_M1_LEN;
}

size_t hs_want(const struct hs *h)
{
	switch (h->state) {
	case HS_WAIT_M1:
		return HS_M1_LEN;
	case HS_WAIT_M2:
		return HS_M2_LEN;
	case HS_WAIT_M3:
		return HS_M3_LEN;
	case HS_WAIT_M4:
		return HS_M4_LEN;
	case HS_SEND_M1: /* nothing to feed: the initiator calls hs_start */
	case HS_DONE:
	case HS_FAILED:
		break;
	}
	return 0;
}

int hs_feed(struct hs *h, const uint8_t *in, size_t len, uint8_t out[HS_MAX_MSG],
            size_t *outlen, bool *done, struct hs_result *res, struct gl_error *err)
{
	*outlen = 0;
	*done = false;
	size_t want = hs_want(h);
	if (want == 0 || len != want) {
		h->state = HS_FAILED;
		wipe_ephemeral(h);
		return gl_errorf(err, GL_EINVAL, "handshake: fed %zu bytes, %zu expected", len, want);
	}
	uint8_t mac[crypto_auth_BYTES];
	uint8_t m[HS_TAG_LEN + 96];
	uint8_t pk[32];
	size_t mlen;
	int rc;

	switch (h->state) {
	case HS_WAIT_M1: /* responder: E_I || HMAC */
		memcpy(h->peer_e, in, 32);
		mac_m1(h, mac);
		if (crypto_verify_32(mac, in + 32) != 0)
			return fail(h, err, GL_EAUTH, "wrong network key");
		if (crypto_scalarmult(h->shared, h->e_sk, h->peer_e) != 0)
			return fail(h, err, GL_EAUTH, "low-order ephemeral key");
		memcpy(out, h->e_pk, 32);
		mac_m2(h, out + 32);
		*outlen = HS_M2_LEN;
		h->state = HS_WAIT_M3;
		return 0;

	case HS_WAIT_M2: /* initiator: E_R || HMAC, answer with M3 */
		memcpy(h->peer_e, in, 32);
		mac_m2(h, mac);
		if (crypto_verify_32(mac, in + 32) != 0)
			return fail(h, err, GL_EAUTH, "wrong network key");
		if (crypto_scalarmult(h->shared, h->e_sk, h->peer_e) != 0)
			return fail(h, err, GL_EAUTH, "low-order ephemeral key");
		mlen = sig_msg(h, "m3", false, m);
		seal_proof(h, "box3", m, mlen, out);
		*outlen = HS_M3_LEN;
		h->state = HS_WAIT_M4;
		return 0;

	case HS_WAIT_M3: /* responder: the initiator's proof, answer with M4 */
		mlen = sig_msg(h, "m3", false, m);
		rc = open_proof(h, "box3", in, m, mlen, pk);
		if (rc == -1)
			return fail(h, err, GL_EAUTH, "handshake box does not open");
		if (rc != 0)
			return fail(h, err, GL_EAUTH, "identity proof does not verify");
		memcpy(h->pk_i, pk, 32);
		mlen = sig_msg(h, "m4", true, m);
		seal_proof(h, "box4", m, mlen, out);
		*outlen = HS_M4_LEN;
		finish(h, res, pk);
		*done = true;
		return 0;

	case HS_WAIT_M4: /* initiator: the responder's proof */
		mlen = sig_msg(h, "m4", true, m);
		rc = open_proof(h, "box4", in, m, mlen, pk);
		if (rc == -1)
			return fail(h, err, GL_EAUTH, "handshake box does not open");
		if (rc != 0)
			return fail(h, err, GL_EAUTH, "identity proof does not verify");
		finish(h, res, pk);
		*done = true;
		return 0;

	case HS_SEND_M1:
	case HS_DONE:
	case HS_FAILED:
		break;
	}
	return fail(h, err, GL_EINVAL, "not expecting input");
}

void hs_wipe(struct hs *h)
{
	sodium_memzero(h->netkey, sizeof h->netkey);
	sodium_memzero(h->e_sk, sizeof h->e_sk);
	sodium_memzero(h->shared, sizeof h->shared);
	sodium_memzero(h->e_pk, sizeof h->e_pk);
	sodium_memzero(h->peer_e, sizeof h->peer_e);
	h->sk = NULL;
	if (h->state != HS_DONE)
		h->state = HS_FAILED;
}
