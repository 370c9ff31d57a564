/*
 * test_clock.c — the two clocks of proto/clock.h: the monotonic one is
 * never small and never goes back, can be replaced, and does not follow
 * the wall clock when GILDE_FAKE_JUMP steps it.
 */
#include "testutil.h"

#include <stdlib.h>
#include <time.h>

#include "proto/clock.h"

static uint64_t raw_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* First: GILDE_FAKE_JUMP is read at the wall clock's first reading. */
static void test_jump_moves_wall_not_mono(void **state)
{
	(void)state;
	setenv("GILDE_FAKE_JUMP", "0:-3600", 1);
	uint64_t wall = clock_now_ms(), real = raw_ms(CLOCK_REALTIME);
	int64_t off = (int64_t)wall - (int64_t)real + 3600000;
	assert_true(off > -2000 && off < 2000); /* an hour back, now */
	uint64_t mono = clock_mono_ms(), raw = raw_ms(CLOCK_MONOTONIC) + CLOCK_MONO_BASE_MS;
	int64_t d = (int64_t)mono - (int64_t)raw;
	assert_true(d > -2000 && d < 2000); /* the monotonic clock did not jump */
}

static void test_mono_never_small_never_back(void **state)
{
	(void)state;
	uint64_t prev = clock_mono_ms();
	assert_true(prev >= CLOCK_MONO_BASE_MS);
	for (int i = 0; i < 100000; i++) {
		uint64_t now = clock_mono_ms();
		assert_true(now >= prev);
		prev = now;
	}
}

static uint64_t fixed(void)
{
	return 123456789;
}

static void test_mono_replaceable(void **state)
{
	(void)state;
	clock_set_mono(fixed);
	assert_int_equal(clock_mono_ms(), 123456789);
	clock_set_mono(NULL);
	assert_true(clock_mono_ms() >= CLOCK_MONO_BASE_MS && clock_mono_ms() != 123456789);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jump_moves_wall_not_mono),
		cmocka_unit_test(test_mono_never_small_never_back),
		cmocka_unit_test(test_mono_replaceable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
