/* Unit tests: the node handshake (proto/handshake.c) and the encrypted
 * frames that follow it (proto/frame.c). */
#include "testutil.h"

#include "proto/frame.h"
#include "proto/handshake.h"

static uint8_t pk_i[32], sk_i[64], pk_r[32], sk_r[64];
static uint8_t netkey[32], otherkey[32];

/* ---- the handshake ---------------------------------------------------- */

/* One handshake, driven message by message, with an optional bit flipped
 * in transit. */
struct run {
	uint8_t msg[4][HS_MAX_MSG]; /* M1..M4 as sent (before any flip) */
	size_t len[4];
	int failed_at;  /* 0 if both completed, else 1..4: the message whose receiver failed */
	int rc;         /* that receiver's return code */
	size_t reply;   /* bytes the failing receiver wrote */
	bool i_done, r_done;
	struct hs_result ri, rr;
	struct hs I, R;
};

/* flip_msg 1..4 flips bit flip_bit of that message; 0 flips nothing. */
static void run_hs(struct run *x, const uint8_t *key_i, const uint8_t *key_r, int flip_msg,
                   size_t flip_bit)
{
	memset(x, 0, sizeof *x);
	hs_init(&x->I, true, key_i, sk_i);
	hs_init(&x->R, false, key_r, sk_r);
	assert_int_equal(hs_want(&x->I), 0);
	assert_int_equal(hs_want(&x->R), HS_M1_LEN);

	uint8_t wire[HS_MAX_MSG];
	x->len[0] = hs_start(&x->I, x->msg[0]);
	assert_int_equal(x->len[0], HS_M1_LEN);
	assert_int_equal(hs_start(&x->I, wire), 0); /* only once */

	/* message k (0-based) goes to the responder when k is even */
	for (int k = 0; k < 4; k++) {
		struct hs *to = (k % 2 == 0) ? &x->R : &x->I;
		struct hs_result *res = (k % 2 == 0) ? &x->rr : &x->ri;
		bool *done = (k % 2 == 0) ? &x->r_done : &x->i_done;
		assert_int_equal(hs_want(to), x->len[k]);
		memcpy(wire, x->msg[k], x->len[k]);
		if (flip_msg == k + 1)
			wire[flip_bit / 8] ^= (uint8_t)(1u << (flip_bit % 8));
		size_t outlen = 99;
		struct gl_error err = { 0 };
		int rc = hs_feed(to, wire, x->len[k], x->msg[k + 1 < 4 ? k + 1 : 3], &outlen, done, res, &err);
		if (rc != 0) {
			x->failed_at = k + 1;
			x->rc = rc;
			x->reply = outlen;
			assert_int_equal(to->state, HS_FAILED);
			assert_int_equal(hs_want(to), 0);
			assert_false(*done);
			assert_int_equal(err.code, rc);
			assert_true(err.msg[0] != '\0');
			return;
		}
		if (k < 3)
			x->len[k + 1] = outlen;
		else
			assert_int_equal(outlen, 0);
	}
}

static void test_complete(void **state)
{
	(void)state;
	struct run x;
	run_hs(&x, netkey, netkey, 0, 0);
	assert_int_equal(x.failed_at, 0);
	assert_int_equal(x.len[1], HS_M2_LEN);
	assert_int_equal(x.len[2], HS_M3_LEN);
	assert_int_equal(x.len[3], HS_M4_LEN);
	assert_true(x.i_done);
	assert_true(x.r_done);
	assert_int_equal(x.I.state, HS_DONE);
	assert_int_equal(x.R.state, HS_DONE);
	assert_int_equal(hs_want(&x.I), 0);
	assert_int_equal(hs_want(&x.R), 0);
	assert_memory_equal(x.ri.tx, x.rr.rx, 32);
	assert_memory_equal(x.ri.rx, x.rr.tx, 32);
	assert_memory_equal(x.ri.recon, x.rr.recon, 32);
	assert_memory_not_equal(x.ri.tx, x.ri.rx, 32);
	assert_memory_not_equal(x.ri.tx, x.ri.recon, 32);
	assert_memory_equal(x.ri.remote_pk, pk_r, 32);
	assert_memory_equal(x.rr.remote_pk, pk_i, 32);
	/* the ephemeral secrets are gone */
	static const uint8_t zero[32];
	assert_memory_equal(x.I.e_sk, zero, 32);
	assert_memory_equal(x.I.shared, zero, 32);
	assert_memory_equal(x.R.e_sk, zero, 32);
	assert_memory_equal(x.R.shared, zero, 32);
	/* M1 and M2 show only the ephemeral keys; no long-term key in clear */
	for (int k = 0; k < 4; k++) {
		assert_null(memmem(x.msg[k], x.len[k], pk_i, 32));
		assert_null(memmem(x.msg[k], x.len[k], pk_r, 32));
	}
	/* a fresh handshake has fresh keys */
	struct run y;
	run_hs(&y, netkey, netkey, 0, 0);
	assert_int_equal(y.failed_at, 0);
	assert_memory_not_equal(x.ri.tx, y.ri.tx, 32);
	assert_memory_not_equal(x.msg[0], y.msg[0], HS_M1_LEN);
	hs_wipe(&x.I);
	hs_wipe(&x.R);
	assert_memory_equal(x.I.netkey, zero, 32);
	assert_null(x.I.sk);
}

static void test_seeded_is_reproducible(void **state)
{
	(void)state;
	uint8_t s1[32], s2[32], m1a[HS_MAX_MSG], m1b[HS_MAX_MSG];
	memset(s1, 0x44, 32);
	memset(s2, 0x45, 32);
	struct hs a, b, c;
	hs_init_seeded(&a, true, netkey, sk_i, s1);
	hs_init_seeded(&b, true, netkey, sk_i, s1);
	hs_init_seeded(&c, true, netkey, sk_i, s2);
	assert_int_equal(hs_start(&a, m1a), HS_M1_LEN);
	assert_int_equal(hs_start(&b, m1b), HS_M1_LEN);
	assert_memory_equal(m1a, m1b, HS_M1_LEN);
	assert_int_equal(hs_start(&c, m1b), HS_M1_LEN);
	assert_memory_not_equal(m1a, m1b, HS_M1_LEN);
	hs_wipe(&a);
	hs_wipe(&b);
	hs_wipe(&c);
}

static void test_wrong_network_key(void **state)
{
	(void)state;
	/* either side holding another key: the responder refuses M1, silently */
	struct run x;
	run_hs(&x, netkey, otherkey, 0, 0);
	assert_int_equal(x.failed_at, 1);
	assert_int_equal(x.rc, GL_EAUTH);
	assert_int_equal(x.reply, 0);
	run_hs(&x, otherkey, netkey, 0, 0);
	assert_int_equal(x.failed_at, 1);
	assert_int_equal(x.rc, GL_EAUTH);
	assert_int_equal(x.reply, 0);

	/* the initiator refuses an M2 made with another key: a responder of the
	 * other federation answering an M1 with the same ephemeral key */
	uint8_t seed[32], m1[HS_MAX_MSG], m2[HS_MAX_MSG], m3[HS_MAX_MSG];
	memset(seed, 0x77, 32);
	struct hs I, I2, R2;
	hs_init_seeded(&I, true, netkey, sk_i, seed);
	hs_init_seeded(&I2, true, otherkey, sk_i, seed);
	hs_init(&R2, false, otherkey, sk_r);
	assert_int_equal(hs_start(&I, m1), HS_M1_LEN);
	assert_int_equal(hs_start(&I2, m1), HS_M1_LEN);
	size_t outlen;
	bool done;
	struct hs_result res;
	struct gl_error err = { 0 };
	assert_int_equal(hs_feed(&R2, m1, HS_M1_LEN, m2, &outlen, &done, &res, NULL), 0);
	assert_int_equal(outlen, HS_M2_LEN);
	assert_int_equal(hs_feed(&I, m2, HS_M2_LEN, m3, &outlen, &done, &res, &err), GL_EAUTH);
	assert_int_equal(outlen, 0);
	assert_false(done);
	assert_int_equal(I.state, HS_FAILED);
	assert_non_null(strstr(err.msg, "wrong network key"));
	hs_wipe(&I);
	hs_wipe(&I2);
	hs_wipe(&R2);
}

static void test_every_bit_flip_fails(void **state)
{
	(void)state;
	static const size_t lens[4] = { HS_M1_LEN, HS_M2_LEN, HS_M3_LEN, HS_M4_LEN };
	struct run x;
	for (int m = 1; m <= 4; m++)
		for (size_t bit = 0; bit < lens[m - 1] * 8; bit++) {
			run_hs(&x, netkey, netkey, m, bit);
			if (x.failed_at != m || x.rc != GL_EAUTH || x.reply != 0)
				fail_msg("flipping bit %zu of M%d: failed_at %d rc %d reply %zu", bit, m,
				         x.failed_at, x.rc, x.reply);
		}
}

/* A low-order ephemeral key, correctly authenticated, is refused. */
static void test_low_order_key(void **state)
{
	(void)state;
	uint8_t m1[HS_M1_LEN] = { 0 }, tagged[14 + 32], out[HS_MAX_MSG];
	memcpy(tagged, "gilde-hs-v1 m1", 14);
	memset(tagged + 14, 0, 32); /* the point 0 has order 4 */
	crypto_auth(m1 + 32, tagged, sizeof tagged, netkey);
	struct hs R;
	hs_init(&R, false, netkey, sk_r);
	size_t outlen;
	bool done;
	struct hs_result res;
	assert_int_equal(hs_feed(&R, m1, HS_M1_LEN, out, &outlen, &done, &res, NULL), GL_EAUTH);
	assert_int_equal(outlen, 0);
	assert_int_equal(R.state, HS_FAILED);
	hs_wipe(&R);
}

static void test_replays_fail(void **state)
{
	(void)state;
	struct run old;
	run_hs(&old, netkey, netkey, 0, 0);
	assert_int_equal(old.failed_at, 0);

	/* an old M1 to a new responder is answered (it cannot tell), but the
	 * old M3 then does not open */
	struct hs R;
	hs_init(&R, false, netkey, sk_r);
	uint8_t out[HS_MAX_MSG];
	size_t outlen;
	bool done;
	struct hs_result res;
	struct gl_error err = { 0 };
	assert_int_equal(hs_feed(&R, old.msg[0], HS_M1_LEN, out, &outlen, &done, &res, NULL), 0);
	assert_int_equal(outlen, HS_M2_LEN);
	assert_int_equal(hs_feed(&R, old.msg[2], HS_M3_LEN, out, &outlen, &done, &res, &err), GL_EAUTH);
	assert_int_equal(outlen, 0);
	assert_false(done);
	assert_non_null(strstr(err.msg, "handshake box does not open"));
	hs_wipe(&R);

	/* an old M4 to a new initiator fails too */
	struct hs I;
	hs_init(&I, true, netkey, sk_i);
	uint8_t m1[HS_MAX_MSG];
	hs_start(&I, m1);
	assert_int_equal(hs_feed(&I, old.msg[1], HS_M2_LEN, out, &outlen, &done, &res, NULL), GL_EAUTH);
	hs_wipe(&I);
}

/* Drive I and R of one session until the responder waits for M3; the
 * initiator's M3 is left in m3. */
static void to_m3(struct hs *I, struct hs *R, uint8_t m3[HS_MAX_MSG])
{
	uint8_t m1[HS_MAX_MSG], m2[HS_MAX_MSG];
	size_t outlen;
	bool done;
	struct hs_result res;
	hs_init(I, true, netkey, sk_i);
	hs_init(R, false, netkey, sk_r);
	assert_int_equal(hs_start(I, m1), HS_M1_LEN);
	assert_int_equal(hs_feed(R, m1, HS_M1_LEN, m2, &outlen, &done, &res, NULL), 0);
	assert_int_equal(hs_feed(I, m2, HS_M2_LEN, m3, &outlen, &done, &res, NULL), 0);
	assert_int_equal(outlen, HS_M3_LEN);
}

static void test_cross_session(void **state)
{
	(void)state;
	struct hs Ia, Ra, Ib, Rb;
	uint8_t m3a[HS_MAX_MSG], m3b[HS_MAX_MSG], out[HS_MAX_MSG], m4a[HS_MAX_MSG];
	to_m3(&Ia, &Ra, m3a);
	to_m3(&Ib, &Rb, m3b);
	size_t outlen;
	bool done;
	struct hs_result res;
	/* session b's proof does not open in session a */
	assert_int_equal(hs_feed(&Ra, m3b, HS_M3_LEN, out, &outlen, &done, &res, NULL), GL_EAUTH);
	assert_int_equal(outlen, 0);
	assert_false(done);
	/* session b's M4 is no use to session a's initiator */
	assert_int_equal(hs_feed(&Rb, m3b, HS_M3_LEN, m4a, &outlen, &done, &res, NULL), 0);
	assert_true(done);
	assert_int_equal(hs_feed(&Ia, m4a, HS_M4_LEN, out, &outlen, &done, &res, NULL), GL_EAUTH);
	assert_false(done);
	/* and a failed handshake takes no more input */
	assert_int_equal(hs_want(&Ia), 0);
	assert_int_equal(hs_feed(&Ia, m4a, HS_M4_LEN, out, &outlen, &done, &res, NULL), GL_EINVAL);
	hs_wipe(&Ia);
	hs_wipe(&Ra);
	hs_wipe(&Ib);
	hs_wipe(&Rb);
}

/* A proof box that opens but whose signature is wrong: made with the
 * right box key (computed here) over the wrong message. */
static void test_bad_signature(void **state)
{
	(void)state;
	struct hs I, R;
	uint8_t m3[HS_MAX_MSG], out[HS_MAX_MSG];
	to_m3(&I, &R, m3);
	/* recompute box3 as the specification says, from R's view */
	uint8_t shared[32], key[32], plain[96], nonce[24] = { 0 };
	assert_int_equal(crypto_scalarmult(shared, R.e_sk, R.peer_e), 0);
	crypto_generichash_state st;
	crypto_generichash_init(&st, netkey, 32, 32);
	crypto_generichash_update(&st, (const uint8_t *)"gilde-hs-v1 box3", 16);
	crypto_generichash_update(&st, shared, 32);
	crypto_generichash_update(&st, R.peer_e, 32);
	crypto_generichash_update(&st, R.e_pk, 32);
	crypto_generichash_final(&st, key, 32);
	assert_int_equal(crypto_secretbox_open_easy(plain, m3, HS_M3_LEN, nonce, key), 0);
	assert_memory_equal(plain, pk_i, 32);
	plain[40] ^= 1; /* break the signature */
	crypto_secretbox_easy(m3, plain, sizeof plain, nonce, key);
	size_t outlen;
	bool done;
	struct hs_result res;
	struct gl_error err = { 0 };
	assert_int_equal(hs_feed(&R, m3, HS_M3_LEN, out, &outlen, &done, &res, &err), GL_EAUTH);
	assert_int_equal(outlen, 0);
	assert_non_null(strstr(err.msg, "identity proof does not verify"));
	hs_wipe(&I);
	hs_wipe(&R);
}

static void test_wrong_length(void **state)
{
	(void)state;
	struct hs R;
	uint8_t in[HS_MAX_MSG] = { 0 }, out[HS_MAX_MSG];
	size_t outlen;
	bool done;
	struct hs_result res;
	hs_init(&R, false, netkey, sk_r);
	assert_int_equal(hs_feed(&R, in, HS_M1_LEN - 1, out, &outlen, &done, &res, NULL), GL_EINVAL);
	assert_int_equal(outlen, 0);
	assert_int_equal(R.state, HS_FAILED);
	hs_wipe(&R);
}

/* ---- frames ------------------------------------------------------------ */

static void fill(uint8_t *p, size_t n, uint32_t salt)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + salt);
}

/* Open exactly one frame from b at *off; returns frame_open's result. */
static int open_next(struct frame_rx *rx, const struct gl_buf *b, size_t *off, struct gl_buf *plain)
{
	size_t used;
	int rc = frame_open(rx, b->data + *off, b->len - *off, &used, plain, NULL);
	if (rc >= 0)
		*off += used;
	return rc;
}

static void open_header(struct frame_rx *rx, const struct gl_buf *b, size_t *off)
{
	struct gl_buf plain = { 0 };
	size_t used;
	assert_int_equal(frame_open(rx, b->data + *off, b->len - *off, &used, &plain, NULL), 0);
	assert_int_equal(used, FRAME_HEADER_LEN);
	assert_true(rx->started);
	*off += used;
	gl_buf_free(&plain);
}

static void test_frame_round_trip(void **state)
{
	(void)state;
	uint8_t key[32];
	randombytes_buf(key, sizeof key);
	static const size_t sizes[] = { 0, 1, 1000, FRAME_MAX };
	uint8_t *data = gl_xmalloc(FRAME_MAX + 1);
	fill(data, FRAME_MAX + 1, 7);
	struct frame_tx tx;
	struct frame_rx rx;
	struct gl_buf wire = { 0 }, plain = { 0 };
	frame_tx_init(&tx, key, &wire);
	assert_int_equal(wire.len, FRAME_HEADER_LEN);
	for (size_t i = 0; i < 4; i++) {
		size_t before = wire.len;
		assert_int_equal(frame_seal(&tx, data, sizes[i], &wire), 0);
		assert_int_equal(wire.len - before, 4 + sizes[i] + FRAME_ABYTES);
		uint32_t n = (uint32_t)wire.data[before] << 24 | (uint32_t)wire.data[before + 1] << 16 |
		             (uint32_t)wire.data[before + 2] << 8 | wire.data[before + 3];
		assert_int_equal(n, sizes[i] + FRAME_ABYTES);
	}
	size_t before = wire.len;
	assert_int_equal(frame_seal(&tx, data, FRAME_MAX + 1, &wire), GL_ELIMIT);
	assert_int_equal(wire.len, before);

	frame_rx_init(&rx, key);
	size_t off = 0;
	open_header(&rx, &wire, &off);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(open_next(&rx, &wire, &off, &plain), 1);
		assert_int_equal(plain.len, sizes[i]);
		if (sizes[i])
			assert_memory_equal(plain.data, data, sizes[i]);
		assert_true(plain.cap <= FRAME_MAX);
	}
	assert_int_equal(off, wire.len);
	assert_int_equal(open_next(&rx, &wire, &off, &plain), 0);
	frame_tx_wipe(&tx);
	frame_rx_wipe(&rx);
	gl_buf_free(&wire);
	gl_buf_free(&plain);
	free(data);
}

/* Many frames of assorted sizes in one buffer, then the same buffer one
 * byte at a time, each prefix in an allocation of exactly its size. */
static void test_frame_stream(void **state)
{
	(void)state;
	uint8_t key[32], data[3000];
	randombytes_buf(key, sizeof key);
	fill(data, sizeof data, 3);
	enum { N = 200 };
	size_t sizes[N];
	struct frame_tx tx;
	struct gl_buf wire = { 0 }, plain = { 0 };
	frame_tx_init(&tx, key, &wire);
	for (size_t i = 0; i < N; i++) {
		sizes[i] = (i * 37) % 300;
		assert_int_equal(frame_seal(&tx, data + i, sizes[i], &wire), 0);
	}

	struct frame_rx rx;
	frame_rx_init(&rx, key);
	size_t off = 0;
	open_header(&rx, &wire, &off);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(open_next(&rx, &wire, &off, &plain), 1);
		assert_int_equal(plain.len, sizes[i]);
		if (sizes[i])
			assert_memory_equal(plain.data, data + i, sizes[i]);
	}
	assert_int_equal(off, wire.len);

	frame_rx_init(&rx, key);
	size_t start = 0, got = 0, headers = 0;
	for (size_t end = 0; end <= wire.len; end++) {
		for (;;) {
			size_t n = end - start, used = 99;
			uint8_t *copy = gl_xmalloc(n ? n : 1);
			memcpy(copy, wire.data + start, n);
			int rc = frame_open(&rx, copy, n, &used, &plain, NULL);
			free(copy);
			assert_true(rc == 0 || rc == 1);
			if (rc == 0 && used == 0)
				break;
			start += used;
			if (rc == 0) {
				assert_int_equal(used, FRAME_HEADER_LEN);
				headers++;
				continue;
			}
			assert_true(got < N);
			assert_int_equal(plain.len, sizes[got]);
			if (sizes[got])
				assert_memory_equal(plain.data, data + got, sizes[got]);
			got++;
		}
	}
	assert_int_equal(headers, 1);
	assert_int_equal(got, N);
	assert_int_equal(start, wire.len);
	frame_tx_wipe(&tx);
	frame_rx_wipe(&rx);
	gl_buf_free(&wire);
	gl_buf_free(&plain);
}

/* Every bit flip in the header, the length or the ciphertext of a frame is
 * refused; enough bytes follow that any permitted length can be read. */
static void test_frame_bit_flips(void **state)
{
	(void)state;
	uint8_t key[32], data[10];
	randombytes_buf(key, sizeof key);
	fill(data, sizeof data, 9);
	struct frame_tx tx;
	struct gl_buf wire = { 0 }, plain = { 0 };
	frame_tx_init(&tx, key, &wire);
	assert_int_equal(frame_seal(&tx, data, sizeof data, &wire), 0);
	size_t frame_end = wire.len;
	gl_buf_reserve(&wire, FRAME_MAX + FRAME_ABYTES + 4);
	randombytes_buf(wire.data + wire.len, FRAME_MAX + FRAME_ABYTES + 4);
	wire.len += FRAME_MAX + FRAME_ABYTES + 4;

	for (size_t bit = 0; bit < frame_end * 8; bit++) {
		wire.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		struct frame_rx rx;
		frame_rx_init(&rx, key);
		size_t off = 0;
		open_header(&rx, &wire, &off);
		struct gl_error err = { 0 };
		size_t used = 99;
		int rc = frame_open(&rx, wire.data + off, wire.len - off, &used, &plain, &err);
		if (rc != GL_EAUTH && rc != GL_EPROTO)
			fail_msg("bit %zu flipped: frame_open returned %d", bit, rc);
		assert_int_equal(err.code, rc);
		/* a flipped length bit is EPROTO exactly when it leaves the window */
		if (bit / 8 >= FRAME_HEADER_LEN && bit / 8 < FRAME_HEADER_LEN + 4) {
			const uint8_t *l = wire.data + FRAME_HEADER_LEN;
			uint32_t n = (uint32_t)l[0] << 24 | (uint32_t)l[1] << 16 | (uint32_t)l[2] << 8 | l[3];
			bool outside = n < FRAME_ABYTES || n > FRAME_MAX + FRAME_ABYTES;
			assert_int_equal(rc, outside ? GL_EPROTO : GL_EAUTH);
		}
		wire.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* unflipped it opens */
	struct frame_rx rx;
	frame_rx_init(&rx, key);
	size_t off = 0;
	open_header(&rx, &wire, &off);
	assert_int_equal(open_next(&rx, &wire, &off, &plain), 1);
	assert_memory_equal(plain.data, data, sizeof data);
	frame_tx_wipe(&tx);
	gl_buf_free(&wire);
	gl_buf_free(&plain);
}

static void test_frame_bad_lengths(void **state)
{
	(void)state;
	uint8_t key[32];
	randombytes_buf(key, sizeof key);
	static const uint32_t bad[] = { 0, 1, 16, FRAME_MAX + 18, 0x7fffffffu, 0xffffffffu };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct frame_tx tx;
		struct gl_buf wire = { 0 }, plain = { 0 };
		frame_tx_init(&tx, key, &wire);
		uint8_t len[4] = { (uint8_t)(bad[i] >> 24), (uint8_t)(bad[i] >> 16), (uint8_t)(bad[i] >> 8),
		                   (uint8_t)bad[i] };
		gl_buf_append(&wire, len, 4);
		struct frame_rx rx;
		frame_rx_init(&rx, key);
		size_t off = 0;
		open_header(&rx, &wire, &off);
		/* refused as soon as the 4 length bytes are there */
		struct gl_error err = { 0 };
		size_t used;
		assert_int_equal(frame_open(&rx, wire.data + off, 3, &used, &plain, &err), 0);
		assert_int_equal(used, 0);
		assert_int_equal(frame_open(&rx, wire.data + off, 4, &used, &plain, &err), GL_EPROTO);
		assert_int_equal(plain.cap, 0);
		frame_tx_wipe(&tx);
		gl_buf_free(&wire);
	}
	/* the largest permitted length waits for its bytes without allocating */
	struct frame_tx tx;
	struct gl_buf wire = { 0 }, plain = { 0 };
	frame_tx_init(&tx, key, &wire);
	uint32_t big = FRAME_MAX + FRAME_ABYTES;
	uint8_t len[4] = { (uint8_t)(big >> 24), (uint8_t)(big >> 16), (uint8_t)(big >> 8), (uint8_t)big };
	gl_buf_append(&wire, len, 4);
	gl_buf_append(&wire, "0123456789", 10);
	struct frame_rx rx;
	frame_rx_init(&rx, key);
	size_t off = 0, used = 99;
	open_header(&rx, &wire, &off);
	assert_int_equal(frame_open(&rx, wire.data + off, wire.len - off, &used, &plain, NULL), 0);
	assert_int_equal(used, 0);
	assert_int_equal(plain.cap, 0);
	frame_tx_wipe(&tx);
	gl_buf_free(&wire);
}

static void test_frame_wrong_key_and_order(void **state)
{
	(void)state;
	uint8_t key[32], other[32];
	randombytes_buf(key, sizeof key);
	randombytes_buf(other, sizeof other);
	struct frame_tx tx;
	struct gl_buf wire = { 0 }, plain = { 0 };
	frame_tx_init(&tx, key, &wire);
	size_t f1 = wire.len;
	assert_int_equal(frame_seal(&tx, (const uint8_t *)"one", 3, &wire), 0);
	size_t f2 = wire.len;
	assert_int_equal(frame_seal(&tx, (const uint8_t *)"two", 3, &wire), 0);

	/* another key */
	struct frame_rx rx;
	frame_rx_init(&rx, other);
	size_t off = 0;
	open_header(&rx, &wire, &off);
	assert_int_equal(open_next(&rx, &wire, &off, &plain), GL_EAUTH);

	/* the second frame first, or the first twice */
	frame_rx_init(&rx, key);
	off = 0;
	open_header(&rx, &wire, &off);
	size_t used;
	assert_int_equal(frame_open(&rx, wire.data + f2, wire.len - f2, &used, &plain, NULL), GL_EAUTH);
	assert_int_equal(frame_open(&rx, wire.data + f1, wire.len - f1, &used, &plain, NULL), 1);
	assert_int_equal(frame_open(&rx, wire.data + f1, wire.len - f1, &used, &plain, NULL), GL_EAUTH);

	/* a frame with another secretstream tag is refused */
	struct gl_buf w2 = { 0 };
	frame_tx_init(&tx, key, &w2);
	uint8_t c[4 + 3 + FRAME_ABYTES] = { 0, 0, 0, 3 + FRAME_ABYTES };
	crypto_secretstream_xchacha20poly1305_push(&tx.st, c + 4, NULL, (const uint8_t *)"end", 3, NULL,
	                                           0, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	gl_buf_append(&w2, c, sizeof c);
	frame_rx_init(&rx, key);
	off = 0;
	open_header(&rx, &w2, &off);
	assert_int_equal(open_next(&rx, &w2, &off, &plain), GL_EPROTO);
	frame_tx_wipe(&tx);
	frame_rx_wipe(&rx);
	gl_buf_free(&wire);
	gl_buf_free(&w2);
	gl_buf_free(&plain);
}

/* The handshake's keys carry frames both ways. */
static void test_handshake_then_frames(void **state)
{
	(void)state;
	struct run x;
	run_hs(&x, netkey, netkey, 0, 0);
	assert_int_equal(x.failed_at, 0);
	struct frame_tx itx, rtx;
	struct frame_rx irx, rrx;
	struct gl_buf i2r = { 0 }, r2i = { 0 }, plain = { 0 };
	frame_tx_init(&itx, x.ri.tx, &i2r);
	frame_tx_init(&rtx, x.rr.tx, &r2i);
	frame_rx_init(&irx, x.ri.rx);
	frame_rx_init(&rrx, x.rr.rx);
	static const uint8_t hello[] = { 0x93, 0x01, 0x01, 0xc0 };
	assert_int_equal(frame_seal(&itx, hello, sizeof hello, &i2r), 0);
	assert_int_equal(frame_seal(&rtx, hello, 2, &r2i), 0);
	size_t off = 0;
	open_header(&rrx, &i2r, &off);
	assert_int_equal(open_next(&rrx, &i2r, &off, &plain), 1);
	assert_int_equal(plain.len, sizeof hello);
	assert_memory_equal(plain.data, hello, sizeof hello);
	off = 0;
	open_header(&irx, &r2i, &off);
	assert_int_equal(open_next(&irx, &r2i, &off, &plain), 1);
	assert_int_equal(plain.len, 2);
	/* a side cannot read its own direction with its receive key */
	struct frame_rx wrong;
	frame_rx_init(&wrong, x.ri.rx);
	off = 0;
	open_header(&wrong, &i2r, &off);
	assert_int_equal(open_next(&wrong, &i2r, &off, &plain), GL_EAUTH);
	frame_tx_wipe(&itx);
	frame_tx_wipe(&rtx);
	frame_rx_wipe(&irx);
	frame_rx_wipe(&rrx);
	gl_buf_free(&i2r);
	gl_buf_free(&r2i);
	gl_buf_free(&plain);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	tu_keypair(0x11, pk_i, sk_i);
	tu_keypair(0x22, pk_r, sk_r);
	memset(netkey, 0x33, sizeof netkey);
	memset(otherkey, 0x34, sizeof otherkey);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_seeded_is_reproducible),
		cmocka_unit_test(test_wrong_network_key),
		cmocka_unit_test(test_every_bit_flip_fails),
		cmocka_unit_test(test_low_order_key),
		cmocka_unit_test(test_replays_fail),
		cmocka_unit_test(test_cross_session),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_wrong_length),
		cmocka_unit_test(test_frame_round_trip),
		cmocka_unit_test(test_frame_stream),
		cmocka_unit_test(test_frame_bit_flips),
		cmocka_unit_test(test_frame_bad_lengths),
		cmocka_unit_test(test_frame_wrong_key_and_order),
		cmocka_unit_test(test_handshake_then_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
