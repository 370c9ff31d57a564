/*
 * Fuzz target: a record as a person writes it (schemas/doc.h).  doc_parse
 * of the input as JSON text with the embedded schema set (loaded once).
 * A document it accepts must pass what a receiver checks: the body's
 * schema check (doc_check_body) and, signed, record_parse (record_sign
 * runs it), unless the envelope is over the size limit.
 */
#include "schemas/doc.h"
#include "fuzz.h"
#include "proto/record.h"

static const struct schema_set *schemas(void)
{
	static struct schema_set *set;
	struct gl_error err;
	if (!set && schema_set_load(&set, &err) != 0) {
		fprintf(stderr, "fuzz_doc: %s\n", err.msg);
		abort();
	}
	return set;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	static uint8_t pk[32], sk[64];
	static int have_key;
	if (!have_key) {
		fz_keypair(FZ_SEED_AUTHOR, pk, sk);
		have_key = 1;
	}
	struct doc d;
	struct gl_error err;
	int rc = doc_parse(schemas(), (const char *)data, size, "fuzz.json", &d, &err);
	if (rc != 0) {
		FZ_CHECK(rc == GL_EJSON || rc == GL_ESCHEMA || rc == GL_ELIMIT);
		FZ_CHECK(err.code == rc && err.msg[0] != '\0');
		return 0;
	}
	size_t id_len = strlen(d.id);
	FZ_CHECK(record_id_valid(d.id, id_len));
	rc = doc_check_body(schemas(), d.kind, d.id, id_len, d.body.data, d.body.len, &err);
	if (rc != 0) {
		fprintf(stderr, "fuzz_doc: accepted, then refused: %s\n", err.msg);
		FZ_CHECK(rc == 0);
	}
	struct record_draft dr = {
		.kind = d.kind, .id = d.id, .id_len = id_len, .version = 1,
		.issued = 1700000000, .expires = 1700000000 + 365 * 86400,
		.body = d.body.data, .body_len = d.body.len,
	};
	struct gl_buf env = { 0 };
	rc = record_sign(&dr, sk, &env, &err);
	if (rc != 0 && rc != GL_ELIMIT) {
		fprintf(stderr, "fuzz_doc: accepted, then not signable: %s\n", err.msg);
		FZ_CHECK(rc == 0);
	}
	gl_buf_free(&env);
	doc_free(&d);
	return 0;
}
