#include "proto/msg.h"

#include <string.h>

const struct mp_limits msg_limits = {
	.depth = 6,
	.str = MSG_MAX,
	.array = 1u << 20,
	.map = 256,
	.values = 1u << 21,
};

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

void msg_begin(struct gl_buf *out, msgpack_packer *pk)
{
	static const uint8_t zero[4];
	gl_buf_append(out, zero, 4);
	msgpack_packer_init(pk, out, buf_write);
}

void msg_end(struct gl_buf *out, size_t start)
{
	uint32_t n = (uint32_t)(out->len - start - 4);
	uint8_t *p = out->data + start;
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
}

void msg_pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

int msg_peek(const uint8_t *buf, size_t len, uint32_t max, size_t *total)
{
	if (len < 4)
		return 0;
	uint32_t n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (n > max)
		return GL_ELIMIT;
	if (len - 4 < n)
		return 0;
	*total = (size_t)n + 4;
	return 1;
}

int msg_decode(const uint8_t *p, size_t len, msgpack_zone *zone, msgpack_object *out,
               struct gl_error *err)
{
	struct mp_reader r;
	mp_reader_init(&r, p, len);
	uint32_t values = 0;
	int rc = mp_check_value(&r, &msg_limits, 0, &values, err);
	if (rc)
		return rc;
	if (mp_left(&r))
		return gl_errorf(err, GL_EFORMAT, "message: %zu bytes after the map", mp_left(&r));
	size_t off = 0;
	if (msgpack_unpack((const char *)p, len, &off, zone, out) != MSGPACK_UNPACK_SUCCESS)
		return gl_errorf(err, GL_EFORMAT, "message does not decode");
	if (out->type != MSGPACK_OBJECT_MAP)
		return gl_errorf(err, GL_EFORMAT, "message is not a map");
	return 0;
}

const msgpack_object *msg_get(const msgpack_object *map, const char *key)
{
	if (!map || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	size_t n = strlen(key);
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
		    memcmp(k->via.str.ptr, key, n) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

bool msg_get_str(const msgpack_object *map, const char *key, const char **p, size_t *len)
{
	const msgpack_object *o = msg_get(map, key);
	if (!o || o->type != MSGPACK_OBJECT_STR)
		return false;
	*p = o->via.str.ptr;
	*len = o->via.str.size;
	return true;
}

bool msg_get_uint(const msgpack_object *map, const char *key, uint64_t *v)
{
	const msgpack_object *o = msg_get(map, key);
	if (!o || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return false;
	*v = o->via.u64;
	return true;
}

bool msg_get_bool(const msgpack_object *map, const char *key, bool *v)
{
	const msgpack_object *o = msg_get(map, key);
	if (!o || o->type != MSGPACK_OBJECT_BOOLEAN)
		return false;
	*v = o->via.boolean;
	return true;
}

bool msg_get_bin(const msgpack_object *map, const char *key, const uint8_t **p, size_t *len)
{
	const msgpack_object *o = msg_get(map, key);
	if (!o || o->type != MSGPACK_OBJECT_BIN)
		return false;
	*p = (const uint8_t *)o->via.bin.ptr;
	*len = o->via.bin.size;
	return true;
}

bool msg_get_cstr(const msgpack_object *map, const char *key, char *buf, size_t n)
{
	const char *p;
	size_t len;
	if (!msg_get_str(map, key, &p, &len) || len >= n)
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return true;
}
