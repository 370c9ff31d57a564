#include "proto/record.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto/bounds.h"
#include "proto/mp.h"

const struct mp_limits record_body_limits = {
	.depth = GL_DEPTH_MAX,
	.str = GL_STRING_MAX,
	.array = GL_ARRAY_MAX,
	.map = GL_MAP_MAX,
	.values = GL_VALUES_MAX,
};

static const char *const kind_names[] = {
	[RK_PARTNER] = "partner", [RK_OFFER] = "offer",   [RK_EVENT] = "event",
	[RK_NEWS] = "news",       [RK_ENDORSE] = "endorse", [RK_REVOKE] = "revoke",
	[RK_NODE] = "node",       [RK_INSIGHT] = "insight",
};

const char *record_kind_name(int k)
{
	if (k < RK_FIRST || k > RK_LAST)
		return NULL;
	return kind_names[k];
}

int record_kind_parse(const char *name, size_t len)
{
	for (int k = RK_FIRST; k <= RK_LAST; k++)
		if (strlen(kind_names[k]) == len && memcmp(kind_names[k], name, len) == 0)
			return k;
	return 0;
}

bool record_id_valid(const char *id, size_t len)
{
	if (len < 1 || len > GL_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* The payload's last item, the body (a map or nil), into r; with held, a
 * body checked when it entered the store is not walked again. */
static int parse_body(struct record *r, struct mp_reader *rd, bool held, struct gl_error *err)
{
	int rc;
	if (mp_left(rd) >= 1 && rd->p[0] == 0xc0) {
		r->body = NULL;
		r->body_len = 0;
		rd->p++;
	} else if (held) {
		/* checked whole when it entered the store: the rest is the body
		 * (a fixmap, map16 or map32), not walked again */
		if (!mp_left(rd) || !((rd->p[0] & 0xf0) == 0x80 || rd->p[0] == 0xde || rd->p[0] == 0xdf))
			return gl_errorf(err, GL_EFORMAT, "body: expected a map or nil");
		r->body = rd->p;
		r->body_len = mp_left(rd);
		rd->p += r->body_len;
	} else {
		const uint8_t *start = rd->p;
		struct mp_reader peek = *rd;
		struct mp_item it;
		if ((rc = mp_next(&peek, &it, err)))
			return gl_error_prefix(err, rc, "body");
		if (it.type != MP_MAP)
			return gl_errorf(err, GL_EFORMAT, "body: expected a map or nil");
		/* the payload array and its first seven items are eight values;
		 * the body map, the eighth item, counts itself (PROTOCOL.md 2.5) */
		uint32_t values = 8;
		if ((rc = mp_check_value(rd, &record_body_limits, 1, &values, err)))
			return gl_error_prefix(err, rc, "body");
		r->body = start;
		r->body_len = (size_t)(rd->p - start);
	}
	if (mp_left(rd) != 0)
		return gl_errorf(err, GL_EFORMAT, "payload: %zu bytes after the last item",
		                 mp_left(rd));
	return 0;
}

static int parse_payload(struct record *r, bool held, struct gl_error *err)
{
	struct mp_reader rd;
	mp_reader_init(&rd, r->payload, r->payload_len);
	uint32_t n;
	uint64_t format;
	const uint8_t *p;
	uint32_t len;
	int rc;

	if ((rc = mp_read_array(&rd, &n, err)))
		return gl_error_prefix(err, rc, "payload");
	if (n != 8)
		return gl_errorf(err, GL_EFORMAT, "payload: array of %u items, expected 8", n);
	if ((rc = mp_read_uint(&rd, &format, err)))
		return gl_error_prefix(err, rc, "payload format");
	if (format != RECORD_FORMAT)
		return gl_errorf(err, GL_EFORMAT, "payload: format %llu, expected %d",
		                 (unsigned long long)format, RECORD_FORMAT);
	if ((rc = mp_read_bin(&rd, &p, &len, err)))
		return gl_error_prefix(err, rc, "author");
	if (len != RECORD_KEY_LEN)
		return gl_errorf(err, GL_EFORMAT, "author: %u bytes, expected %d", len,
		                 RECORD_KEY_LEN);
	r->author = p;
	if ((rc = mp_read_str(&rd, &p, &len, err)))
		return gl_error_prefix(err, rc, "kind");
	r->kind = record_kind_parse((const char *)p, len);
	if (!r->kind)
		return gl_errorf(err, GL_EFORMAT, "kind: unknown kind \"%.*s\"",
		                 (int)(len > 32 ? 32 : len), (const char *)p);
	if ((rc = mp_read_str(&rd, &p, &len, err)))
		return gl_error_prefix(err, rc, "id");
	if (!record_id_valid((const char *)p, len))
		return gl_errorf(err, GL_EFORMAT,
		                 "id: \"%.*s\" is not 1 to %u characters of a-z, 0-9, "
		                 "'.', '_', '-' starting with a letter or digit",
		                 (int)(len > 80 ? 80 : len), (const char *)p, GL_ID_MAX);
	r->id = (const char *)p;
	r->id_len = len;
	if ((rc = mp_read_uint(&rd, &r->version, err)))
		return gl_error_prefix(err, rc, "version");
	if ((rc = mp_read_uint(&rd, &r->issued, err)))
		return gl_error_prefix(err, rc, "issued");
	if ((rc = mp_read_uint(&rd, &r->expires, err)))
		return gl_error_prefix(err, rc, "expires");
	if (r->version == 0)
		return gl_errorf(err, GL_EFORMAT, "version: must be at least 1");
	if (r->expires <= r->issued)
		return gl_errorf(err, GL_EFORMAT, "expires: not after issued");

	return parse_body(r, &rd, held, err);
}

static int parse_envelope(const uint8_t *env, size_t len, bool held, struct record *out,
                          struct gl_error *err)
{
	if (len > GL_RECORD_MAX)
		return gl_errorf(err, GL_ELIMIT, "record of %zu bytes over the %u-byte limit",
		                 len, GL_RECORD_MAX);
	struct record r = { .env = env, .env_len = len };
	struct mp_reader rd;
	mp_reader_init(&rd, env, len);
	uint32_t n, plen, slen;
	const uint8_t *p;
	int rc;

	if ((rc = mp_read_array(&rd, &n, err)))
		return gl_error_prefix(err, rc, "envelope");
	if (n != 2)
		return gl_errorf(err, GL_EFORMAT, "envelope: array of %u items, expected 2", n);
	if ((rc = mp_read_bin(&rd, &p, &plen, err)))
		return gl_error_prefix(err, rc, "envelope payload");
	r.payload = p;
	r.payload_len = plen;
	if ((rc = mp_read_bin(&rd, &p, &slen, err)))
		return gl_error_prefix(err, rc, "envelope signature");
	if (slen != RECORD_SIG_LEN)
		return gl_errorf(err, GL_EFORMAT, "signature: %u bytes, expected %d", slen,
		                 RECORD_SIG_LEN);
	r.sig = p;
	if (mp_left(&rd) != 0)
		return gl_errorf(err, GL_EFORMAT, "envelope: %zu bytes after the signature",
		                 mp_left(&rd));
	if ((rc = parse_payload(&r, held, err)))
		return rc;
	*out = r;
	return 0;
}

int record_parse(const uint8_t *env, size_t len, struct record *out, struct gl_error *err)
{
	return parse_envelope(env, len, false, out, err);
}

int record_parse_held(const uint8_t *env, size_t len, struct record *out,
                      struct gl_error *err)
{
	return parse_envelope(env, len, true, out, err);
}

int record_span(const uint8_t *buf, size_t len, size_t *span, struct gl_error *err)
{
	struct mp_reader rd;
	/* never look further than one record can be */
	mp_reader_init(&rd, buf, len < GL_RECORD_MAX ? len : GL_RECORD_MAX);
	uint32_t n, blen;
	const uint8_t *p;
	int rc;
	if ((rc = mp_read_array(&rd, &n, err)) || (n != 2 && (rc = gl_errorf(err, GL_EFORMAT,
	                                                      "envelope: array of %u items, expected 2", n))) ||
	    (rc = mp_read_bin(&rd, &p, &blen, err)) || (rc = mp_read_bin(&rd, &p, &blen, err))) {
		if (rc == GL_ETRUNC && len >= GL_RECORD_MAX)
			rc = gl_errorf(err, GL_ELIMIT, "record over the %u-byte limit", GL_RECORD_MAX);
		return rc;
	}
	*span = (size_t)(rd.p - buf);
	return 0;
}

int record_peek_key(const uint8_t *env, size_t len, struct record_key *out)
{
	struct gl_error err = { 0 };
	struct mp_reader rd, pl;
	uint32_t n, plen, klen;
	const uint8_t *payload, *author, *kind, *id;
	uint64_t format;
	mp_reader_init(&rd, env, len);
	if (mp_read_array(&rd, &n, &err) || n != 2 || mp_read_bin(&rd, &payload, &plen, &err))
		return GL_EFORMAT;
	mp_reader_init(&pl, payload, plen);
	if (mp_read_array(&pl, &n, &err) || n != 8 || mp_read_uint(&pl, &format, &err) ||
	    mp_read_bin(&pl, &author, &klen, &err) || klen != RECORD_KEY_LEN ||
	    mp_read_str(&pl, &kind, &klen, &err))
		return GL_EFORMAT;
	int k = record_kind_parse((const char *)kind, klen);
	if (!k || mp_read_str(&pl, &id, &klen, &err))
		return GL_EFORMAT;
	*out = (struct record_key){ .author = author, .kind = k, .id = (const char *)id,
	                            .id_len = klen };
	return 0;
}

int record_key_cmp(const struct record_key *a, const struct record_key *b)
{
	int c = memcmp(a->author, b->author, RECORD_KEY_LEN);
	if (c)
		return c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	c = memcmp(a->id, b->id, a->id_len < b->id_len ? a->id_len : b->id_len);
	if (c)
		return c;
	return (a->id_len > b->id_len) - (a->id_len < b->id_len);
}

int record_verify(const struct record *r)
{
	size_t mlen = RECORD_SIG_CONTEXT_LEN + r->payload_len;
	uint8_t *m = gl_xmalloc(mlen);
	memcpy(m, RECORD_SIG_CONTEXT, RECORD_SIG_CONTEXT_LEN);
	memcpy(m + RECORD_SIG_CONTEXT_LEN, r->payload, r->payload_len);
	int ok = crypto_sign_verify_detached(r->sig, m, mlen, r->author);
	free(m);
	return ok == 0 ? 0 : GL_ESIG;
}

int record_open(const uint8_t *env, size_t len, struct record *out,
                struct gl_error *err)
{
	struct record r;
	int rc = record_parse(env, len, &r, err);
	if (rc)
		return rc;
	if (record_verify(&r))
		return gl_errorf(err, GL_ESIG, "signature does not verify for %s/%.*s",
		                 record_kind_name(r.kind), (int)r.id_len, r.id);
	*out = r;
	return 0;
}

void record_cid(const uint8_t *env, size_t len, uint8_t cid[RECORD_CID_LEN])
{
	crypto_generichash(cid, RECORD_CID_LEN, env, len, NULL, 0);
}

void record_keyhash(const uint8_t author[RECORD_KEY_LEN], int kind,
                    const char *id, size_t id_len,
                    uint8_t out[RECORD_KEYHASH_LEN])
{
	const char *kn = record_kind_name(kind);
	uint8_t kl = (uint8_t)strlen(kn), il = (uint8_t)id_len;
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, RECORD_KEYHASH_LEN);
	crypto_generichash_update(&st, author, RECORD_KEY_LEN);
	crypto_generichash_update(&st, &kl, 1);
	crypto_generichash_update(&st, (const uint8_t *)kn, kl);
	crypto_generichash_update(&st, &il, 1);
	crypto_generichash_update(&st, (const uint8_t *)id, id_len);
	crypto_generichash_final(&st, out, RECORD_KEYHASH_LEN);
}

void record_item_of(const uint8_t author[RECORD_KEY_LEN], int kind, const char *id,
                    size_t id_len, uint64_t version, const uint8_t cid[RECORD_CID_LEN],
                    uint8_t item[RECORD_ITEM_LEN])
{
	record_keyhash(author, kind, id, id_len, item);
	for (int i = 0; i < 8; i++)
		item[RECORD_KEYHASH_LEN + i] = (uint8_t)(version >> (56 - 8 * i));
	memcpy(item + RECORD_KEYHASH_LEN + 8, cid, RECORD_ITEM_LEN - RECORD_KEYHASH_LEN - 8);
}

void record_item(const struct record *r, const uint8_t cid[RECORD_CID_LEN],
                 uint8_t item[RECORD_ITEM_LEN])
{
	record_item_of(r->author, r->kind, r->id, r->id_len, r->version, cid, item);
}

bool record_wins(uint64_t va, const uint8_t ca[RECORD_CID_LEN], uint64_t vb,
                 const uint8_t cb[RECORD_CID_LEN])
{
	if (va != vb)
		return va > vb;
	return memcmp(ca, cb, RECORD_CID_LEN) > 0;
}

static int sbuf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

int record_sign(const struct record_draft *d, const uint8_t sk[64],
                struct gl_buf *out, struct gl_error *err)
{
	const char *kn = record_kind_name(d->kind);
	if (!kn)
		return gl_errorf(err, GL_EINVAL, "unknown kind %d", d->kind);
	if (!record_id_valid(d->id, d->id_len))
		return gl_errorf(err, GL_EFORMAT,
		                 "id: \"%.*s\" is not 1 to %u characters of a-z, 0-9, "
		                 "'.', '_', '-' starting with a letter or digit",
		                 (int)(d->id_len > 80 ? 80 : d->id_len), d->id, GL_ID_MAX);
	if (d->body_len > GL_RECORD_MAX)
		return gl_errorf(err, GL_ELIMIT, "body of %zu bytes over the %u-byte limit",
		                 d->body_len, GL_RECORD_MAX);

	struct gl_buf payload = { 0 };
	msgpack_packer pk;
	msgpack_packer_init(&pk, &payload, sbuf_write);
	msgpack_pack_array(&pk, 8);
	msgpack_pack_uint64(&pk, RECORD_FORMAT);
	msgpack_pack_bin_with_body(&pk, sk + 32, RECORD_KEY_LEN);
	msgpack_pack_str_with_body(&pk, kn, strlen(kn));
	msgpack_pack_str_with_body(&pk, d->id, d->id_len);
	msgpack_pack_uint64(&pk, d->version);
	msgpack_pack_uint64(&pk, d->issued);
	msgpack_pack_uint64(&pk, d->expires);
	if (d->body)
		gl_buf_append(&payload, d->body, d->body_len);
	else
		msgpack_pack_nil(&pk);

	uint8_t sig[RECORD_SIG_LEN];
	size_t mlen = RECORD_SIG_CONTEXT_LEN + payload.len;
	uint8_t *m = gl_xmalloc(mlen);
	memcpy(m, RECORD_SIG_CONTEXT, RECORD_SIG_CONTEXT_LEN);
	memcpy(m + RECORD_SIG_CONTEXT_LEN, payload.data, payload.len);
	crypto_sign_detached(sig, NULL, m, mlen, sk);
	free(m);

	size_t start = out->len;
	msgpack_packer_init(&pk, out, sbuf_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_bin_with_body(&pk, payload.data, payload.len);
	msgpack_pack_bin_with_body(&pk, sig, sizeof sig);
	gl_buf_free(&payload);

	struct record chk;
	int rc = record_parse(out->data + start, out->len - start, &chk, err);
	if (rc)
		out->len = start;
	return rc;
}
