#include "store/trust.h"

#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/clock.h"
#include "proto/ident.h"
#include "proto/mp.h"

const char *trust_verdict_name(enum trust_verdict v)
{
	switch (v) {
	case TRUST_OK: return "trusted";
	case TRUST_UNKNOWN: return "not endorsed by a trusted curator";
	case TRUST_REVOKED: return "revoked by a curator";
	case TRUST_EXPIRED: return "endorsement expired";
	}
	return "unknown";
}

void trust_key_id(const uint8_t key[32], char id[65])
{
	ident_hex(key, 32, id);
}

bool trust_is_curator(const struct trust_cfg *cfg, const uint8_t key[32])
{
	for (unsigned i = 0; i < cfg->ncurators; i++)
		if (!memcmp(cfg->curators[i], key, 32))
			return true;
	return false;
}

static bool in_list(uint8_t (*v)[32], unsigned n, const uint8_t key[32])
{
	for (unsigned i = 0; i < n; i++)
		if (!memcmp(v[i], key, 32))
			return true;
	return false;
}

/* Longer than any key (ed25519:…, 52 characters) or date the schema allows. */
#define STATEMENT_TEXT_MAX 80

/* The key named by field, if the statement has that field: *has says so.
 * GL_EFORMAT if it is there but no key. */
static int statement_key(const struct record *r, const char *field, uint8_t key[32], bool *has,
                         struct gl_error *err)
{
	const uint8_t *v;
	size_t vl;
	char text[STATEMENT_TEXT_MAX];
	*has = body_value(r->body, r->body_len, field, &v, &vl);
	if (*has && (!body_str_copy(r->body, r->body_len, field, text, sizeof text) ||
	             ident_parse(IDENT_PK_PREFIX, text, field, key, err)))
		return gl_errorf(err, GL_EFORMAT, "statement: bad %s", field);
	return 0;
}

/* The end of the until day (seconds UTC), if the statement has one. */
static int statement_until(const struct record *r, struct trust_statement *st,
                           struct gl_error *err)
{
	const uint8_t *v;
	size_t vl;
	char text[STATEMENT_TEXT_MAX];
	int64_t day;
	st->has_until = body_value(r->body, r->body_len, "until", &v, &vl);
	if (!st->has_until)
		return 0;
	if (!body_str_copy(r->body, r->body_len, "until", text, sizeof text) ||
	    clock_parse(text, &day))
		return gl_errorf(err, GL_EFORMAT, "statement: bad until");
	st->until_end = day + 86400;
	return 0;
}

int trust_parse_statement(const struct record *r, struct trust_statement *out,
                          struct gl_error *err)
{
	if ((r->kind != RK_ENDORSE && r->kind != RK_REVOKE) || !r->body)
		return gl_errorf(err, GL_EINVAL, "not an endorsement or revocation");
	struct trust_statement st;
	memset(&st, 0, sizeof st);
	bool have_key;
	int rc;
	if ((rc = statement_key(r, "key", st.key, &have_key, err)) ||
	    (rc = statement_key(r, "replaces", st.replaces, &st.has_replaces, err)) ||
	    (rc = statement_until(r, &st, err)))
		return rc;
	/* a name or reason that is not a string, or too long, is left empty */
	body_str_copy(r->body, r->body_len, "name", st.name, sizeof st.name);
	body_str_copy(r->body, r->body_len, "reason", st.reason, sizeof st.reason);
	if (!have_key)
		return gl_errorf(err, GL_EFORMAT, "statement without a key");
	char id[65];
	trust_key_id(st.key, id);
	if (r->id_len != 64 || memcmp(r->id, id, 64))
		return gl_errorf(err, GL_EFORMAT, "statement id is not the hex of its key");
	*out = st;
	return 0;
}

/* The live statement of kind by curator about id, if any. */
static int statement(struct store_txn *t, const uint8_t curator[32], int kind, const char *id,
                     struct store_entry *e, bool *found, struct gl_error *err)
{
	int rc = store_get(t, curator, kind, id, 64, e, NULL);
	*found = false;
	if (rc == GL_ENOTFOUND)
		return 0;
	if (rc)
		return gl_errorf(err, rc, "trust: cannot read statements");
	*found = !e->tombstone;
	return 0;
}

int trust_check(const struct trust_cfg *cfg, struct store_txn *t, const uint8_t author[32],
                uint64_t now, enum trust_verdict *out, struct gl_error *err)
{
	if (cfg->open || !memcmp(author, cfg->own, 32) || in_list(cfg->allow, cfg->nallow, author) ||
	    trust_is_curator(cfg, author)) {
		*out = TRUST_OK;
		return 0;
	}
	char id[65];
	trust_key_id(author, id);
	bool endorsed = false, revoked = false, expired = false;
	for (unsigned i = 0; i < cfg->ncurators; i++) {
		struct store_entry e, r;
		bool has_e, has_r;
		int rc;
		if ((rc = statement(t, cfg->curators[i], RK_REVOKE, id, &r, &has_r, err)))
			return rc;
		uint64_t r_issued = has_r ? r.issued : 0;
		if ((rc = statement(t, cfg->curators[i], RK_ENDORSE, id, &e, &has_e, err)))
			return rc;
		if (has_r && (!has_e || r_issued >= e.issued)) {
			revoked = true;
			continue;
		}
		if (!has_e)
			continue;
		struct record rec;
		struct trust_statement st;
		if (record_parse(e.env, e.env_len, &rec, NULL) || trust_parse_statement(&rec, &st, NULL))
			continue;
		if (st.has_until && (int64_t)now >= st.until_end)
			expired = true;
		else
			endorsed = true;
	}
	*out = revoked ? TRUST_REVOKED : endorsed ? TRUST_OK : expired ? TRUST_EXPIRED : TRUST_UNKNOWN;
	return 0;
}

int trust_cfg_save(const struct trust_cfg *cfg, struct store_txn *t, struct gl_error *err)
{
	struct gl_buf b = { 0 };
	mp_write_array(&b, 4);
	mp_write_bin(&b, cfg->own, 32);
	mp_write_array(&b, cfg->ncurators);
	for (unsigned i = 0; i < cfg->ncurators; i++)
		mp_write_bin(&b, cfg->curators[i], 32);
	mp_write_array(&b, cfg->nallow);
	for (unsigned i = 0; i < cfg->nallow; i++)
		mp_write_bin(&b, cfg->allow[i], 32);
	mp_write_bool(&b, cfg->open);
	int rc = store_meta_put(t, "trust", b.data, b.len, err);
	gl_buf_free(&b);
	return rc;
}

static int read_keys(struct mp_reader *r, uint8_t (**v)[32], unsigned *n)
{
	uint32_t count;
	if (mp_read_array(r, &count, NULL) || count > 4096)
		return GL_EFORMAT;
	*v = count ? gl_xcalloc(count, 32) : NULL;
	*n = count;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *p;
		uint32_t len;
		if (mp_read_bin(r, &p, &len, NULL) || len != 32)
			return GL_EFORMAT;
		memcpy((*v)[i], p, 32);
	}
	return 0;
}

int trust_cfg_load(struct store_txn *t, struct trust_cfg *out, struct gl_error *err)
{
	const void *val;
	size_t len;
	memset(out, 0, sizeof *out);
	if (store_meta_get(t, "trust", &val, &len))
		return GL_ENOTFOUND;
	struct mp_reader r;
	mp_reader_init(&r, val, len);
	uint32_t n;
	const uint8_t *p;
	uint32_t pl;
	struct mp_item b;
	if (mp_read_array(&r, &n, NULL) || n != 4 || mp_read_bin(&r, &p, &pl, NULL) || pl != 32)
		goto bad;
	memcpy(out->own, p, 32);
	if (read_keys(&r, &out->curators, &out->ncurators) || read_keys(&r, &out->allow, &out->nallow) ||
	    mp_next(&r, &b, NULL) || b.type != MP_BOOL)
		goto bad;
	out->open = b.v.b;
	return 0;
bad:
	trust_cfg_free(out);
	return gl_errorf(err, GL_ESTORE, "the store's trust settings are damaged");
}

void trust_cfg_free(struct trust_cfg *cfg)
{
	free(cfg->curators);
	free(cfg->allow);
	cfg->curators = cfg->allow = NULL;
	cfg->ncurators = cfg->nallow = 0;
}

int trust_retired_add(struct store_txn *t, const uint8_t key[32], struct gl_error *err)
{
	const void *val;
	size_t len = 0;
	if (store_meta_get(t, "retired", &val, &len) || len % 32)
		len = 0;
	if (trust_is_retired(t, key))
		return 0;
	if (len / 32 >= TRUST_RETIRED_MAX)
		return gl_errorf(err, GL_ELIMIT, "more than TRUST_RETIRED_MAX (%d) retired keys",
		                 TRUST_RETIRED_MAX);
	uint8_t *v = gl_xmalloc(len + 32);
	if (len)
		memcpy(v, val, len);
	memcpy(v + len, key, 32);
	int rc = store_meta_put(t, "retired", v, len + 32, err);
	free(v);
	return rc;
}

bool trust_is_retired(struct store_txn *t, const uint8_t key[32])
{
	const void *val;
	size_t len;
	if (store_meta_get(t, "retired", &val, &len) || len % 32)
		return false;
	for (size_t off = 0; off < len; off += 32)
		if (!memcmp((const uint8_t *)val + off, key, 32))
			return true;
	return false;
}
