/*
 * Fuzz target: the encrypted stream after the handshake (proto/frame.h).
 * The input is what a peer sent, read as conn.c reads it: frame_open with
 * a fixed key over the bytes left, again and again, until it needs more
 * bytes or fails; each opened frame's plaintext goes to wire_parse.  The
 * seed corpus holds streams sealed with the same key, so mutations reach
 * past the authentication.
 */
#include "proto/frame.h"
#include "fuzz.h"
#include "proto/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	uint8_t key[32];
	fz_key(FZ_FRAME_KEY, key);
	struct frame_rx rx;
	frame_rx_init(&rx, key);
	struct gl_buf plain = { 0 };
	struct gl_error err;
	size_t off = 0;
	for (;;) {
		size_t used = 99;
		int rc = frame_open(&rx, data + off, size - off, &used, &plain, &err);
		if (rc < 0) {
			FZ_CHECK(rc == GL_EPROTO || rc == GL_EAUTH);
			break;
		}
		FZ_CHECK(rc == 0 || rc == 1);
		FZ_CHECK(used <= size - off);
		if (used == 0) {
			FZ_CHECK(rc == 0); /* needs more bytes */
			break;
		}
		off += used;
		if (rc == 1) {
			FZ_CHECK(plain.len <= FRAME_MAX && plain.len + 4 + FRAME_ABYTES == used);
			struct wire_msg m;
			if (wire_parse(plain.data, plain.len, &m, &err) == 0)
				wire_msg_free(&m);
		}
	}
	gl_buf_free(&plain);
	frame_rx_wipe(&rx);
	return 0;
}
