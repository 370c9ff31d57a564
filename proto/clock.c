#include "proto/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/err.h"

static uint64_t (*override)(void);
static uint64_t (*mono_override)(void);
static int fake_state; /* 0 unknown, 1 none, 2 fake */
static int64_t fake_offset_ms;
static uint64_t jump_at_ms; /* GILDE_FAKE_JUMP: monotonic reading, 0 none */
static int64_t jump_ms;

static uint64_t system_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + CLOCK_MONO_BASE_MS;
}

/* GILDE_FAKE_JUMP=M:N (clock.h), read at the first reading. */
static void read_jump(void)
{
	const char *s = getenv("GILDE_FAKE_JUMP");
	if (!s || !*s)
		return;
	char *end;
	long long m = strtoll(s, &end, 10);
	if (*end != ':' || m < 0)
		return;
	long long by = strtoll(end + 1, &end, 10);
	if (*end != '\0')
		return;
	jump_ms = (int64_t)by * 1000;
	jump_at_ms = system_mono_ms() + (uint64_t)m * 1000u;
}

static uint64_t system_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* GILDE_FAKE_NOW and GILDE_FAKE_JUMP, read once before the first reading
 * on any thread: the writer's, the log's and the loop's first readings
 * may come at the same moment. */
static void read_fakes(void)
{
	const char *s = getenv("GILDE_FAKE_NOW");
	fake_state = 1;
	if (s && *s) {
		char *end;
		long long v = strtoll(s, &end, 10);
		if (*end == '\0' && v > 0) {
			fake_offset_ms = (int64_t)v * 1000 - (int64_t)system_ms();
			fake_state = 2;
		}
	}
	read_jump();
}

uint64_t clock_now_ms(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	if (override)
		return override();
	pthread_once(&once, read_fakes);
	uint64_t now = system_ms();
	if (fake_state == 2)
		now = (uint64_t)((int64_t)now + fake_offset_ms);
	if (jump_at_ms && system_mono_ms() >= jump_at_ms)
		now = (uint64_t)((int64_t)now + jump_ms);
	return now;
}

uint64_t clock_now(void)
{
	return clock_now_ms() / 1000u;
}

void clock_set(uint64_t (*fn)(void))
{
	override = fn;
}

uint64_t clock_mono_ms(void)
{
	return mono_override ? mono_override() : system_mono_ms();
}

void clock_set_mono(uint64_t (*fn)(void))
{
	mono_override = fn;
}

char *clock_format(uint64_t secs, char out[32])
{
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int64_t days_from_civil(int y, int m, int d)
{
	/* proleptic Gregorian calendar, days since 1970-01-01 */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int month_days(int y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return md[m - 1] + (m == 2 && leap);
}

int clock_parse(const char *s, int64_t *secs)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t len = strlen(s);
	if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return GL_EFORMAT;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return GL_EFORMAT;
	int64_t off = 0;
	if (len > 10) {
		const char *p = s + 10;
		if (*p != 'T' || digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
			return GL_EFORMAT;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &se))
				return GL_EFORMAT;
			p += 3;
		}
		if (h > 23 || mi > 59 || se > 59)
			return GL_EFORMAT;
		if (*p == 'Z' && p[1] == '\0') {
			off = 0;
		} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
			int oh, om;
			if (digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) || oh > 23 || om > 59)
				return GL_EFORMAT;
			off = (oh * 60 + om) * 60;
			if (*p == '-')
				off = -off;
		} else {
			return GL_EFORMAT;
		}
	}
	*secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	return 0;
}
