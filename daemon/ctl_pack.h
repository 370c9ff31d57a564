/*
 * ctl_pack.h — the fields of the control socket's answers (ctl.h).  An
 * answer is a msgpack map with string keys; each call here packs one key
 * and its value into the map being built, whose size the caller gave
 * when opening it.  One place for what ctl_ops.c and net.c (gilde peers)
 * both write.
 */
#ifndef GILDE_CTL_PACK_H
#define GILDE_CTL_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "proto/alloc.h"

/* Begin the answer {"ok": true, ...} in out (empty), with `fields` more
 * pairs to follow; end it with msg_end(out, 0) and send it with
 * ctl_reply(). */
void ctl_pack_ok(struct gl_buf *out, msgpack_packer *pk, unsigned fields);

void ctl_pack_str(msgpack_packer *pk, const char *key, const char *value);
void ctl_pack_uint(msgpack_packer *pk, const char *key, uint64_t value);
void ctl_pack_int(msgpack_packer *pk, const char *key, int64_t value);
void ctl_pack_bool(msgpack_packer *pk, const char *key, bool value);
void ctl_pack_bin(msgpack_packer *pk, const char *key, const void *data, size_t len);

#endif
