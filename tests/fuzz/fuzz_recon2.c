/*
 * Fuzz target: reconciliation v3 (proto/recon2.h, proto/riblt.h) fed with
 * what a peer may send.  The first byte picks the part under test:
 *
 *   0  the responder, holding set b: the rest is a sequence of messages,
 *      each a 2-byte big-endian length and a frame's plaintext;
 *   1  the initiator, holding set a, after it sent START: the same;
 *   2  the decoder: the rest is symbols in wire form, decoded against b.
 *
 * Invariants: a message is refused only with GL_EPROTO, and then nothing
 * was answered for it; every message a side sends parses; a session that
 * ends DECODED names in END exactly the keys it takes (check_done); and a
 * decoded difference that passes the check against a's count and digest
 * is exactly a's difference from b, whatever the symbols: no input makes
 * two nodes agree wrongly.
 */
#include "fuzz.h"
#include "proto/recon2.h"

static void check_sent(const struct recon2_out *o, bool responder)
{
	for (size_t i = 0; i < o->nmsgs; i++) {
		struct recon2_msg m;
		struct gl_error err;
		int rc = recon2_parse(o->msgs[i].data, o->msgs[i].len, &m, &err);
		if (rc != 0)
			fprintf(stderr, "fuzz_recon2: own message refused: %s\n", err.msg);
		FZ_CHECK(rc == 0);
		if (responder)
			FZ_CHECK(m.type == R2_ESTIMATE || m.type == R2_MORE || m.type == R2_END);
		else
			FZ_CHECK(m.type == R2_START || m.type == R2_SYMBOLS || m.type == R2_END);
	}
}

/*
 * A session that ended DECODED.  The peer states its own count and digest,
 * so it can make a responder believe in items it never held (as a v1 LIST
 * can name them): the responder then offers records it lacks or asks for
 * ones it holds, which the store skips.  What must hold: the END sent
 * names exactly the keys taken, each key once, no key both given and
 * taken, and an initiator gives keys (16 zero bytes after them).
 */
static void check_done(const struct recon2_out *o, bool responder)
{
	if (!o->done || o->status != R2_DECODED)
		return;
	static const uint8_t zero[16];
	if (!responder) {
		for (size_t i = 0; i < o->give.n; i++)
			FZ_CHECK(memcmp(o->give.v[i] + 16, zero, 16) == 0);
		return;
	}
	struct recon2_msg m;
	FZ_CHECK(o->nmsgs == 1 && recon2_parse(o->msgs[0].data, o->msgs[0].len, &m, NULL) == 0);
	FZ_CHECK(m.type == R2_END && m.ntake == o->take.n);
	FZ_CHECK(o->give.n + o->take.n <= RIBLT_SYMBOLS_MAX);
	for (uint32_t i = 0; i < m.ntake; i++) {
		uint8_t k[16];
		recon2_take_key(&m, i, k);
		FZ_CHECK(memcmp(k, o->take.v[i], 16) == 0);
		if (i > 0)
			FZ_CHECK(memcmp(o->take.v[i - 1], o->take.v[i], 16) < 0);
		for (size_t g = 0; g < o->give.n; g++)
			FZ_CHECK(memcmp(o->give.v[g], k, 16) != 0);
	}
}

static void session(const uint8_t *p, size_t n, bool responder)
{
	const struct riblt_sketch *sk = fz_sketch(responder ? 1 : 0);
	struct recon2_init in = { 0 };
	struct recon2_resp re = { 0 };
	struct recon2_out out = { 0 };
	if (!responder) {
		FZ_CHECK(recon2_initiate(&in, 1, sk, &out, NULL) == 0);
		check_sent(&out, false);
	}
	while (n >= 2) {
		size_t len = (size_t)p[0] << 8 | p[1];
		p += 2;
		n -= 2;
		if (len > n)
			len = n;
		struct recon2_msg m;
		struct gl_error err;
		recon2_out_reset(&out);
		int rc = recon2_parse(p, len, &m, &err);
		p += len;
		n -= len;
		if (rc != 0) {
			FZ_CHECK(rc == GL_EPROTO);
			continue;
		}
		rc = responder ? recon2_responder_on(&re, sk, &m, &out, &err)
		               : recon2_initiator_on(&in, sk, &m, &out, &err);
		FZ_CHECK(rc == 0 || rc == GL_EPROTO);
		if (rc != 0) {
			FZ_CHECK(out.nmsgs == 0 && !out.done);
			break;
		}
		check_sent(&out, responder);
		check_done(&out, responder);
	}
	recon2_out_free(&out);
	recon2_init_free(&in);
	recon2_resp_free(&re);
}

/* Exactly a's items not in b, and b's not in a? */
static bool exact(const struct riblt_result *r)
{
	const struct fz_set *a = fz_set(0), *b = fz_set(1);
	size_t plus = 0, minus = 0;
	for (size_t i = 0; i < a->n; i++)
		plus += !fz_set_has(b, a->v[i]);
	for (size_t i = 0; i < b->n; i++)
		minus += !fz_set_has(a, b->v[i]);
	if (plus != r->nplus || minus != r->nminus)
		return false;
	for (size_t i = 0; i < r->nplus; i++)
		if (!fz_set_has(a, r->plus[i]) || fz_set_has(b, r->plus[i]))
			return false;
	for (size_t i = 0; i < r->nminus; i++)
		if (!fz_set_has(b, r->minus[i]) || fz_set_has(a, r->minus[i]))
			return false;
	return true;
}

static void decoder(const uint8_t *p, size_t n)
{
	uint32_t end = (uint32_t)(n / RIBLT_SYMBOL_WIRE);
	if (end > FZ_SKETCH)
		end = FZ_SKETCH;
	const struct riblt_sketch *a = fz_sketch(0), *b = fz_sketch(1);
	struct riblt_result r = { 0 };
	struct gl_error err;
	int rc = riblt_decode(end ? p : NULL, end, b, &r, &err);
	FZ_CHECK(rc == 0 || rc == 1 || rc == GL_EPROTO);
	if (rc != 0)
		return;
	FZ_CHECK(r.nplus + r.nminus <= end);
	uint8_t da[RIBLT_DIGEST];
	riblt_sketch_digest(a, da);
	if (riblt_verify(&r, b, a->n, da, NULL) == 0)
		FZ_CHECK(exact(&r));
	riblt_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		session(data + 1, size - 1, true);
		break;
	case 1:
		session(data + 1, size - 1, false);
		break;
	default:
		decoder(data + 1, size - 1);
		break;
	}
	return 0;
}
