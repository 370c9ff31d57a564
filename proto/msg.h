/*
 * msg.h — length-prefixed msgpack messages, as used on the control socket
 * between gilde and gilded (proto/PROTOCOL.md, "Control socket").
 *
 * A message is a 4-byte big-endian length followed by that many bytes of
 * msgpack: one map with string keys.  Decoding runs the strict checks of
 * mp.h before msgpack-c builds objects, so nothing is allocated on the
 * word of the input.
 */
#ifndef GILDE_MSG_H
#define GILDE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/err.h"
#include "proto/mp.h"

/* Largest control message, either direction. */
#define MSG_MAX (8u << 20)

/* Limits for decoding control messages. */
extern const struct mp_limits msg_limits;

/* Start a message in out: reserves the length prefix and returns a
 * packer writing after it.  Finish with msg_end(). */
void msg_begin(struct gl_buf *out, msgpack_packer *pk);
/* Fill in the length prefix of the message begun at offset start. */
void msg_end(struct gl_buf *out, size_t start);

/* Pack a NUL-terminated string. */
void msg_pack_str(msgpack_packer *pk, const char *s);

/*
 * If buf holds a whole message, return its total size (prefix included)
 * in *total and 1; 0 if more bytes are needed; GL_ELIMIT if the prefix
 * announces more than max bytes.
 */
int msg_peek(const uint8_t *buf, size_t len, uint32_t max, size_t *total);

/*
 * Decode the payload of one message (after the prefix) into *out, which
 * lives in zone.  Returns 0, or GL_EFORMAT / GL_ETRUNC / GL_ELIMIT.
 */
int msg_decode(const uint8_t *p, size_t len, msgpack_zone *zone, msgpack_object *out,
               struct gl_error *err);

/* Look up key in a map object; NULL if absent or not a map. */
const msgpack_object *msg_get(const msgpack_object *map, const char *key);
/* Typed lookups; return false if absent or of another type. */
bool msg_get_str(const msgpack_object *map, const char *key, const char **p, size_t *len);
bool msg_get_uint(const msgpack_object *map, const char *key, uint64_t *v);
bool msg_get_bool(const msgpack_object *map, const char *key, bool *v);
bool msg_get_bin(const msgpack_object *map, const char *key, const uint8_t **p, size_t *len);
/* A NUL-terminated copy of a string value into buf (n bytes); false if
 * absent, not a string, or too long. */
bool msg_get_cstr(const msgpack_object *map, const char *key, char *buf, size_t n);

#endif
