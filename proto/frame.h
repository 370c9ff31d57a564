/*
 * frame.h — the encrypted stream after the handshake (PROTOCOL.md 6.2).
 *
 * Each direction is one crypto_secretstream_xchacha20poly1305 stream keyed
 * by the handshake (hs_result tx/rx).  The sender first sends the stream's
 * 24-byte header, then frames:
 *
 *   length  4 bytes, big-endian: the ciphertext length that follows,
 *           17 to FRAME_MAX + 17 (ABYTES = 17)
 *   cipher  secretstream ciphertext of the frame's plaintext, tag
 *           TAG_MESSAGE, no additional data
 *
 * A length outside that window, or a ciphertext that does not
 * authenticate, is fatal to the connection.  A frame's plaintext is one
 * message (PROTOCOL.md 6.3).
 */
#ifndef GILDE_FRAME_H
#define GILDE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "proto/alloc.h"
#include "proto/err.h"

/* Most plaintext bytes in one frame. */
#define FRAME_MAX (1u << 20)
#define FRAME_HEADER_LEN crypto_secretstream_xchacha20poly1305_HEADERBYTES /* 24 */
#define FRAME_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES          /* 17 */

struct frame_tx {
	crypto_secretstream_xchacha20poly1305_state st;
};

struct frame_rx {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t key[32];
	bool started; /* the 24-byte header has been read */
};

/* Begin sending: append the stream header to out. */
void frame_tx_init(struct frame_tx *tx, const uint8_t key[32], struct gl_buf *out);

/* Append one frame carrying len (<= FRAME_MAX) plaintext bytes to out.
 * Returns 0 or GL_ELIMIT. */
int frame_seal(struct frame_tx *tx, const uint8_t *p, size_t len, struct gl_buf *out);

/* Begin receiving with key; the header is read by frame_open(). */
void frame_rx_init(struct frame_rx *rx, const uint8_t key[32]);

/*
 * Take at most one unit from the start of buf[0..len): first the stream
 * header, then one frame.  Returns 1 with *consumed set when a frame was
 * opened (its plaintext replaces the contents of *plain); 0 when more
 * bytes are needed, or when only the header was consumed (*consumed tells
 * how many; call again); GL_EPROTO for an impossible length or GL_EAUTH
 * for a frame that does not authenticate.
 */
int frame_open(struct frame_rx *rx, const uint8_t *buf, size_t len, size_t *consumed,
               struct gl_buf *plain, struct gl_error *err);

/* Erase stream state. */
void frame_tx_wipe(struct frame_tx *tx);
void frame_rx_wipe(struct frame_rx *rx);

#endif
