#include "daemon/ctl_pack.h"

#include "proto/msg.h"

void ctl_pack_ok(struct gl_buf *out, msgpack_packer *pk, unsigned fields)
{
	msg_begin(out, pk);
	msgpack_pack_map(pk, fields + 1);
	ctl_pack_bool(pk, "ok", true);
}

void ctl_pack_str(msgpack_packer *pk, const char *key, const char *value)
{
	msg_pack_str(pk, key);
	msg_pack_str(pk, value);
}

void ctl_pack_uint(msgpack_packer *pk, const char *key, uint64_t value)
{
	msg_pack_str(pk, key);
	msgpack_pack_uint64(pk, value);
}

void ctl_pack_int(msgpack_packer *pk, const char *key, int64_t value)
{
	msg_pack_str(pk, key);
	msgpack_pack_int64(pk, value);
}

void ctl_pack_bool(msgpack_packer *pk, const char *key, bool value)
{
	msg_pack_str(pk, key);
	if (value)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

void ctl_pack_bin(msgpack_packer *pk, const char *key, const void *data, size_t len)
{
	msg_pack_str(pk, key);
	msgpack_pack_bin_with_body(pk, data, len);
}
