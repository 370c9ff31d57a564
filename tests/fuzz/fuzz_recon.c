/*
 * Fuzz target: range-based set reconciliation (proto/recon.h).  The input
 * is a received RECON ranges array.  Set a (fuzz.h, a few hundred items)
 * answers it with recon_respond; if it answers, set b answers that answer
 * (a second step), which must then be accepted: a node's own answer is
 * never malformed.  Every item a offers is its own.
 */
#include "proto/frame.h"
#include "fuzz.h"
#include "proto/recon.h"

static void check_out(const struct recon_out *o, const struct fz_set *own)
{
	FZ_CHECK(o->msg.len <= FRAME_MAX - 16);
	FZ_CHECK(o->ranges <= RECON_RANGES_MAX);
	FZ_CHECK(!o->finished || o->msg.len == 0 || (o->msg.len == 1 && o->msg.data[0] == 0x90));
	for (size_t i = 0; i < o->give.n; i++)
		FZ_CHECK(fz_set_has(own, o->give.v[i]));
	for (size_t i = 0; i < o->take.n; i++)
		FZ_CHECK(!fz_set_has(own, o->take.v[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	uint8_t key[32];
	fz_key(FZ_RECON_KEY, key);
	struct recon_source a = fz_source(0), b = fz_source(1);
	struct recon_out o1 = { 0 }, o2 = { 0 };
	struct gl_error err;
	int rc = recon_respond(&a, key, data, size, &o1, &err);
	if (rc != 0) {
		FZ_CHECK(rc == GL_EPROTO && err.code == GL_EPROTO);
		FZ_CHECK(o1.msg.len == 0 && o1.give.n == 0 && o1.take.n == 0);
		goto out;
	}
	check_out(&o1, fz_set(0));
	if (o1.msg.len == 0)
		goto out;
	rc = recon_respond(&b, key, o1.msg.data, o1.msg.len, &o2, &err);
	if (rc != 0) {
		fprintf(stderr, "fuzz_recon: the answer is refused: %s\n", err.msg);
		FZ_CHECK(rc == 0);
	}
	check_out(&o2, fz_set(1));
out:
	recon_out_free(&o1);
	recon_out_free(&o2);
	return 0;
}
