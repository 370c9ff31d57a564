/*
 * rawput — put records into a node's store as an older node would have
 * taken them: signed with the node's own key, but not checked against
 * today's schemas, which refuse control characters in texts (issue 24).
 * The tests of what gilde prints and writes use it to hold records with
 * such texts, as a store filled before the schemas were tightened does.
 *
 *   rawput DATA_DIR FILE.json…
 *
 * Each FILE is a record as a person writes it (kind, id, fields).  Prints
 * {"records": N} and exits 0, or says what failed and exits 1.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "proto/ident.h"
#include "proto/record.h"
#include "schemas/jsonmp.h"
#include "store/store.h"

static int load_key(const char *dir, uint8_t sk[64])
{
	char path[4200], text[256] = "";
	snprintf(path, sizeof path, "%s/identity.key", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	text[strcspn(text, "\r\n")] = '\0';
	uint8_t seed[32], pk[32];
	if (ident_parse(IDENT_SK_PREFIX, text, "secret key", seed, NULL))
		return -1;
	crypto_sign_seed_keypair(pk, sk, seed);
	return 0;
}

/* Sign the record in file and put it in t. */
static int put_file(struct store_txn *t, const uint8_t sk[64], const char *file)
{
	json_error_t jerr;
	json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	const char *id = json_string_value(json_object_get(doc, "id"));
	static const char *const skip[] = { "kind", "id", NULL };
	struct gl_buf body = { 0 }, env = { 0 };
	struct gl_error err = { 0 };
	struct record r;
	enum store_outcome oc;
	uint64_t now = (uint64_t)time(NULL);
	int rc = -1;
	if (!doc || !kind || !id || jsonmp_pack(doc, skip, &body, &err))
		goto out;
	struct record_draft d = { .kind = record_kind_parse(kind, strlen(kind)), .id = id,
	                          .id_len = strlen(id), .version = now * 1000, .issued = now,
	                          .expires = now + 86400 * 30, .body = body.data,
	                          .body_len = body.len };
	if (record_sign(&d, sk, &env, &err) || record_parse(env.data, env.len, &r, &err) ||
	    store_put(t, &r, &oc, &err))
		goto out;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "rawput: %s: %s\n", file, err.msg[0] ? err.msg : "not a record");
	gl_buf_free(&env);
	gl_buf_free(&body);
	json_decref(doc);
	return rc;
}

int main(int argc, char **argv)
{
	uint8_t sk[64];
	char dir[4200];
	struct store *s = NULL;
	struct store_txn *t = NULL;
	struct gl_error err = { 0 };
	if (argc < 3 || sodium_init() < 0) {
		fprintf(stderr, "usage: rawput DATA_DIR FILE.json...\n");
		return 2;
	}
	snprintf(dir, sizeof dir, "%s/store", argv[1]);
	if (load_key(argv[1], sk) || store_open(dir, 0, 0, &s, &err) ||
	    store_begin(s, true, &t, &err)) {
		fprintf(stderr, "rawput: %s: %s\n", argv[1], err.msg[0] ? err.msg : "no key");
		store_close(s);
		return 1;
	}
	for (int i = 2; i < argc; i++)
		if (put_file(t, sk, argv[i])) {
			store_abort(t);
			store_close(s);
			return 1;
		}
	int rc = store_commit(t, &err);
	store_close(s);
	sodium_memzero(sk, sizeof sk);
	if (rc) {
		fprintf(stderr, "rawput: %s\n", err.msg);
		return 1;
	}
	printf("{\"records\": %d}\n", argc - 2);
	return 0;
}
