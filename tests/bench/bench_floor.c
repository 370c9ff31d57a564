/*
 * The floor of ingest: the work a node cannot skip for each record of an
 * export file, done on every core at once with nothing else, so that the
 * import of that same file can be set against it (bench_ingest.py).
 *
 * For each record, as gilded does on its verifier threads and its loop:
 * reading the envelope (record_parse), checking the body against its
 * kind's schema (doc_check_body), the signature (record_verify, over the
 * record's own payload: a record with text signs three times the bytes of
 * bench_verify's 300-byte message), the content id and reconciliation
 * item (BLAKE2b), and adding the item to a reconciliation sketch of
 * SKETCH_SYMBOLS symbols with its multiset-hash lanes (riblt_sketch_add,
 * PROTOCOL.md 6.7).  What is left to a node beyond this is its store and
 * its transport.
 *
 * Each thread takes every cores-th record and keeps a sketch of its own.
 * Prints JSON: records, mean envelope bytes, the all-core rate, CPU
 * microseconds per record (thread CPU clocks, which other tenants of the
 * machine hardly stretch), and the same for the signature alone, in the
 * same run for the envelope and the signature alone (record_parse and
 * record_verify), so that the two floors can be told apart.
 *
 * usage: bench_floor FILE
 */
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto/record.h"
#include "proto/riblt.h"
#include "schemas/doc.h"
#include "schemas/schema.h"
#include "timing.h"

#define THREADS_MAX 64
/* gilded's sketch (daemon/sketch.h: SKETCH_SYMBOLS) */
#define SYMBOLS RIBLT_SYMBOLS_MAX

struct span {
	const uint8_t *env;
	size_t len;
};

static struct span *recs;
static size_t nrecs;
static const struct schema_set *schemas;

struct job {
	size_t first, step;
	bool whole;        /* everything; false: the envelope and the signature alone */
	double cpu;        /* seconds of this thread's CPU */
};

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void one(const struct span *s, struct riblt_sketch *sk, bool whole)
{
	struct record r;
	if (record_parse(s->env, s->len, &r, NULL))
		abort();
	if (record_verify(&r))
		abort();
	if (!whole)
		return;
	if (r.body && doc_check_body(schemas, r.kind, r.id, r.id_len, r.body, r.body_len, NULL))
		abort();
	uint8_t cid[RECORD_CID_LEN], item[RECORD_ITEM_LEN];
	record_cid(s->env, s->len, cid);
	record_item(&r, cid, item);
	riblt_sketch_add(sk, item);
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct riblt_sketch sk;
	if (riblt_sketch_init(&sk, SYMBOLS))
		abort();
	double c0 = cpu_s();
	for (size_t i = j->first; i < nrecs; i += j->step)
		one(&recs[i], &sk, j->whole);
	j->cpu = cpu_s() - c0;
	riblt_sketch_free(&sk);
	return NULL;
}

/* Records per second of wall time on `threads` threads; *cpu_us per record. */
static double rate(int threads, bool whole, double *cpu_us)
{
	pthread_t t[THREADS_MAX];
	struct job jobs[THREADS_MAX];
	double t0 = now_s(), cpu = 0;
	for (int i = 0; i < threads; i++) {
		jobs[i] = (struct job){ .first = (size_t)i, .step = (size_t)threads, .whole = whole };
		pthread_create(&t[i], NULL, worker, &jobs[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		cpu += jobs[i].cpu;
	}
	*cpu_us = cpu * 1e6 / (double)nrecs;
	return (double)nrecs / (now_s() - t0);
}

/* The records of the mapped file, in its order. */
static int index_file(const uint8_t *p, size_t len)
{
	size_t cap = 0;
	for (size_t off = 0; off < len;) {
		size_t span;
		struct gl_error err;
		if (record_span(p + off, len - off, &span, &err)) {
			fprintf(stderr, "bench_floor: byte %zu: %s\n", off, err.msg);
			return -1;
		}
		if (nrecs == cap) {
			cap = cap ? cap * 2 : 4096;
			recs = realloc(recs, cap * sizeof *recs);
			if (!recs)
				abort();
		}
		recs[nrecs++] = (struct span){ p + off, span };
		off += span;
	}
	return nrecs ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: bench_floor FILE\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || st.st_size == 0) {
		perror(argv[1]);
		return 1;
	}
	uint8_t *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	struct schema_set *set;
	struct gl_error err;
	if (p == MAP_FAILED || index_file(p, (size_t)st.st_size) || schema_set_load(&set, &err)) {
		fprintf(stderr, "bench_floor: %s: cannot read its records\n", argv[1]);
		return 1;
	}
	schemas = set;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 1 || cores > THREADS_MAX)
		cores = 1;
	double cpu_sig, cpu_all;
	double sig = rate((int)cores, false, &cpu_sig);
	double all = rate((int)cores, true, &cpu_all);
	printf("{\"records\": %zu, \"mean_bytes\": %.0f, \"cores\": %ld, "
	       "\"signature_per_s_all_cores\": %.0f, \"cpu_us_signature\": %.2f, "
	       "\"floor_per_s_all_cores\": %.0f, \"cpu_us_floor\": %.2f}\n",
	       nrecs, (double)st.st_size / (double)nrecs, cores, sig, cpu_sig, all, cpu_all);
	schema_set_free(set);
	munmap(p, (size_t)st.st_size);
	return 0;
}
