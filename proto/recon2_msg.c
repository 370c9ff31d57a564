/*
 * recon2_msg.c — the v2 reconciliation messages on the wire (recon2.h,
 * PROTOCOL.md 6.7.3): parsing every type to its exact shape, and the
 * encoders.  Like every decoder here, a message is first checked whole
 * against the msgpack profile with limits of its own, then read field by
 * field; nothing is allocated on the word of the input.
 */
#include "proto/recon2.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "proto/mp.h"

/* Largest value in a v2 message: a SYMBOLS bin (63 KiB); most values: an
 * END with its take keys. */
static const struct mp_limits r2_limits = {
	.depth = 2,
	.str = RECON2_FLIGHT_SYMBOLS * RIBLT_SYMBOL_WIRE,
	.array = RIBLT_SYMBOLS_MAX,
	.map = 0,
	.values = RIBLT_SYMBOLS_MAX + 16,
};

bool recon2_is_type(uint64_t type)
{
	return type >= R2_START && type <= R2_SENT;
}

__attribute__((format(printf, 2, 3)))
static int bad(struct gl_error *err, const char *fmt, ...)
{
	if (!err)
		return GL_EPROTO;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return gl_errorf(err, GL_EPROTO, "recon2: %s", msg);
}

static int field_uint(struct mp_reader *r, const char *what, uint64_t *v, struct gl_error *err)
{
	if (mp_read_uint(r, v, NULL) != 0)
		return bad(err, "%s is not a uint", what);
	return 0;
}

static int field_bin(struct mp_reader *r, const char *what, const uint8_t **p, uint32_t *len,
                     struct gl_error *err)
{
	if (mp_read_bin(r, p, len, NULL) != 0)
		return bad(err, "%s is not a bin", what);
	return 0;
}

static int field_digest(struct mp_reader *r, const uint8_t **p, struct gl_error *err)
{
	uint32_t len;
	int rc = field_bin(r, "digest", p, &len, err);
	if (rc == 0 && len != RIBLT_DIGEST)
		return bad(err, "digest of %u bytes, expected %d", (unsigned)len, RIBLT_DIGEST);
	return rc;
}

static int parse_symbols(struct mp_reader *r, struct recon2_msg *m, struct gl_error *err)
{
	uint64_t first, end;
	uint32_t len;
	int rc;
	if ((rc = field_uint(r, "first", &first, err)) || (rc = field_uint(r, "end", &end, err)) ||
	    (rc = field_uint(r, "count", &m->count, err)) || (rc = field_digest(r, &m->digest, err)) ||
	    (rc = field_bin(r, "symbols", &m->symbols, &len, err)))
		return rc;
	if (len == 0 || len % RIBLT_SYMBOL_WIRE)
		return bad(err, "symbols of %u bytes, not a positive multiple of %d", (unsigned)len,
		           RIBLT_SYMBOL_WIRE);
	m->nsymbols = len / RIBLT_SYMBOL_WIRE;
	if (m->nsymbols > RECON2_FLIGHT_SYMBOLS)
		return bad(err, "%u symbols in one message, at most %u", (unsigned)m->nsymbols,
		           RECON2_FLIGHT_SYMBOLS);
	if (end > RIBLT_SYMBOLS_MAX || first >= end || end - first < m->nsymbols)
		return bad(err, "symbols %llu..%llu with end %llu (at most %u)",
		           (unsigned long long)first, (unsigned long long)(first + m->nsymbols),
		           (unsigned long long)end, RIBLT_SYMBOLS_MAX);
	m->first = (uint32_t)first;
	m->end = (uint32_t)end;
	return 0;
}

static int parse_end(struct mp_reader *r, struct recon2_msg *m, struct gl_error *err)
{
	uint64_t status;
	uint32_t n;
	int rc;
	if ((rc = field_uint(r, "status", &status, err)))
		return rc;
	if (status > R2_FAILED)
		return bad(err, "unknown status %llu", (unsigned long long)status);
	m->status = (unsigned)status;
	if (mp_read_array(r, &n, NULL) != 0)
		return bad(err, "take is not an array");
	if (n > RIBLT_SYMBOLS_MAX)
		return bad(err, "%u keys to take, at most %u", (unsigned)n, RIBLT_SYMBOLS_MAX);
	if (n && status != R2_DECODED)
		return bad(err, "keys to take with status %u", m->status);
	m->take = r->p;
	m->ntake = n;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *k;
		uint32_t len;
		if ((rc = field_bin(r, "take key", &k, &len, err)))
			return rc;
		if (len != 16)
			return bad(err, "take key of %u bytes, expected 16", (unsigned)len);
	}
	return 0;
}

/* The fields after [type, sid, ...]; n is the array's length. */
static int parse_fields(struct mp_reader *r, uint32_t n, struct recon2_msg *m, struct gl_error *err)
{
	static const uint32_t want[] = { [R2_START] = 4, [R2_ESTIMATE] = 4, [R2_SYMBOLS] = 7,
	                                  [R2_MORE] = 3,  [R2_END] = 4,      [R2_SENT] = 3 };
	uint32_t len;
	uint64_t v;
	int rc;
	if (n != want[m->type])
		return bad(err, "message %u of %u fields, expected %u", m->type, (unsigned)n,
		           (unsigned)want[m->type]);
	if ((rc = field_uint(r, "sid", &m->sid, err)))
		return rc;
	if (m->sid == 0 && m->type != R2_SENT)
		return bad(err, "session 0 in message %u", m->type);
	switch (m->type) {
	case R2_START:
		if ((rc = field_uint(r, "count", &m->count, err)))
			return rc;
		return field_digest(r, &m->digest, err);
	case R2_ESTIMATE:
		if ((rc = field_uint(r, "count", &m->count, err)) ||
		    (rc = field_bin(r, "counts", &m->counts, &len, err)))
			return rc;
		if (len > RECON2_COUNTS_MAX)
			return bad(err, "%u counts, at most %u", (unsigned)len, RECON2_COUNTS_MAX);
		m->ncounts = len;
		return 0;
	case R2_SYMBOLS:
		return parse_symbols(r, m, err);
	case R2_MORE:
		if ((rc = field_uint(r, "end", &v, err)))
			return rc;
		if (v < 1 || v > RIBLT_SYMBOLS_MAX)
			return bad(err, "MORE up to %llu, expected 1 to %u", (unsigned long long)v,
			           RIBLT_SYMBOLS_MAX);
		m->end = (uint32_t)v;
		return 0;
	case R2_END:
		return parse_end(r, m, err);
	default:
		return field_uint(r, "records", &m->records, err);
	}
}

int recon2_parse(const uint8_t *p, size_t len, struct recon2_msg *out, struct gl_error *err)
{
	struct recon2_msg m;
	memset(&m, 0, sizeof m);
	struct mp_reader r;
	mp_reader_init(&r, p, len);
	uint32_t values = 0, n;
	uint64_t type;
	if (mp_check_value(&r, &r2_limits, 0, &values, err) != 0) {
		gl_error_prefix(err, GL_EPROTO, "recon2");
		if (err)
			err->code = GL_EPROTO;
		return GL_EPROTO;
	}
	if (mp_left(&r))
		return bad(err, "%zu bytes after the message", mp_left(&r));
	mp_reader_init(&r, p, len);
	if (mp_read_array(&r, &n, NULL) != 0 || n < 1)
		return bad(err, "message is not a non-empty array");
	if (mp_read_uint(&r, &type, NULL) != 0 || !recon2_is_type(type))
		return bad(err, "not a v2 reconciliation message");
	m.type = (unsigned)type;
	int rc = parse_fields(&r, n, &m, err);
	if (rc)
		return rc;
	*out = m;
	return 0;
}

void recon2_take_key(const struct recon2_msg *m, uint32_t i, uint8_t k[16])
{
	/* each key is a bin 8 of 16 bytes: c4 10, then the key */
	memcpy(k, m->take + 18 * (size_t)i + 2, 16);
}

/* ---- encoders ---- */

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static void head(msgpack_packer *pk, struct gl_buf *out, unsigned type, size_t n, uint64_t sid)
{
	msgpack_packer_init(pk, out, buf_write);
	msgpack_pack_array(pk, n);
	msgpack_pack_uint64(pk, type);
	msgpack_pack_uint64(pk, sid);
}

void recon2_msg_start(struct gl_buf *out, uint64_t sid, uint64_t count, const uint8_t digest[32])
{
	msgpack_packer pk;
	head(&pk, out, R2_START, 4, sid);
	msgpack_pack_uint64(&pk, count);
	msgpack_pack_bin_with_body(&pk, digest, RIBLT_DIGEST);
}

void recon2_msg_estimate(struct gl_buf *out, uint64_t sid, uint64_t count, const uint8_t *counts,
                         uint32_t k)
{
	msgpack_packer pk;
	head(&pk, out, R2_ESTIMATE, 4, sid);
	msgpack_pack_uint64(&pk, count);
	msgpack_pack_bin_with_body(&pk, counts, k);
}

void recon2_msg_symbols(struct gl_buf *out, uint64_t sid, uint32_t first, uint32_t end,
                        uint64_t count, const uint8_t digest[32], const uint8_t *syms, uint32_t k)
{
	msgpack_packer pk;
	head(&pk, out, R2_SYMBOLS, 7, sid);
	msgpack_pack_uint64(&pk, first);
	msgpack_pack_uint64(&pk, end);
	msgpack_pack_uint64(&pk, count);
	msgpack_pack_bin_with_body(&pk, digest, RIBLT_DIGEST);
	msgpack_pack_bin_with_body(&pk, syms, (size_t)k * RIBLT_SYMBOL_WIRE);
}

void recon2_msg_more(struct gl_buf *out, uint64_t sid, uint32_t end)
{
	msgpack_packer pk;
	head(&pk, out, R2_MORE, 3, sid);
	msgpack_pack_uint64(&pk, end);
}

void recon2_msg_end(struct gl_buf *out, uint64_t sid, unsigned status, const uint8_t (*take)[16],
                    size_t ntake)
{
	msgpack_packer pk;
	head(&pk, out, R2_END, 4, sid);
	msgpack_pack_uint64(&pk, status);
	msgpack_pack_array(&pk, ntake);
	for (size_t i = 0; i < ntake; i++)
		msgpack_pack_bin_with_body(&pk, take[i], 16);
}

void recon2_msg_sent(struct gl_buf *out, uint64_t sid, uint64_t records)
{
	msgpack_packer pk;
	head(&pk, out, R2_SENT, 3, sid);
	msgpack_pack_uint64(&pk, records);
}
