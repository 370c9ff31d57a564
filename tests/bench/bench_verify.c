/*
 * The physical limit ingest is measured against: Ed25519 verifications per
 * second (crypto_sign_verify_detached over records of the size gilde
 * signs), on one core and on every core at once.  Prints JSON.
 *
 * usage: bench_verify [SECONDS]
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MSG 300

static double seconds = 2.0;
static unsigned char pk[32], sk[64], msg[MSG], sig[64];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	unsigned long long n = 0;
	double end = now_s() + seconds;
	while (now_s() < end) {
		for (int i = 0; i < 64; i++)
			if (crypto_sign_verify_detached(sig, msg, MSG, pk) != 0)
				abort();
		n += 64;
	}
	*(unsigned long long *)arg = n;
	return NULL;
}

static double rate(int threads)
{
	pthread_t t[64];
	unsigned long long counts[64] = { 0 };
	double t0 = now_s();
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, &counts[i]);
	unsigned long long total = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += counts[i];
	}
	return (double)total / (now_s() - t0);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc > 1)
		seconds = atof(argv[1]);
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof msg);
	crypto_sign_detached(sig, NULL, msg, MSG, sk);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 1 || cores > 64)
		cores = 1;
	double one = rate(1), all = rate((int)cores);
	printf("{\"cores\": %ld, \"verify_per_s_one_core\": %.0f, \"verify_per_s_all_cores\": %.0f}\n",
	       cores, one, all);
	return 0;
}
