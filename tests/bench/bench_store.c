/*
 * The store's share of ingest, without signatures or threads: store_put of
 * N signed news records (by N/1000 authors, bench_ingest's) into an
 * empty store, in groups of G records per transaction, settling fresh
 * items between groups as the writer does.  Beside it, the physical limit
 * measured in the same run: mdb_put of the same envelopes under the same
 * keys, in the same groups, into a store with one table and no index.
 * Once with the records in key order (as `gilde export` writes them), once
 * shuffled.  Prints seconds, CPU seconds, bytes written (wchar of
 * /proc/self/io) and the ratios.  The records are signed and parsed before
 * the clock starts.
 *
 * usage: bench_store [N [G]]   (default 100000 2000)
 */
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "proto/alloc.h"
#include "flood.h"
#include "proto/record.h"
#include "store/store.h"
#include "timing.h"

struct figures {
	double wall, cpu;
	unsigned long long wchar;
};

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static unsigned long long wchar(void)
{
	unsigned long long v = 0;
	char line[128];
	FILE *f = fopen("/proc/self/io", "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static void start(struct figures *f)
{
	f->wall = now_s();
	f->cpu = cpu_s();
	f->wchar = wchar();
}

static void stop(struct figures *f)
{
	f->wall = now_s() - f->wall;
	f->cpu = cpu_s() - f->cpu;
	f->wchar = wchar() - f->wchar;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, why);
	exit(1);
}

static void fresh_dir(char *dir, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, size, "%s/bench-store-%s-XXXXXX", tmp, name);
	if (!mkdtemp(dir))
		die(dir, "cannot create");
}

static void remove_dir(const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
}

static void run_store(const struct record *recs, size_t n, size_t group, struct figures *f)
{
	char dir[256];
	fresh_dir(dir, sizeof dir, "store");
	struct store *s;
	struct gl_error err = { 0 };
	if (store_open(dir, 0, 0, &s, &err))
		die(dir, err.msg);
	start(f);
	for (size_t i = 0; i < n;) {
		struct store_txn *t;
		if (store_begin(s, true, &t, &err))
			die("begin", err.msg);
		for (size_t end = i + group < n ? i + group : n; i < end; i++) {
			enum store_outcome oc;
			if (store_put(t, &recs[i], &oc, &err))
				die("store_put", err.msg);
		}
		if (store_commit(t, &err))
			die("commit", err.msg);
		uint64_t moved;
		if (store_settle_alone(s, STORE_SETTLE_DUE, &moved, &err))
			die("settle", err.msg);
	}
	stop(f);
	store_close(s);
	remove_dir(dir);
}

static void run_raw(const struct record *recs, size_t n, size_t group, struct figures *f)
{
	char dir[256];
	fresh_dir(dir, sizeof dir, "raw");
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *txn;
	if (mdb_env_create(&env) || mdb_env_set_mapsize(env, STORE_DEFAULT_MAP_SIZE) ||
	    mdb_env_open(env, dir, MDB_NOTLS, 0600))
		die(dir, "cannot open a raw LMDB environment");
	start(f);
	for (size_t i = 0; i < n;) {
		if (mdb_txn_begin(env, NULL, 0, &txn) || mdb_dbi_open(txn, NULL, 0, &dbi))
			die("raw", "begin");
		for (size_t end = i + group < n ? i + group : n; i < end; i++) {
			/* the record's key, as the store's records table has it */
			uint8_t key[RECORD_KEY_LEN + 1 + 255];
			memcpy(key, recs[i].author, RECORD_KEY_LEN);
			key[RECORD_KEY_LEN] = (uint8_t)recs[i].kind;
			memcpy(key + RECORD_KEY_LEN + 1, recs[i].id, recs[i].id_len);
			MDB_val k = { .mv_size = RECORD_KEY_LEN + 1 + recs[i].id_len, .mv_data = key };
			MDB_val v = { .mv_size = recs[i].env_len, .mv_data = (void *)recs[i].env };
			if (mdb_put(txn, dbi, &k, &v, 0))
				die("raw", "put");
		}
		if (mdb_txn_commit(txn))
			die("raw", "commit");
	}
	stop(f);
	mdb_env_close(env);
	remove_dir(dir);
}

/* The order of the store's records table: author, kind, id. */
static int key_cmp(const void *a, const void *b)
{
	const struct record *x = a, *y = b;
	int c = memcmp(x->author, y->author, RECORD_KEY_LEN);
	if (c || (c = x->kind - y->kind))
		return c;
	c = memcmp(x->id, y->id, x->id_len < y->id_len ? x->id_len : y->id_len);
	return c ? c : (x->id_len > y->id_len) - (x->id_len < y->id_len);
}

/* n records as attack mkexport makes them (record i by author i mod
 * n/1000), in key order, their envelopes in envs. */
static struct record *make_records(size_t n, struct gl_buf *envs)
{
	size_t authors = n / 1000 ? n / 1000 : 1;
	uint8_t (*pk)[32] = gl_xmalloc(authors * 32), (*sk)[64] = gl_xmalloc(authors * 64);
	for (size_t a = 0; a < authors; a++)
		crypto_sign_keypair(pk[a], sk[a]);
	struct gl_buf body = { 0 };
	flood_body(&body);
	size_t *offs = gl_xmalloc((n + 1) * sizeof *offs);
	uint64_t now = (uint64_t)time(NULL);
	for (size_t i = 0; i < n; i++) {
		offs[i] = envs->len;
		if (flood_sign((long)i, now, 3600, &body, sk[i % authors], envs))
			die("sign", "record_sign failed");
	}
	offs[n] = envs->len;
	struct record *recs = gl_xcalloc(n, sizeof *recs);
	for (size_t i = 0; i < n; i++) {
		struct gl_error err = { 0 };
		if (record_parse(envs->data + offs[i], offs[i + 1] - offs[i], &recs[i], &err))
			die("parse", err.msg);
	}
	qsort(recs, n, sizeof *recs, key_cmp);
	gl_buf_free(&body);
	free(offs);
	free(pk);
	free(sk);
	return recs;
}

static void report(const char *order, size_t n, const struct figures *raw,
                   const struct figures *put)
{
	printf("%-9s raw mdb_put, one table:  %5.2f s  cpu %5.2f s  %5.1f us/record  wrote %5.0f MB\n",
	       order, raw->wall, raw->cpu, 1e6 * raw->cpu / (double)n, (double)raw->wchar / 1e6);
	printf("%-9s store_put, every index:  %5.2f s  cpu %5.2f s  %5.1f us/record  wrote %5.0f MB"
	       "  (%.1f x the CPU, %.1f x the bytes)\n",
	       order, put->wall, put->cpu, 1e6 * put->cpu / (double)n, (double)put->wchar / 1e6,
	       put->cpu / raw->cpu, (double)put->wchar / (double)raw->wchar);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0 || argc > 3) {
		fprintf(stderr, "usage: bench_store [N [G]]\n");
		return 2;
	}
	size_t n = argc > 1 ? (size_t)atol(argv[1]) : 100000;
	size_t group = argc > 2 ? (size_t)atol(argv[2]) : 2000;
	if (n < 1 || group < 1)
		die("usage", "N and G are at least 1");
	struct gl_buf envs = { 0 };
	struct record *recs = make_records(n, &envs);
	struct figures raw, put;
	printf("%zu news records by %zu authors, in groups of %zu per transaction\n", n,
	       n / 1000 ? n / 1000 : 1, group);
	run_raw(recs, n, group, &raw);
	run_store(recs, n, group, &put);
	report("key order", n, &raw, &put);
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = randombytes_uniform((uint32_t)i + 1);
		struct record t = recs[i];
		recs[i] = recs[j];
		recs[j] = t;
	}
	run_raw(recs, n, group, &raw);
	run_store(recs, n, group, &put);
	report("shuffled", n, &raw, &put);
	free(recs);
	gl_buf_free(&envs);
	return 0;
}
