/*
 * Unit test: the worked examples in proto/PROTOCOL.md are what this code
 * produces.  Each example value in the document sits in a fenced block
 * after a marker line "<!-- hex:NAME -->"; the test recomputes every value
 * from the inputs the document states and compares.
 */
#include "testutil.h"

#include <ctype.h>

#include "ident.h"
#include "jsonmp.h"

static char *doc;

/* The hex after marker NAME, whitespace removed; NULL if absent. */
static char *doc_hex(const char *name)
{
	char marker[64];
	snprintf(marker, sizeof marker, "<!-- hex:%s -->", name);
	const char *m = strstr(doc, marker);
	if (!m)
		return NULL;
	const char *open = strstr(m, "```");
	if (!open)
		return NULL;
	open = strchr(open, '\n');
	const char *close = open ? strstr(open + 1, "```") : NULL;
	if (!close)
		return NULL;
	char *out = gl_xmalloc((size_t)(close - open) + 1);
	size_t n = 0;
	for (const char *p = open; p < close; p++)
		if (isxdigit((unsigned char)*p))
			out[n++] = *p;
	out[n] = '\0';
	return out;
}

static void expect_hex(const char *name, const uint8_t *p, size_t n)
{
	char *want = doc_hex(name);
	char *got = gl_xmalloc(2 * n + 1);
	ident_hex(p, n, got);
	if (!want)
		fail_msg("PROTOCOL.md has no <!-- hex:%s --> block; it should be:\n%s", name, got);
	if (strcmp(want, got) != 0)
		fail_msg("PROTOCOL.md hex:%s differs from the code:\ndoc:  %s\ncode: %s", name, want, got);
	free(want);
	free(got);
}

static const char example_body[] =
	"{\"name\": {\"nl\": \"Voorbeeld\", \"en\": \"Example\"}, "
	"\"description\": {\"nl\": \"Een voorbeeldpartner.\", \"en\": \"An example partner.\"}, "
	"\"url\": \"https://example.org/\", \"org_type\": \"other\"}";

static void test_record_example(void **state)
{
	(void)state;
	uint8_t seed[32], pk[32], sk[64];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	crypto_sign_seed_keypair(pk, sk, seed);
	expect_hex("seed", seed, 32);
	expect_hex("author", pk, 32);
	char text[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, pk, text);
	if (!strstr(doc, text))
		fail_msg("PROTOCOL.md should show the author as %s", text);

	json_t *j = json_loads(example_body, 0, NULL);
	assert_non_null(j);
	struct gl_buf body = { 0 }, env = { 0 };
	assert_int_equal(jsonmp_pack(j, NULL, &body, NULL), 0);
	json_decref(j);
	expect_hex("body", body.data, body.len);

	struct record_draft d = { .kind = RK_PARTNER, .id = "example", .id_len = 7,
	                          .version = 1700000000000ull, .issued = 1700000000,
	                          .expires = 1731536000, .body = body.data, .body_len = body.len };
	assert_int_equal(record_sign(&d, sk, &env, NULL), 0);
	struct record r;
	assert_int_equal(record_open(env.data, env.len, &r, NULL), 0);
	expect_hex("payload", r.payload, r.payload_len);
	expect_hex("signature", r.sig, 64);
	expect_hex("envelope", env.data, env.len);
	uint8_t cid[32], kh[16], item[32];
	record_cid(env.data, env.len, cid);
	expect_hex("content-id", cid, 32);
	record_keyhash(pk, RK_PARTNER, "example", 7, kh);
	expect_hex("keyhash", kh, 16);
	record_item(&r, cid, item);
	expect_hex("item", item, 32);

	/* and the envelope as printed in the document verifies on its own */
	char *hex = doc_hex("envelope");
	size_t n = strlen(hex) / 2;
	uint8_t *bytes = gl_xmalloc(n);
	assert_int_equal(ident_unhex(hex, bytes, n), 0);
	assert_int_equal(record_open(bytes, n, &r, NULL), 0);
	free(bytes);
	free(hex);

	/* a tombstone for the same key, one version later */
	struct record_draft t = { .kind = RK_PARTNER, .id = "example", .id_len = 7,
	                          .version = 1700000000001ull, .issued = 1700000001,
	                          .expires = 1715552001 };
	struct gl_buf tenv = { 0 };
	assert_int_equal(record_sign(&t, sk, &tenv, NULL), 0);
	expect_hex("tombstone", tenv.data, tenv.len);
	gl_buf_free(&tenv);
	gl_buf_free(&body);
	gl_buf_free(&env);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *path = tu_source_path("proto/PROTOCOL.md");
	doc = tu_read(path, NULL);
	if (!doc) {
		fprintf(stderr, "cannot read %s\n", path);
		return 1;
	}
	free(path);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_example),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(doc);
	return rc;
}
