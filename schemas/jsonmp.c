#include "schemas/jsonmp.h"

#include <string.h>

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static bool skipped(const char *k, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (!strcmp(k, *skip))
			return true;
	return false;
}

static int pack(msgpack_packer *pk, const json_t *v, const char *const *skip,
                char *ptr, size_t plen, struct gl_error *err)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = 0;
		const char *k;
		json_t *m;
		json_object_foreach((json_t *)v, k, m)
			n += !skipped(k, skip);
		msgpack_pack_map(pk, n);
		json_object_foreach((json_t *)v, k, m) {
			if (skipped(k, skip))
				continue;
			size_t kl = strlen(k);
			int w = snprintf(ptr + plen, 512 - plen, "/%s", k);
			size_t nl = w > 0 && (size_t)w < 512 - plen ? plen + (size_t)w : plen;
			msgpack_pack_str_with_body(pk, k, kl);
			int rc = pack(pk, m, NULL, ptr, nl, err);
			ptr[plen] = '\0';
			if (rc)
				return rc;
		}
		return 0;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *m;
		msgpack_pack_array(pk, json_array_size(v));
		json_array_foreach(v, i, m) {
			int w = snprintf(ptr + plen, 512 - plen, "/%zu", i);
			size_t nl = w > 0 && (size_t)w < 512 - plen ? plen + (size_t)w : plen;
			int rc = pack(pk, m, NULL, ptr, nl, err);
			ptr[plen] = '\0';
			if (rc)
				return rc;
		}
		return 0;
	}
	case JSON_STRING:
		msgpack_pack_str_with_body(pk, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			msgpack_pack_int64(pk, i);
		else
			msgpack_pack_uint64(pk, (uint64_t)i);
		return 0;
	}
	case JSON_TRUE:
		msgpack_pack_true(pk);
		return 0;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		return 0;
	case JSON_REAL:
		return gl_errorf(err, GL_ESCHEMA,
		                 "%s: numbers must be whole numbers (no fraction or exponent)",
		                 plen ? ptr : "/");
	case JSON_NULL:
		return gl_errorf(err, GL_ESCHEMA,
		                 "%s: null is not allowed; leave the field out instead",
		                 plen ? ptr : "/");
	}
	return GL_EINVAL;
}

int jsonmp_pack(const json_t *v, const char *const *skip, struct gl_buf *out,
                struct gl_error *err)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write);
	char ptr[512] = "";
	size_t start = out->len;
	int rc = pack(&pk, v, skip, ptr, 0, err);
	if (rc)
		out->len = start;
	return rc;
}

json_t *jsonmp_to_json(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		/* JSON integers beyond 2^63 do not fit jansson; clamp visibly */
		return json_integer(o->via.u64 > (uint64_t)INT64_MAX ? INT64_MAX
		                                                     : (json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer(o->via.i64);
	case MSGPACK_OBJECT_STR:
		return json_stringn_nocheck(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_ARRAY: {
		json_t *a = json_array();
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			json_t *m = jsonmp_to_json(&o->via.array.ptr[i]);
			if (!m) {
				json_decref(a);
				return NULL;
			}
			json_array_append_new(a, m);
		}
		return a;
	}
	case MSGPACK_OBJECT_MAP: {
		json_t *obj = json_object();
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			json_t *m = k->type == MSGPACK_OBJECT_STR
			                    ? jsonmp_to_json(&o->via.map.ptr[i].val)
			                    : NULL;
			if (!m) {
				json_decref(obj);
				return NULL;
			}
			json_object_setn_new_nocheck(obj, k->via.str.ptr, k->via.str.size, m);
		}
		return obj;
	}
	default:
		return NULL;
	}
}

json_t *jsonmp_value_to_json(const uint8_t *val, size_t len)
{
	msgpack_zone zone;
	msgpack_zone_init(&zone, 512);
	msgpack_object o;
	size_t off = 0;
	json_t *j = NULL;
	if (msgpack_unpack((const char *)val, len, &off, &zone, &o) == MSGPACK_UNPACK_SUCCESS)
		j = jsonmp_to_json(&o);
	msgpack_zone_destroy(&zone);
	return j;
}

json_t *jsonmp_body_to_json(const uint8_t *body, size_t len)
{
	json_t *j = jsonmp_value_to_json(body, len);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}
