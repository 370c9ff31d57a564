/*
 * The physical limit ingest is measured against: Ed25519 verifications per
 * second (crypto_sign_verify_detached over messages of the size gilde
 * signs), on one core and on every core at once.  Prints JSON.
 *
 * Two loops.  The reference verifies TRIPLES distinct signatures, each by
 * a key of its own over a message of its own, in turn: like records, no
 * two of which share a signature.  The other verifies one signature over
 * and over, as this benchmark did first.  That one runs faster (on one
 * core of this 2-core VM, by 3-15 % over five runs): the processor learns
 * the one signature's branches and keeps its data in the nearest caches.
 * It is printed beside the reference, as *_same_input, so that the two can
 * be told apart.
 *
 * Each loop also reports the CPU time a verification took (thread CPU
 * clocks), as cpu_us_per_verify_*: a figure other tenants of the machine
 * stretch far less than the rates, since a thread waiting for a core uses
 * none.
 *
 * usage: bench_verify [SECONDS]   (each of the four loops; default 2)
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

#define MSG 300
#define TRIPLES 1024

static double seconds = 2.0;
static unsigned char pk[TRIPLES][32], msg[TRIPLES][MSG], sig[TRIPLES][64];

struct job {
	unsigned first;           /* the triple this thread starts at */
	unsigned count;           /* 1: the same one every time */
	unsigned long long done;  /* verifications */
	double cpu;               /* seconds of CPU the thread used */
};

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	double c0 = cpu_s();
	unsigned long long n = 0;
	unsigned k = j->first;
	double end = now_s() + seconds;
	while (now_s() < end) {
		for (int i = 0; i < 64; i++) {
			if (crypto_sign_verify_detached(sig[k], msg[k], MSG, pk[k]) != 0)
				abort();
			if (j->count > 1 && ++k == TRIPLES)
				k = 0;
		}
		n += 64;
	}
	j->done = n;
	j->cpu = cpu_s() - c0;
	return NULL;
}

/* Verifications per second of wall time; *cpu_us: microseconds of CPU per
 * verification, which other tenants of the machine do not stretch. */
static double rate(int threads, unsigned count, double *cpu_us)
{
	pthread_t t[64];
	struct job jobs[64];
	double t0 = now_s();
	for (int i = 0; i < threads; i++) {
		/* threads start far apart in the ring: no two verify the same at once */
		jobs[i] = (struct job){ .first = (unsigned)i * (TRIPLES / 64), .count = count };
		pthread_create(&t[i], NULL, worker, &jobs[i]);
	}
	unsigned long long total = 0;
	double cpu = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += jobs[i].done;
		cpu += jobs[i].cpu;
	}
	*cpu_us = total ? cpu * 1e6 / (double)total : 0;
	return (double)total / (now_s() - t0);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc > 1)
		seconds = atof(argv[1]);
	for (unsigned k = 0; k < TRIPLES; k++) {
		unsigned char sk[64];
		crypto_sign_keypair(pk[k], sk);
		randombytes_buf(msg[k], MSG);
		crypto_sign_detached(sig[k], NULL, msg[k], MSG, sk);
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 1 || cores > 64)
		cores = 1;
	double c1, call, c1s, calls;
	double one = rate(1, TRIPLES, &c1), all = rate((int)cores, TRIPLES, &call);
	double one_same = rate(1, 1, &c1s), all_same = rate((int)cores, 1, &calls);
	printf("{\"cores\": %ld, \"verify_per_s_one_core\": %.0f, \"verify_per_s_all_cores\": %.0f, "
	       "\"verify_per_s_one_core_same_input\": %.0f, "
	       "\"verify_per_s_all_cores_same_input\": %.0f, "
	       "\"cpu_us_per_verify_one_core\": %.2f, \"cpu_us_per_verify_all_cores\": %.2f}\n",
	       cores, one, all, one_same, all_same, c1, call);
	return 0;
}
