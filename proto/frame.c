/*
 * frame.c — the encrypted stream after the handshake; the layout is
 * specified in frame.h and PROTOCOL.md section 6.2.
 */
#include "proto/frame.h"

#include <string.h>

#define FRAME_LEN_BYTES 4

void frame_tx_init(struct frame_tx *tx, const uint8_t key[32], struct gl_buf *out)
{
	uint8_t header[FRAME_HEADER_LEN];
	crypto_secretstream_xchacha20poly1305_init_push(&tx->st, header, key);
	gl_buf_append(out, header, sizeof header);
}

int frame_seal(struct frame_tx *tx, const uint8_t *p, size_t len, struct gl_buf *out)
{
	if (len > FRAME_MAX)
		return GL_ELIMIT;
	size_t clen = len + FRAME_ABYTES;
	gl_buf_reserve(out, FRAME_LEN_BYTES + clen);
	uint8_t *w = out->data + out->len;
	w[0] = (uint8_t)(clen >> 24);
	w[1] = (uint8_t)(clen >> 16);
	w[2] = (uint8_t)(clen >> 8);
	w[3] = (uint8_t)clen;
	static const uint8_t empty[1];
	crypto_secretstream_xchacha20poly1305_push(&tx->st, w + FRAME_LEN_BYTES, NULL,
	                                           len ? p : empty, len, NULL, 0,
	                                           crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	out->len += FRAME_LEN_BYTES + clen;
	return 0;
}

void frame_rx_init(struct frame_rx *rx, const uint8_t key[32])
{
	memset(&rx->st, 0, sizeof rx->st);
	memcpy(rx->key, key, 32);
	rx->started = false;
}

int frame_open(struct frame_rx *rx, const uint8_t *buf, size_t len, size_t *consumed,
               struct gl_buf *plain, struct gl_error *err)
{
	*consumed = 0;
	if (!rx->started) {
		if (len < FRAME_HEADER_LEN)
			return 0;
		if (crypto_secretstream_xchacha20poly1305_init_pull(&rx->st, buf, rx->key) != 0)
			return gl_errorf(err, GL_EAUTH, "frame: bad stream header");
		sodium_memzero(rx->key, sizeof rx->key); /* the state holds what is needed */
		rx->started = true;
		*consumed = FRAME_HEADER_LEN;
		return 0;
	}
	if (len < FRAME_LEN_BYTES)
		return 0;
	uint32_t clen = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (clen < FRAME_ABYTES || clen > FRAME_MAX + FRAME_ABYTES)
		return gl_errorf(err, GL_EPROTO, "frame: impossible length %u", (unsigned)clen);
	if (len - FRAME_LEN_BYTES < clen)
		return 0;
	size_t mlen = clen - FRAME_ABYTES;
	plain->len = 0;
	if (plain->cap < mlen) {
		/* exactly the announced size, which is bounded by FRAME_MAX */
		plain->data = gl_xrealloc(plain->data, mlen);
		plain->cap = mlen;
	}
	uint8_t sink[1];
	uint8_t tag = 0;
	if (crypto_secretstream_xchacha20poly1305_pull(&rx->st, mlen ? plain->data : sink, NULL, &tag,
	                                               buf + FRAME_LEN_BYTES, clen, NULL, 0) != 0)
		return gl_errorf(err, GL_EAUTH, "frame does not authenticate");
	if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
		sodium_memzero(plain->data ? plain->data : sink, mlen);
		return gl_errorf(err, GL_EPROTO, "frame: unexpected stream tag %u", (unsigned)tag);
	}
	plain->len = mlen;
	*consumed = FRAME_LEN_BYTES + clen;
	return 1;
}

void frame_tx_wipe(struct frame_tx *tx)
{
	sodium_memzero(tx, sizeof *tx);
}

void frame_rx_wipe(struct frame_rx *rx)
{
	sodium_memzero(rx, sizeof *rx);
}
