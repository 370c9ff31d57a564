#include "proto/wire.h"

#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto/bounds.h"
#include "proto/recon.h"

static const struct mp_limits wire_limits = {
	.depth = 8,
	.str = GL_RECORD_MAX,
	.array = WIRE_ITEMS_MAX > RECON_ITEMS_MAX ? WIRE_ITEMS_MAX : RECON_ITEMS_MAX,
	.map = 0,
	.values = 1u << 20,
};

static int exact_end(const struct mp_reader *r, struct gl_error *err)
{
	if (mp_left(r))
		return gl_errorf(err, GL_EFORMAT, "message: %zu bytes after the last field", mp_left(r));
	return 0;
}

static int parse_items(struct mp_reader *r, struct wire_msg *m, struct gl_error *err)
{
	uint32_t n;
	int rc = mp_read_array(r, &n, err);
	if (rc)
		return rc;
	if (n < 1 || n > WIRE_ITEMS_MAX)
		return gl_errorf(err, GL_ELIMIT, "message: %u items (must be 1 to %u)", n, WIRE_ITEMS_MAX);
	m->items = gl_xmalloc(n * sizeof *m->items);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *p;
		uint32_t len;
		if ((rc = mp_read_bin(r, &p, &len, err)))
			return rc;
		if (len != 32)
			return gl_errorf(err, GL_EFORMAT, "message: item of %u bytes, expected 32", len);
		memcpy(m->items[i], p, 32);
	}
	m->nitems = n;
	return exact_end(r, err);
}

static int parse_records(struct mp_reader *r, struct wire_msg *m, struct gl_error *err)
{
	uint32_t n;
	int rc = mp_read_array(r, &n, err);
	if (rc)
		return rc;
	if (n < 1 || n > WIRE_RECORDS_MAX)
		return gl_errorf(err, GL_ELIMIT, "message: %u records (must be 1 to %u)", n,
		                 WIRE_RECORDS_MAX);
	m->env = gl_xmalloc(n * sizeof *m->env);
	m->env_len = gl_xmalloc(n * sizeof *m->env_len);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *p;
		uint32_t len;
		if ((rc = mp_read_bin(r, &p, &len, err)))
			return rc;
		if (len > GL_RECORD_MAX)
			return gl_errorf(err, GL_ELIMIT, "message: record of %u bytes", len);
		m->env[i] = p;
		m->env_len[i] = len;
	}
	m->nenv = n;
	return exact_end(r, err);
}

/* HELLO's sixth item: the reconciliation versions the peer speaks.  Not
 * an array of 1 to WIRE_RECON_LIST_MAX uint: ignored (version 1 only). */
static void parse_recon_versions(struct mp_reader *r, struct wire_msg *m)
{
	uint32_t n;
	unsigned mask = WIRE_RECON_V1;
	if (mp_read_array(r, &n, NULL) != 0 || n < 1 || n > WIRE_RECON_LIST_MAX)
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t v;
		if (mp_read_uint(r, &v, NULL) != 0)
			return;
		if (v >= 1 && v <= 31)
			mask |= 1u << v;
	}
	m->recon_versions = mask;
}

static int parse_hello(struct mp_reader *r, uint32_t fields, struct wire_msg *m,
                       struct gl_error *err)
{
	const uint8_t *p;
	uint32_t len, n;
	int rc;
	if (fields < 4)
		return gl_errorf(err, GL_EFORMAT, "HELLO: %u fields, expected at least 4", fields);
	if ((rc = mp_read_uint(r, &m->version, err)) || (rc = mp_read_str(r, &p, &len, err)))
		return rc;
	if (len > WIRE_NAME_MAX)
		return gl_errorf(err, GL_ELIMIT, "HELLO: name of %u bytes", len);
	m->name = (const char *)p;
	m->name_len = len;
	if ((rc = mp_read_array(r, &n, err)))
		return rc;
	if (n > WIRE_ENDPOINTS_MAX)
		return gl_errorf(err, GL_ELIMIT, "HELLO: %u endpoints", n);
	for (uint32_t i = 0; i < n; i++) {
		if ((rc = mp_read_str(r, &p, &len, err)))
			return rc;
		if (len > WIRE_ENDPOINT_MAX)
			return gl_errorf(err, GL_ELIMIT, "HELLO: endpoint of %u bytes", len);
		m->endpoints[i] = (const char *)p;
		m->endpoint_len[i] = len;
	}
	m->nendpoints = n;
	m->recon_versions = WIRE_RECON_V1;
	/* the optional clock; an item of another type there (nil from a node
	 * that does not say its clock but lists versions) is skipped, like
	 * any item of a later version (already checked by the profile) */
	if (fields >= 5 && mp_read_uint(r, &m->clock_ms, NULL) != 0) {
		uint32_t values = 0;
		m->clock_ms = 0;
		if (mp_check_value(r, &wire_limits, 1, &values, NULL) != 0)
			return 0;
	}
	if (fields >= 6)
		parse_recon_versions(r, m);
	return 0;
}

int wire_parse(const uint8_t *p, size_t len, struct wire_msg *out, struct gl_error *err)
{
	struct wire_msg m;
	memset(&m, 0, sizeof m);
	struct mp_reader r;
	mp_reader_init(&r, p, len);
	uint32_t values = 0;
	int rc = mp_check_value(&r, &wire_limits, 0, &values, err);
	if (rc)
		return rc;
	if (mp_left(&r))
		return gl_errorf(err, GL_EFORMAT, "message: bytes after the message");
	mp_reader_init(&r, p, len);
	uint32_t fields;
	uint64_t type;
	if ((rc = mp_read_array(&r, &fields, err)))
		return rc;
	if (fields < 1 || (rc = mp_read_uint(&r, &type, err)))
		return rc ? rc : gl_errorf(err, GL_EFORMAT, "message: empty array");
	m.type = type > 255 ? 255 : (unsigned)type;
	switch (type) {
	case WIRE_HELLO:
		rc = parse_hello(&r, fields, &m, err);
		break;
	case WIRE_RECON:
		if (fields != 2)
			return gl_errorf(err, GL_EFORMAT, "RECON: %u fields, expected 2", fields);
		m.recon = r.p;
		m.recon_len = mp_left(&r);
		break;
	case WIRE_WANT:
	case WIRE_HAVE:
		rc = fields != 2 ? gl_errorf(err, GL_EFORMAT, "WANT/HAVE: %u fields", fields)
		                 : parse_items(&r, &m, err);
		break;
	case WIRE_RECORDS:
		rc = fields != 2 ? gl_errorf(err, GL_EFORMAT, "RECORDS: %u fields", fields)
		                 : parse_records(&r, &m, err);
		break;
	case WIRE_PING:
	case WIRE_PONG:
		rc = fields != 2 ? gl_errorf(err, GL_EFORMAT, "PING/PONG: %u fields", fields)
		                 : mp_read_uint(&r, &m.nonce, err);
		if (!rc)
			rc = exact_end(&r, err);
		break;
	case WIRE_BYE: {
		struct mp_item code;
		const uint8_t *s;
		uint32_t sl;
		if (fields != 3)
			return gl_errorf(err, GL_EFORMAT, "BYE: %u fields", fields);
		if ((rc = mp_next(&r, &code, err)))
			break;
		if (code.type == MP_INT)
			m.code = code.v.i;
		else if (code.type == MP_UINT && code.v.u <= INT64_MAX)
			m.code = (int64_t)code.v.u;
		else
			return gl_errorf(err, GL_EFORMAT, "BYE: code is not an integer");
		if ((rc = mp_read_str(&r, &s, &sl, err)))
			break;
		if (sl > WIRE_REASON_MAX)
			return gl_errorf(err, GL_ELIMIT, "BYE: reason of %u bytes", sl);
		m.reason = (const char *)s;
		m.reason_len = sl;
		rc = exact_end(&r, err);
		break;
	}
	default:
		break; /* unknown: the caller ignores it */
	}
	if (rc) {
		wire_msg_free(&m);
		return rc;
	}
	*out = m;
	return 0;
}

void wire_msg_free(struct wire_msg *m)
{
	free(m->items);
	free(m->env);
	free(m->env_len);
	m->items = NULL;
	m->env = NULL;
	m->env_len = NULL;
}

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static void packer(msgpack_packer *pk, struct gl_buf *out)
{
	msgpack_packer_init(pk, out, buf_write);
}

void wire_hello(struct gl_buf *out, const char *name, const char *const *endpoints, unsigned n,
                uint64_t clock_ms)
{
	msgpack_packer pk;
	packer(&pk, out);
	size_t nl = strlen(name);
	if (nl > WIRE_NAME_MAX)
		nl = WIRE_NAME_MAX;
	msgpack_pack_array(&pk, clock_ms ? 5 : 4);
	msgpack_pack_uint64(&pk, WIRE_HELLO);
	msgpack_pack_uint64(&pk, WIRE_VERSION);
	msgpack_pack_str_with_body(&pk, name, nl);
	if (n > WIRE_ENDPOINTS_MAX)
		n = WIRE_ENDPOINTS_MAX;
	msgpack_pack_array(&pk, n);
	for (unsigned i = 0; i < n; i++)
		msgpack_pack_str_with_body(&pk, endpoints[i], strlen(endpoints[i]));
	if (clock_ms)
		msgpack_pack_uint64(&pk, clock_ms);
}

void wire_hello_recon(struct gl_buf *out, const char *name, const char *const *endpoints,
                      unsigned n, uint64_t clock_ms, unsigned versions)
{
	msgpack_packer pk;
	packer(&pk, out);
	size_t nl = strlen(name);
	if (nl > WIRE_NAME_MAX)
		nl = WIRE_NAME_MAX;
	msgpack_pack_array(&pk, 6);
	msgpack_pack_uint64(&pk, WIRE_HELLO);
	msgpack_pack_uint64(&pk, WIRE_VERSION);
	msgpack_pack_str_with_body(&pk, name, nl);
	if (n > WIRE_ENDPOINTS_MAX)
		n = WIRE_ENDPOINTS_MAX;
	msgpack_pack_array(&pk, n);
	for (unsigned i = 0; i < n; i++)
		msgpack_pack_str_with_body(&pk, endpoints[i], strlen(endpoints[i]));
	if (clock_ms)
		msgpack_pack_uint64(&pk, clock_ms);
	else
		msgpack_pack_nil(&pk);
	versions |= WIRE_RECON_V1;
	unsigned count = 0;
	for (unsigned v = 1; v <= 31; v++)
		count += (versions >> v) & 1;
	if (count > WIRE_RECON_LIST_MAX)
		count = WIRE_RECON_LIST_MAX;
	msgpack_pack_array(&pk, count);
	for (unsigned v = 1, k = 0; v <= 31 && k < count; v++)
		if ((versions >> v) & 1) {
			msgpack_pack_uint64(&pk, v);
			k++;
		}
}

unsigned wire_recon_pick(unsigned mine, unsigned theirs)
{
	unsigned both = (mine & theirs) | WIRE_RECON_V1;
	unsigned v = 31;
	while (v > 1 && !((both >> v) & 1))
		v--;
	return v;
}

void wire_recon(struct gl_buf *out, const uint8_t *ranges, size_t len)
{
	msgpack_packer pk;
	packer(&pk, out);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, WIRE_RECON);
	gl_buf_append(out, ranges, len);
}

void wire_items(struct gl_buf *out, unsigned type, const uint8_t (*items)[32], size_t n)
{
	msgpack_packer pk;
	packer(&pk, out);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, type);
	msgpack_pack_array(&pk, n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_bin_with_body(&pk, items[i], 32);
}

void wire_records_head(struct gl_buf *out, size_t n)
{
	msgpack_packer pk;
	packer(&pk, out);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, WIRE_RECORDS);
	msgpack_pack_array(&pk, n);
}

void wire_records_add(struct gl_buf *out, const uint8_t *env, size_t len)
{
	msgpack_packer pk;
	packer(&pk, out);
	msgpack_pack_bin_with_body(&pk, env, len);
}

void wire_ping(struct gl_buf *out, unsigned type, uint64_t nonce)
{
	msgpack_packer pk;
	packer(&pk, out);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, type);
	msgpack_pack_uint64(&pk, nonce);
}

void wire_bye(struct gl_buf *out, int64_t code, const char *reason)
{
	msgpack_packer pk;
	packer(&pk, out);
	size_t rl = strlen(reason);
	if (rl > WIRE_REASON_MAX)
		rl = WIRE_REASON_MAX;
	msgpack_pack_array(&pk, 3);
	msgpack_pack_uint64(&pk, WIRE_BYE);
	msgpack_pack_int64(&pk, code);
	msgpack_pack_str_with_body(&pk, reason, rl);
}
