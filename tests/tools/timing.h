/*
 * timing.h — the clock of the test tools and benchmarks: seconds on the
 * monotonic clock, as a double, for timing a run and bounding a wait.
 */
#ifndef GILDE_TIMING_H
#define GILDE_TIMING_H

#include <time.h>

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
