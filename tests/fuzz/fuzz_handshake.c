/*
 * Fuzz target: the connection handshake (proto/handshake.h), with fixed
 * network and long-term keys and seeded ephemeral keys, in three runs
 * over one input:
 *
 *  1. a responder fed input[0..64) as M1, then input[64..176) as M3;
 *  2. an initiator that has sent M1, fed the same bytes as M2, then M4;
 *  3. a full two-sided run in which the message at position input[0] % 4
 *     is replaced by its slice of input[1..]: M1 = [1, 65), M2 = [65, 129),
 *     M3 = [129, 241), M4 = [241, 353), zero-padded where the input is
 *     short.
 *
 * Invariants: a side completes only on authentic messages, so in run 3 a
 * side that completes has received every message unchanged, and two sides
 * that complete agree on every key.  Runs 1 and 2 complete only on the
 * messages of the real seeded exchange (the seed corpus has them).
 */
#include "fuzz.h"
#include "proto/handshake.h"

static const size_t msg_len[4] = { HS_M1_LEN, HS_M2_LEN, HS_M3_LEN, HS_M4_LEN };

struct keys {
	uint8_t net[32], pk_i[32], sk_i[64], pk_r[32], sk_r[64], eph_i[32], eph_r[32];
};

static const struct keys *keys(void)
{
	static struct keys k;
	static int done;
	if (!done) {
		fz_key(FZ_NETKEY, k.net);
		fz_keypair(FZ_SEED_I, k.pk_i, k.sk_i);
		fz_keypair(FZ_SEED_R, k.pk_r, k.sk_r);
		fz_key(FZ_EPH_I, k.eph_i);
		fz_key(FZ_EPH_R, k.eph_r);
		done = 1;
	}
	return &k;
}

/* Feed n bytes of p (zero-padded to want) to h; returns hs_feed's code. */
static int feed(struct hs *h, const uint8_t *p, size_t n, size_t want, uint8_t out[HS_MAX_MSG],
                size_t *outlen, bool *done, struct hs_result *res)
{
	uint8_t in[HS_MAX_MSG] = { 0 };
	struct gl_error err;
	memcpy(in, p, n < want ? n : want);
	FZ_CHECK(hs_want(h) == want);
	int rc = hs_feed(h, in, want, out, outlen, done, res, &err);
	if (rc != 0) {
		FZ_CHECK(rc == GL_EAUTH && h->state == HS_FAILED && hs_want(h) == 0);
		FZ_CHECK(*outlen == 0 && !*done);
	}
	return rc;
}

static void one_side(bool initiator, const uint8_t *data, size_t size)
{
	const struct keys *k = keys();
	struct hs h;
	uint8_t out[HS_MAX_MSG];
	size_t outlen;
	bool done = false;
	struct hs_result res;
	hs_init_seeded(&h, initiator, k->net, initiator ? k->sk_i : k->sk_r,
	               initiator ? k->eph_i : k->eph_r);
	if (initiator)
		FZ_CHECK(hs_start(&h, out) == HS_M1_LEN);
	size_t first = initiator ? HS_M2_LEN : HS_M1_LEN;
	size_t second = initiator ? HS_M4_LEN : HS_M3_LEN;
	if (size < first)
		goto out;
	if (feed(&h, data, size, first, out, &outlen, &done, &res) != 0)
		goto out;
	FZ_CHECK(!done && outlen == (initiator ? HS_M3_LEN : HS_M2_LEN));
	if (size < first + second)
		goto out;
	if (feed(&h, data + first, size - first, second, out, &outlen, &done, &res) != 0)
		goto out;
	FZ_CHECK(done && h.state == HS_DONE && hs_want(&h) == 0);
	FZ_CHECK(outlen == (initiator ? 0 : HS_M4_LEN));
	/* only the real exchange completes, so the peer is the fixed other key */
	FZ_CHECK(memcmp(res.remote_pk, initiator ? k->pk_r : k->pk_i, 32) == 0);
out:
	hs_wipe(&h);
}

static void full_run(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	const struct keys *k = keys();
	unsigned pos = data[0] % 4;
	const uint8_t *rest = data + 1;
	size_t left = size - 1, start = 0;
	for (unsigned i = 0; i < pos; i++)
		start += msg_len[i];
	uint8_t fake[HS_MAX_MSG] = { 0 };
	if (left > start)
		memcpy(fake, rest + start, left - start < msg_len[pos] ? left - start : msg_len[pos]);

	struct hs I, R;
	hs_init_seeded(&I, true, k->net, k->sk_i, k->eph_i);
	hs_init_seeded(&R, false, k->net, k->sk_r, k->eph_r);
	uint8_t msg[HS_MAX_MSG], next[HS_MAX_MSG];
	size_t len = hs_start(&I, msg);
	bool done[2] = { false, false }, changed = false;
	struct hs_result res[2];
	for (unsigned i = 0; i < 4; i++) {
		FZ_CHECK(len == msg_len[i]);
		if (i == pos) {
			changed = memcmp(msg, fake, len) != 0;
			memcpy(msg, fake, len);
		}
		struct hs *to = i % 2 ? &I : &R;
		size_t outlen;
		if (feed(to, msg, len, len, next, &outlen, &done[i % 2 ? 0 : 1], &res[i % 2 ? 0 : 1]) != 0) {
			FZ_CHECK(changed);
			break;
		}
		/* a message that was changed must not be accepted */
		FZ_CHECK(!changed);
		len = outlen;
		memcpy(msg, next, outlen);
	}
	if (done[0] && done[1]) {
		FZ_CHECK(memcmp(res[0].tx, res[1].rx, 32) == 0 && memcmp(res[0].rx, res[1].tx, 32) == 0);
		FZ_CHECK(memcmp(res[0].recon, res[1].recon, 32) == 0);
		FZ_CHECK(memcmp(res[0].remote_pk, k->pk_r, 32) == 0);
		FZ_CHECK(memcmp(res[1].remote_pk, k->pk_i, 32) == 0);
	}
	hs_wipe(&I);
	hs_wipe(&R);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	one_side(false, data, size);
	one_side(true, data, size);
	full_run(data, size);
	return 0;
}
