#include "proto/mp.h"

#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/bounds.h"

static uint64_t be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

bool mp_utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		/* eight bytes at a time while they are ASCII without NUL: most text */
		if (len - i >= 8) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			const uint64_t high = 0x8080808080808080u, ones = 0x0101010101010101u;
			if (!(w & high) && !((w - ones) & ~w & high)) {
				i += 8;
				continue;
			}
		}
		uint8_t c = p[i];
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		unsigned n;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (unsigned k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n + 1;
	}
	return true;
}

static int trunc_err(struct gl_error *err)
{
	return gl_errorf(err, GL_ETRUNC, "msgpack: input ends inside a value");
}

static int noncanon(struct gl_error *err, const char *what)
{
	return gl_errorf(err, GL_EFORMAT,
	                 "msgpack: %s not in its shortest encoding", what);
}

/* The one-byte forms: fixints, fixmap, fixarray, nil and booleans.  False
 * for any other first byte (it untouched). */
static bool one_byte(uint8_t b, struct mp_item *it)
{
	if (b <= 0x7f) {
		it->type = MP_UINT;
		it->v.u = b;
	} else if (b >= 0xe0) {
		it->type = MP_INT;
		it->v.i = (int8_t)b;
	} else if (b <= 0x8f) {
		it->type = MP_MAP;
		it->v.n = b & 0x0f;
	} else if (b <= 0x9f) {
		it->type = MP_ARRAY;
		it->v.n = b & 0x0f;
	} else if (b == 0xc0) {
		it->type = MP_NIL;
	} else if (b == 0xc2 || b == 0xc3) {
		it->type = MP_BOOL;
		it->v.b = b == 0xc3;
	} else {
		return false;
	}
	return true;
}

/* uint 8 to 64 (0xcc..0xcf) and int 8 to 64 (0xd0..0xd3), shortest only. */
static int integer(const uint8_t *p, size_t left, struct mp_item *it, size_t *used,
                   struct gl_error *err)
{
	bool sign = p[0] >= 0xd0;
	unsigned k = p[0] - (sign ? 0xd0 : 0xcc), width = 1u << k;
	if (left < 1 + width)
		return trunc_err(err);
	uint64_t u = be(p + 1, width);
	*used = 1 + width;
	if (!sign) {
		static const uint64_t min[] = { 0x80, 0x100, 0x10000, 0x100000000u };
		if (u < min[k])
			return noncanon(err, "unsigned integer");
		it->type = MP_UINT;
		it->v.u = u;
		return 0;
	}
	int64_t v;
	switch (width) {
	case 1: v = (int8_t)u; break;
	case 2: v = (int16_t)u; break;
	case 4: v = (int32_t)u; break;
	default: v = (int64_t)u; break;
	}
	/* non-negative values use the unsigned forms; a negative value
	 * uses the narrowest signed form that holds it */
	static const int64_t max[] = { -33, -129, -32769, -2147483649LL };
	if (v > max[k])
		return noncanon(err, "signed integer");
	it->type = MP_INT;
	it->v.i = v;
	return 0;
}

/* array 16/32 (0xdc, 0xdd) and map 16/32 (0xde, 0xdf) headers. */
static int count(const uint8_t *p, size_t left, struct mp_item *it, size_t *used,
                 struct gl_error *err)
{
	bool map = p[0] >= 0xde;
	unsigned width = (p[0] == 0xdc || p[0] == 0xde) ? 2 : 4;
	if (left < 1 + width)
		return trunc_err(err);
	uint64_t n = be(p + 1, width);
	if (n < (width == 2 ? 16u : 0x10000u))
		return noncanon(err, map ? "map header" : "array header");
	it->type = map ? MP_MAP : MP_ARRAY;
	it->v.n = (uint32_t)n;
	*used = 1 + width;
	return 0;
}

/* A str or bin of len bytes after a header of hdr bytes; a str's UTF-8
 * checked if utf8 (mp_skip passes over input checked before). */
static int bytes(const uint8_t *p, size_t left, enum mp_type t, unsigned hdr, uint64_t len,
                 bool utf8, struct mp_item *it, size_t *used, struct gl_error *err)
{
	if (left - hdr < len)
		return trunc_err(err);
	if (t == MP_STR && utf8 && !mp_utf8_valid(p + hdr, (size_t)len))
		return gl_errorf(err, GL_EFORMAT,
		                 "msgpack: string is not valid UTF-8 or contains NUL");
	it->type = t;
	it->v.s.p = p + hdr;
	it->v.s.len = (uint32_t)len;
	*used = hdr + (size_t)len;
	return 0;
}

/* str 8/16/32 and bin 8/16/32: a length of width bytes, then the bytes. */
static int sized_bytes(const uint8_t *p, size_t left, enum mp_type t, unsigned width, bool utf8,
                       struct mp_item *it, size_t *used, struct gl_error *err)
{
	if (left < 1 + width)
		return trunc_err(err);
	uint64_t len = be(p + 1, width);
	/* str has fixstr below 32; bin has no fix form */
	uint64_t min8 = t == MP_STR ? 32 : 0;
	uint64_t min = width == 1 ? min8 : width == 2 ? 0x100 : 0x10000;
	if (len < min)
		return noncanon(err, t == MP_STR ? "string header" : "binary header");
	return bytes(p, left, t, 1 + width, len, utf8, it, used, err);
}

/* A first byte gilde does not use. */
static int unused_byte(uint8_t b, struct gl_error *err)
{
	if (b == 0xca || b == 0xcb)
		return gl_errorf(err, GL_EFORMAT,
		                 "msgpack: floating-point numbers are not allowed");
	if (b == 0xc1)
		return gl_errorf(err, GL_EFORMAT, "msgpack: byte 0xc1 is never used");
	return gl_errorf(err, GL_EFORMAT, "msgpack: extension types are not allowed");
}

/* mp_next, with a string's UTF-8 checked or not. */
static int next(struct mp_reader *r, struct mp_item *it, bool utf8, struct gl_error *err)
{
	const uint8_t *p = r->p;
	size_t left = mp_left(r), used = 1;
	if (left < 1)
		return trunc_err(err);
	uint8_t b = p[0];
	int rc;
	if (one_byte(b, it))
		rc = 0;
	else if (b >= 0xa0 && b <= 0xbf) /* fixstr */
		rc = bytes(p, left, MP_STR, 1, b & 0x1f, utf8, it, &used, err);
	else if (b >= 0xcc && b <= 0xd3)
		rc = integer(p, left, it, &used, err);
	else if (b >= 0xdc && b <= 0xdf)
		rc = count(p, left, it, &used, err);
	else if (b >= 0xd9 && b <= 0xdb)
		rc = sized_bytes(p, left, MP_STR, 1u << (b - 0xd9), utf8, it, &used, err);
	else if (b >= 0xc4 && b <= 0xc6)
		rc = sized_bytes(p, left, MP_BIN, 1u << (b - 0xc4), utf8, it, &used, err);
	else
		rc = unused_byte(b, err);
	if (rc == 0)
		r->p = p + used;
	return rc;
}

int mp_next(struct mp_reader *r, struct mp_item *it, struct gl_error *err)
{
	return next(r, it, true, err);
}

struct keyref {
	const uint8_t *p;
	uint32_t len;
};

/* The n entries of a map at depth: keys strings, short, unique. */
static int check_map(struct mp_reader *r, const struct mp_limits *lim, unsigned depth,
                     uint32_t n, uint32_t *values, struct gl_error *err)
{
	int rc = 0;
	struct keyref *keys = n ? gl_xmalloc(n * sizeof *keys) : NULL;
	for (uint32_t i = 0; i < n; i++) {
		struct mp_item k;
		rc = mp_next(r, &k, err);
		if (rc)
			goto out;
		if (k.type != MP_STR) {
			rc = gl_errorf(err, GL_EFORMAT, "msgpack: map key is not a string");
			goto out;
		}
		if (k.v.s.len > GL_KEY_MAX || k.v.s.len == 0) {
			rc = gl_errorf(err, GL_ELIMIT,
			               "msgpack: map key of %u bytes (must be 1 to %u)",
			               k.v.s.len, GL_KEY_MAX);
			goto out;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (keys[j].len == k.v.s.len &&
			    memcmp(keys[j].p, k.v.s.p, k.v.s.len) == 0) {
				rc = gl_errorf(err, GL_EFORMAT,
				               "msgpack: duplicate map key \"%.*s\"",
				               (int)k.v.s.len, (const char *)k.v.s.p);
				goto out;
			}
		}
		keys[i].p = k.v.s.p;
		keys[i].len = k.v.s.len;
		if (++*values > lim->values) {
			rc = gl_errorf(err, GL_ELIMIT,
			               "msgpack: more than %u values (limit)", lim->values);
			goto out;
		}
		rc = mp_check_value(r, lim, depth + 1, values, err);
		if (rc)
			goto out;
	}
out:
	free(keys);
	return rc;
}

int mp_check_value(struct mp_reader *r, const struct mp_limits *lim,
                   unsigned depth, uint32_t *values, struct gl_error *err)
{
	struct mp_item it;
	int rc = mp_next(r, &it, err);
	if (rc)
		return rc;
	if (++*values > lim->values)
		return gl_errorf(err, GL_ELIMIT,
		                 "msgpack: more than %u values (limit)", lim->values);
	switch (it.type) {
	case MP_STR:
	case MP_BIN:
		if (it.v.s.len > lim->str)
			return gl_errorf(err, GL_ELIMIT,
			                 "msgpack: %u-byte %s over the %u-byte limit",
			                 it.v.s.len, it.type == MP_STR ? "string" : "binary",
			                 lim->str);
		return 0;
	case MP_ARRAY:
	case MP_MAP:
		break;
	default:
		return 0;
	}
	if (depth + 1 > lim->depth)
		return gl_errorf(err, GL_ELIMIT,
		                 "msgpack: nesting deeper than %u levels", lim->depth);
	bool map = it.type == MP_MAP;
	uint32_t n = it.v.n;
	uint32_t max = map ? lim->map : lim->array;
	if (n > max)
		return gl_errorf(err, GL_ELIMIT, "msgpack: %s of %u entries over the %u limit",
		                 map ? "map" : "array", n, max);
	/* every value takes at least one byte: refuse counts the input cannot hold */
	if ((uint64_t)n * (map ? 2 : 1) > mp_left(r))
		return trunc_err(err);
	if (!map) {
		for (uint32_t i = 0; i < n; i++) {
			rc = mp_check_value(r, lim, depth + 1, values, err);
			if (rc)
				return rc;
		}
		return 0;
	}
	return check_map(r, lim, depth, n, values, err);
}

int mp_skip(struct mp_reader *r, struct gl_error *err)
{
	uint64_t pending = 1; /* values still to pass */
	while (pending) {
		struct mp_item it;
		int rc = next(r, &it, false, err); /* its UTF-8 was checked with the input */
		if (rc)
			return rc;
		pending--;
		if (it.type == MP_ARRAY || it.type == MP_MAP)
			pending += (uint64_t)it.v.n * (it.type == MP_MAP ? 2 : 1);
		/* every value takes at least one byte */
		if (pending > mp_left(r))
			return trunc_err(err);
	}
	return 0;
}

static int want(struct mp_reader *r, struct mp_item *it, enum mp_type t,
                const char *name, struct gl_error *err)
{
	struct mp_reader save = *r;
	int rc = mp_next(r, it, err);
	if (rc)
		return rc;
	if (it->type != t) {
		*r = save;
		return gl_errorf(err, GL_EFORMAT, "msgpack: expected %s", name);
	}
	return 0;
}

int mp_read_uint(struct mp_reader *r, uint64_t *out, struct gl_error *err)
{
	struct mp_item it;
	int rc = want(r, &it, MP_UINT, "an unsigned integer", err);
	if (!rc)
		*out = it.v.u;
	return rc;
}

int mp_read_str(struct mp_reader *r, const uint8_t **p, uint32_t *len,
                struct gl_error *err)
{
	struct mp_item it;
	int rc = want(r, &it, MP_STR, "a string", err);
	if (!rc) {
		*p = it.v.s.p;
		*len = it.v.s.len;
	}
	return rc;
}

int mp_read_bin(struct mp_reader *r, const uint8_t **p, uint32_t *len,
                struct gl_error *err)
{
	struct mp_item it;
	int rc = want(r, &it, MP_BIN, "binary data", err);
	if (!rc) {
		*p = it.v.s.p;
		*len = it.v.s.len;
	}
	return rc;
}

int mp_read_array(struct mp_reader *r, uint32_t *n, struct gl_error *err)
{
	struct mp_item it;
	int rc = want(r, &it, MP_ARRAY, "an array", err);
	if (!rc)
		*n = it.v.n;
	return rc;
}

int mp_read_map(struct mp_reader *r, uint32_t *n, struct gl_error *err)
{
	struct mp_item it;
	int rc = want(r, &it, MP_MAP, "a map", err);
	if (!rc)
		*n = it.v.n;
	return rc;
}

/* ---- writing: msgpack-c's packer, appending to a gl_buf ---- */

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static msgpack_packer packer(struct gl_buf *b)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, b, buf_write);
	return pk;
}

void mp_write_array(struct gl_buf *b, uint32_t n)
{
	msgpack_packer pk = packer(b);
	msgpack_pack_array(&pk, n);
}

void mp_write_map(struct gl_buf *b, uint32_t n)
{
	msgpack_packer pk = packer(b);
	msgpack_pack_map(&pk, n);
}

void mp_write_str(struct gl_buf *b, const char *s, size_t len)
{
	msgpack_packer pk = packer(b);
	msgpack_pack_str_with_body(&pk, s, len);
}

void mp_write_bin(struct gl_buf *b, const void *p, size_t len)
{
	msgpack_packer pk = packer(b);
	msgpack_pack_bin_with_body(&pk, p, len);
}

void mp_write_uint(struct gl_buf *b, uint64_t v)
{
	msgpack_packer pk = packer(b);
	msgpack_pack_uint64(&pk, v);
}

void mp_write_bool(struct gl_buf *b, bool v)
{
	msgpack_packer pk = packer(b);
	if (v)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
}
