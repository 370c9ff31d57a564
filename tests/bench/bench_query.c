/*
 * Benchmark (issue "for starters", item 7): `gilde match` and `gilde
 * search` over a generated directory of 100,000 offers, as whole
 * processes (median of several runs), next to a raw LMDB scan of the same
 * store measured in the same run: a cursor walk that reads every offer's
 * value and does nothing with it.
 *
 * usage: bench_query GILDE [N]
 */
#include <msgpack.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "proto/record.h"
#include "store/store.h"
#include "timing.h"

extern char **environ;

static const char *const needs[] = { "administration", "legal", "legal-ip", "financing",
	"financing-loan", "financing-grant", "financing-equity", "location", "location-office",
	"coaching", "networking", "talent", "research-valorisation", "internationalisation" };
static const char *const phases[] = { "idea", "prestart", "start", "restart", "growth" };
static const char *const sectors[] = { "biotech", "cleantech", "healthtech", "digital",
	"agrofood", "photonics", "creative", "retail" };
static const char *const words_nl[] = { "financiering", "lening", "begeleiding", "advies",
	"starters", "kantoor", "netwerk", "subsidie", "innovatie", "onderzoek", "coaching",
	"ondernemers", "workshop", "programma" };
static const char *const words_en[] = { "funding", "loan", "guidance", "advice", "starters",
	"office", "network", "grant", "innovation", "research", "coaching", "entrepreneurs",
	"workshop", "programme" };

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static void str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void langmap(msgpack_packer *pk, const char *nl, const char *en)
{
	msgpack_pack_map(pk, 2);
	str(pk, "nl");
	str(pk, nl);
	str(pk, "en");
	str(pk, en);
}

static void pick_array(msgpack_packer *pk, const char *const *v, unsigned n, unsigned k, unsigned seed)
{
	msgpack_pack_array(pk, k);
	for (unsigned i = 0; i < k; i++)
		str(pk, v[(seed + i * 7) % n]);
}

static void offer_body(struct gl_buf *b, unsigned i)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, b, buf_write);
	char nl[200], en[200], dnl[400], den[400];
	unsigned w = i % 14, x = (i / 14) % 14;
	snprintf(nl, sizeof nl, "%s en %s %u", words_nl[w], words_nl[x], i);
	snprintf(en, sizeof en, "%s and %s %u", words_en[w], words_en[x], i);
	snprintf(dnl, sizeof dnl, "Een aanbod voor %s met %s en %s.", words_nl[(i / 3) % 14],
	         words_nl[(i / 5) % 14], words_nl[(i / 11) % 14]);
	snprintf(den, sizeof den, "An offer for %s with %s and %s.", words_en[(i / 3) % 14],
	         words_en[(i / 5) % 14], words_en[(i / 11) % 14]);
	bool elig = i % 3 != 0;
	msgpack_pack_map(&pk, elig ? 6 : 5);
	str(&pk, "name");
	langmap(&pk, nl, en);
	str(&pk, "description");
	langmap(&pk, dnl, den);
	str(&pk, "url");
	str(&pk, "https://example.org/");
	str(&pk, "needs");
	pick_array(&pk, needs, 14, 1 + i % 3, i);
	str(&pk, "languages");
	pick_array(&pk, (const char *const[]){ "nl", "en" }, 2, 1 + i % 2, i);
	if (elig) {
		str(&pk, "eligibility");
		msgpack_pack_map(&pk, 2);
		str(&pk, "phases");
		pick_array(&pk, phases, 5, 1 + i % 4, i);
		str(&pk, "sectors");
		pick_array(&pk, sectors, 8, 1 + i % 3, i / 2);
	}
}

static int generate(const char *dir, unsigned n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/store", dir);
	struct store *s;
	struct gl_error err = { 0 };
	if (store_open(path, 0, 4ull << 30, &s, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	uint8_t pk[32], sk[64 * 100], seed[32];
	for (unsigned a = 0; a < 100; a++) {
		memset(seed, (int)a + 1, sizeof seed);
		crypto_sign_seed_keypair(pk, sk + 64 * a, seed);
	}
	uint64_t now = clock_now();
	struct store_txn *t = NULL;
	for (unsigned i = 0; i < n; i++) {
		if (i % 1000 == 0) {
			if (t && store_commit(t, &err))
				goto fail;
			if (store_begin(s, true, &t, &err))
				goto fail;
		}
		struct gl_buf body = { 0 }, env = { 0 };
		char id[32];
		snprintf(id, sizeof id, "offer-%u", i);
		offer_body(&body, i);
		struct record_draft d = { .kind = RK_OFFER, .id = id, .id_len = strlen(id), .version = 1,
		                          .issued = now, .expires = now + 86400 * 30, .body = body.data,
		                          .body_len = body.len };
		struct record r;
		enum store_outcome oc;
		if (record_sign(&d, sk + 64 * (i % 100), &env, &err) ||
		    record_parse(env.data, env.len, &r, &err) || store_put(t, &r, &oc, &err))
			goto fail;
		gl_buf_free(&body);
		gl_buf_free(&env);
	}
	if (store_commit(t, &err))
		goto fail;
	store_close(s);
	return 0;
fail:
	fprintf(stderr, "generate: %s\n", err.msg);
	return -1;
}

static int visit(void *ctx, const struct store_entry *e)
{
	*(size_t *)ctx += e->env_len;
	return 0;
}

static double raw_scan(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/store", dir);
	struct store *s;
	struct store_txn *t;
	if (store_open(path, STORE_RDONLY, 0, &s, NULL) || store_begin(s, false, &t, NULL))
		return -1;
	size_t bytes = 0;
	struct store_filter f = { .kind = RK_OFFER };
	double t0 = now_s();
	store_scan(t, &f, visit, &bytes, NULL);
	double dt = now_s() - t0;
	store_abort(t);
	store_close(s);
	return dt;
}

static double run_cmd(char *const argv[])
{
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1 /* O_WRONLY */, 0);
	double t0 = now_s();
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		return -1;
	int st;
	waitpid(pid, &st, 0);
	double dt = now_s() - t0;
	posix_spawn_file_actions_destroy(&fa);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? dt : -1;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double (*fn)(void *), void *arg, int runs)
{
	double v[16];
	for (int i = 0; i < runs; i++)
		v[i] = fn(arg);
	qsort(v, (size_t)runs, sizeof v[0], cmp_d);
	return v[runs / 2];
}

static double scan_fn(void *arg)
{
	return raw_scan(arg);
}

static double cmd_fn(void *arg)
{
	return run_cmd(arg);
}

int main(int argc, char **argv)
{
	if (argc < 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: bench_query GILDE [N]\n");
		return 2;
	}
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 100000;
	char dir[] = "/tmp/gilde-bench-query-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	double t0 = now_s();
	if (generate(dir, n))
		return 1;
	printf("generated %u offers (signed, stored and indexed) in %.1f s\n", n, now_s() - t0);
	char prof[4200];
	snprintf(prof, sizeof prof, "%s/profile.json", dir);
	FILE *f = fopen(prof, "w");
	fprintf(f, "{\"phase\": \"start\", \"sectors\": [\"digital\"], \"needs\": [\"administration\", "
	           "\"financing\", \"location\", \"coaching\"], \"lang\": \"nl\"}\n");
	fclose(f);
	char *match[] = { argv[1], "match", "--data", dir, "--profile", prof, NULL };
	char *search1[] = { argv[1], "search", "--data", dir, "financieringen", NULL };
	char *search2[] = { argv[1], "search", "--data", dir, "kantoor", "netwerk", "--limit", "20", NULL };
	double scan = median(scan_fn, dir, 7);
	double m = median(cmd_fn, match, 7);
	double s1 = median(cmd_fn, search1, 7);
	double s2 = median(cmd_fn, search2, 7);
	char *id[] = { argv[1], "id", "--data", dir, NULL };
	(void)id;
	printf("raw LMDB scan of the %u offers (cursor walk, values read): %8.1f ms\n", n, scan * 1e3);
	printf("%-44s %8.1f ms   %6.1f x the raw scan\n", "gilde match (whole process, 4 needs)", m * 1e3,
	       m / scan);
	printf("%-44s %8.1f ms   %6.1f x the raw scan\n", "gilde search financieringen (whole process)",
	       s1 * 1e3, s1 / scan);
	printf("%-44s %8.1f ms   %6.1f x the raw scan\n", "gilde search kantoor netwerk --limit 20",
	       s2 * 1e3, s2 / scan);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
