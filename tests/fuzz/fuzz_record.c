/*
 * Fuzz target: signed envelopes (proto/record.h).  The input is parsed as
 * one envelope (record_parse; if it parses, record_verify, record_cid,
 * record_item, and the schema check a receiver applies to the body,
 * doc_check_body, since any author can sign any body) and read as an
 * export file, a stream of envelopes (record_span), each span parsed too.
 */
#include "schemas/doc.h"
#include "fuzz.h"
#include "proto/record.h"

static const struct schema_set *schemas(void)
{
	static struct schema_set *set;
	struct gl_error err;
	if (!set && schema_set_load(&set, &err) != 0) {
		fprintf(stderr, "fuzz_record: %s\n", err.msg);
		abort();
	}
	return set;
}

static void one(const uint8_t *env, size_t len)
{
	struct record r;
	struct gl_error err;
	if (record_parse(env, len, &r, &err) != 0)
		return;
	const uint8_t *end = env + len;
	FZ_CHECK(r.env == env && r.env_len == len);
	FZ_CHECK(r.payload > env && r.payload + r.payload_len <= end);
	FZ_CHECK(r.sig > r.payload && r.sig + RECORD_SIG_LEN == end);
	FZ_CHECK(r.author > r.payload && r.author + RECORD_KEY_LEN <= r.sig);
	FZ_CHECK(record_kind_name(r.kind) != NULL);
	FZ_CHECK(record_id_valid(r.id, r.id_len));
	FZ_CHECK(r.version >= 1 && r.expires > r.issued);
	FZ_CHECK(!r.body || (r.body > r.payload && r.body + r.body_len <= r.sig));
	(void)record_verify(&r);
	uint8_t cid[RECORD_CID_LEN], item[RECORD_ITEM_LEN];
	record_cid(r.env, r.env_len, cid);
	record_item(&r, cid, item);
	if (r.body)
		(void)doc_check_body(schemas(), r.kind, r.id, r.id_len, r.body, r.body_len, &err);
	/* an envelope that parses is exactly one span of a stream */
	size_t span = 0;
	FZ_CHECK(record_span(env, len, &span, &err) == 0 && span == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	one(data, size);
	size_t off = 0;
	while (off < size) {
		size_t span = 0;
		struct gl_error err;
		if (record_span(data + off, size - off, &span, &err) != 0)
			break;
		FZ_CHECK(span > 0 && span <= size - off);
		if (span != size)
			one(data + off, span);
		off += span;
	}
	return 0;
}
