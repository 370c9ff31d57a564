/*
 * Benchmark (issues 5 and 22): `gilde match`, `gilde search` and `gilde
 * list` over a generated directory of 100,000 offers, as whole processes
 * (median of several runs), next to a raw LMDB scan of the same store
 * measured in the same run: a cursor walk that reads every offer's value
 * and does nothing with it.  Each figure is CPU time (user + system, of
 * the child process; of the scan's thread), which a busy machine
 * disturbs far less than wall time; wall time is printed beside it.
 *
 * The store is written as gilded writes it, with the table of the offers'
 * facts (query/match_facts.c); `gilde match` is timed reading that table,
 * then its packed copy as gilded makes it when its writer is idle
 * (store/derived.h, daemon/writer.c: pack), and, after a writer without it has
 * made the table unreadable, reading the offers' bodies.  The same match is also timed in this process as
 * gilded's web server runs it (match_run() with the copy of the table it
 * keeps between requests, query/match.h: struct match_cache): the CPU
 * time of one match once the copy is made.
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

#include <sys/resource.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "proto/record.h"
#include "query/match.h"
#include "query/todo.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
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

/* Open the store for writing, with the offers' facts (derive) or without. */
static int open_store(const char *dir, const struct store_derive *derive, struct store **s,
                      struct gl_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/store", dir);
	struct store_options o = { .map_size = 4ull << 30, .derive = derive };
	return store_open_with(path, &o, s, err);
}

/* Pack the facts as gilded does when its writer is idle (daemon/writer.c: pack). */
static int pack(const char *dir, const struct store_derive *derive)
{
	struct store *s;
	struct store_txn *t;
	struct gl_error err = { 0 };
	bool wrote = false;
	int rc = open_store(dir, derive, &s, &err);
	if (rc == 0 && (rc = store_begin(s, true, &t, &err)) == 0) {
		if ((rc = store_derived_pack(t, &wrote, &err)) == 0)
			rc = store_commit(t, &err);
		else
			store_abort(t);
	}
	if (rc == 0)
		store_close(s);
	if (rc || !wrote)
		fprintf(stderr, "pack: %s\n", rc ? err.msg : "nothing packed");
	return rc || !wrote ? -1 : 0;
}

static int generate(const char *dir, unsigned n, const struct store_derive *derive)
{
	struct store *s;
	struct gl_error err = { 0 };
	if (open_store(dir, derive, &s, &err)) {
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

/* Reads one byte in every 64 of the envelope: every cache line of the value. */
static int visit_bytes(void *ctx, const struct store_entry *e)
{
	size_t sum = 0;
	for (size_t i = 0; i < e->env_len; i += 64)
		sum += e->env[i];
	*(size_t *)ctx += sum;
	return 0;
}

/* The CPU time of a walk over the offers in a store opened anew (so that,
 * like a gilde process, it maps the file's pages it touches): by the kinds
 * index (what store_scan does for one kind: a cursor step and a lookup per
 * offer), or (raw) a cursor over the records table reading every value. */
static double walk(const char *dir, bool raw)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/store", dir);
	struct store *s;
	struct store_txn *t;
	if (store_open(path, STORE_RDONLY, 0, &s, NULL) || store_begin(s, false, &t, NULL))
		return -1;
	size_t bytes = 0;
	struct store_filter f = { .kind = raw ? 0 : RK_OFFER };
	struct timespec a, b;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	store_scan(t, &f, raw ? visit_bytes : visit, &bytes, NULL);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	double dt = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	store_abort(t);
	store_close(s);
	return dt;
}

/* The wall time of the last run_cmd(). */
static double last_wall;

/* Run a command with its output to /dev/null; its CPU time (user +
 * system), or -1 if it failed. */
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
	struct rusage ru;
	wait4(pid, &st, 0, &ru);
	last_wall = now_s() - t0;
	posix_spawn_file_actions_destroy(&fa);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? cpu : -1;
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

static double raw_fn(void *arg)
{
	return walk(arg, true);
}

static double kinds_fn(void *arg)
{
	return walk(arg, false);
}


/* The median CPU time of match_run() with a copy kept between runs (the
 * first run makes it), over the store in dir: as a web request pays it. */
static double served(const char *dir, const struct schema_set *set, const struct taxonomy *tax)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/store", dir);
	struct store *s;
	struct todo_paths *paths;
	if (store_open(path, STORE_RDONLY, 0, &s, NULL))
		return -1;
	if (todo_load(set, tax, NULL, &paths, NULL)) {
		store_close(s);
		return -1;
	}
	json_t *profile = json_pack("{s:s, s:[s], s:[s,s,s,s], s:s}", "phase", "start", "sectors",
	                            "digital", "needs", "administration", "financing", "location",
	                            "coaching", "lang", "nl");
	struct match_cache *mc = match_cache_new(MATCH_CACHE_BYTES);
	struct match_opts o = { .per_item = 5, .paths = paths, .cache = mc };
	double v[16];
	int runs = 0;
	for (int i = 0; i < 16; i++) {
		struct store_txn *t;
		json_t *out = NULL;
		struct timespec a, b;
		if (store_begin(s, false, &t, NULL))
			break;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		int rc = match_run(t, tax, profile, &o, &out, NULL);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		store_abort(t);
		json_decref(out);
		if (rc)
			break;
		if (i > 0) /* the first made the copy */
			v[runs++] = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	}
	match_cache_free(mc);
	json_decref(profile);
	todo_free(paths);
	store_close(s);
	if (runs < 15)
		return -1;
	qsort(v, (size_t)runs, sizeof v[0], cmp_d);
	return v[runs / 2];
}

static void report(const char *what, double cpu, double scan)
{
	printf("%-46s %7.1f ms CPU  %5.2f x the raw walk   (wall %.1f ms)\n", what, cpu * 1e3,
	       cpu / scan, last_wall * 1e3);
}

/* Median CPU time of a command, and the median wall time in last_wall. */
static double time_cmd(char **argv)
{
	double cpu[7], wall[7];
	for (int i = 0; i < 7; i++) {
		cpu[i] = run_cmd(argv);
		wall[i] = last_wall;
	}
	qsort(cpu, 7, sizeof cpu[0], cmp_d);
	qsort(wall, 7, sizeof wall[0], cmp_d);
	last_wall = wall[3];
	return cpu[3];
}

int main(int argc, char **argv)
{
	struct schema_set *set;
	struct taxonomy *tax;
	struct match_facts mf;
	struct gl_error err = { 0 };
	if (argc < 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: bench_query GILDE [N]\n");
		return 2;
	}
	if (schema_set_load(&set, &err) || taxonomy_load(set, &tax, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	match_facts_init(&mf, tax);
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 100000;
	char dir[] = "/tmp/gilde-bench-query-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	double t0 = now_s();
	if (generate(dir, n, &mf.derive))
		return 1;
	printf("generated %u offers (signed, stored and indexed, with their facts) in %.1f s\n", n,
	       now_s() - t0);
	char prof[4200];
	snprintf(prof, sizeof prof, "%s/profile.json", dir);
	FILE *f = fopen(prof, "w");
	fprintf(f, "{\"phase\": \"start\", \"sectors\": [\"digital\"], \"needs\": [\"administration\", "
	           "\"financing\", \"location\", \"coaching\"], \"lang\": \"nl\"}\n");
	fclose(f);
	char *match[] = { argv[1], "match", "--data", dir, "--profile", prof, NULL };
	char *search1[] = { argv[1], "search", "--data", dir, "financieringen", NULL };
	char *search2[] = { argv[1], "search", "--data", dir, "kantoor", "netwerk", "--limit", "20", NULL };
	char *list[] = { argv[1], "list", "--data", dir, "--kind", "offer", NULL };
	char *list_json[] = { argv[1], "list", "--data", dir, "--kind", "offer", "--json", NULL };
	double scan = median(raw_fn, dir, 7), kinds = median(kinds_fn, dir, 7);
	printf("raw LMDB walk of the %u offers (a cursor over the records, every value read): "
	       "%.1f ms CPU\n", n, scan * 1e3);
	printf("the same offers by the kinds index (store_scan of one kind): %.1f ms CPU, %.2f x\n",
	       kinds * 1e3, kinds / scan);
	report("gilde match, 4 needs (facts' table, unpacked)", time_cmd(match), scan);
	if (pack(dir, &mf.derive))
		return 1;
	report("gilde match, 4 needs (the facts packed)", time_cmd(match), scan);
	double one = served(dir, set, tax);
	printf("%-46s %7.1f ms CPU  %5.2f x the raw walk   (%.0f matches/s a core)\n",
	       "match_run as gilded serves it (its copy kept)", one * 1e3, one / scan, 1 / one);
	report("gilde search financieringen", time_cmd(search1), scan);
	report("gilde search kantoor netwerk --limit 20", time_cmd(search2), scan);
	report("gilde list --kind offer > /dev/null", time_cmd(list), scan);
	report("gilde list --kind offer --json > /dev/null", time_cmd(list_json), scan);
	if (getenv("BENCH_KEEP")) { /* for a look with perf or callgrind, facts kept */
		printf("kept %s\n", dir);
		return 0;
	}
	/* a writer without the deriver: match reads the bodies */
	struct store *s;
	if (open_store(dir, NULL, &s, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	store_close(s);
	report("gilde match, 4 needs (the offers' bodies)", time_cmd(match), scan);
	taxonomy_free(tax);
	schema_set_free(set);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
