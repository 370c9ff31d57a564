/*
 * What a node does to a received record besides verifying its signature,
 * per record and on one core, next to the verification itself (the physical
 * limit of ingest): reading the envelope (record_parse), checking the body
 * against its kind's schema (doc_check_body), the content id and item
 * (BLAKE2b), and crypto_sign_verify_detached.  Records are the example
 * records of every kind in schemas/examples, signed once at start.
 *
 * usage: bench_check EXAMPLES_DIR [SECONDS]
 */
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schemas/doc.h"
#include "proto/record.h"
#include "timing.h"

#define MAXREC 256

static struct gl_buf envs[MAXREC];
static size_t nrec;
static double seconds = 1.0;

static int load(const struct schema_set *set, const char *dir, const uint8_t sk[64])
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d)) && nrec < MAXREC) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		char text[65536];
		size_t len = fread(text, 1, sizeof text, f);
		fclose(f);
		struct doc doc;
		struct gl_error err;
		if (doc_parse(set, text, len, path, &doc, &err))
			continue; /* profiles and other documents that are not records */
		struct record_draft dr = {
			.kind = doc.kind, .id = doc.id, .id_len = strlen(doc.id), .version = 1,
			.issued = 1700000000, .expires = 4000000000u,
			.body = doc.body.data, .body_len = doc.body.len,
		};
		if (record_sign(&dr, sk, &envs[nrec], &err) == 0)
			nrec++;
		doc_free(&doc);
	}
	closedir(d);
	return nrec ? 0 : -1;
}

/* Calls of step over every record, round and round, for `seconds`: ns per call. */
static double measure(int (*step)(const struct schema_set *, const struct record *),
                      const struct schema_set *set, const struct record *recs)
{
	unsigned long long calls = 0;
	double t0 = now_s(), end = t0 + seconds;
	while (now_s() < end)
		for (size_t i = 0; i < nrec; i++, calls++)
			if (step(set, &recs[i]))
				abort();
	return (now_s() - t0) * 1e9 / (double)calls;
}

static int step_parse(const struct schema_set *set, const struct record *r)
{
	(void)set;
	struct record out;
	return record_parse(r->env, r->env_len, &out, NULL);
}

static int step_schema(const struct schema_set *set, const struct record *r)
{
	return doc_check_body(set, r->kind, r->id, r->id_len, r->body, r->body_len, NULL);
}

static int step_hash(const struct schema_set *set, const struct record *r)
{
	(void)set;
	uint8_t cid[RECORD_CID_LEN], item[RECORD_ITEM_LEN];
	record_cid(r->env, r->env_len, cid);
	record_item(r, cid, item);
	return 0;
}

static int step_verify(const struct schema_set *set, const struct record *r)
{
	(void)set;
	return record_verify(r);
}

int main(int argc, char **argv)
{
	if (argc < 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: bench_check EXAMPLES_DIR [SECONDS]\n");
		return 2;
	}
	if (argc > 2)
		seconds = atof(argv[2]);
	struct schema_set *set;
	struct gl_error err;
	if (schema_set_load(&set, &err)) {
		fprintf(stderr, "bench_check: %s\n", err.msg);
		return 1;
	}
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	if (load(set, argv[1], sk)) {
		fprintf(stderr, "bench_check: no example records in %s\n", argv[1]);
		return 1;
	}
	static struct record recs[MAXREC];
	size_t bytes = 0;
	for (size_t i = 0; i < nrec; i++) {
		if (record_parse(envs[i].data, envs[i].len, &recs[i], &err))
			return 1;
		bytes += envs[i].len;
	}
	double verify = measure(step_verify, set, recs);
	struct {
		const char *name;
		int (*step)(const struct schema_set *, const struct record *);
	} steps[] = {
		{ "record_parse (envelope)", step_parse },
		{ "doc_check_body (schema)", step_schema },
		{ "content id and item (BLAKE2b)", step_hash },
	};
	printf("%zu example records, %zu bytes on average, one core\n", nrec, bytes / nrec);
	printf("%-32s %8.2f us  (the limit)\n", "crypto_sign_verify_detached", verify / 1000);
	double sum = 0;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		double ns = measure(steps[i].step, set, recs);
		sum += ns;
		printf("%-32s %8.2f us  %.3f x the verification\n", steps[i].name, ns / 1000,
		       ns / verify);
	}
	printf("%-32s %8.2f us  %.3f x the verification\n", "all checks but the signature",
	       sum / 1000, sum / verify);
	for (size_t i = 0; i < nrec; i++)
		gl_buf_free(&envs[i]);
	schema_set_free(set);
	return 0;
}
