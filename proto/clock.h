/*
 * clock.h — the one source of time.
 *
 * Everything that asks "what time is it" calls clock_now_ms(), so tests can
 * replace the clock: in-process with clock_set(), and for whole programs
 * with the environment variable GILDE_FAKE_NOW (seconds since the epoch),
 * which pins the clock to that instant plus the time elapsed since start.
 */
#ifndef GILDE_CLOCK_H
#define GILDE_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch, UTC. */
uint64_t clock_now_ms(void);
/* Seconds since the Unix epoch, UTC. */
uint64_t clock_now(void);
/* Replace the clock (NULL restores the system clock). Not thread-safe:
 * call before starting threads. */
void clock_set(uint64_t (*fn)(void));

/*
 * Format seconds since the epoch as RFC 3339 UTC ("2026-11-23T12:00:00Z")
 * into out (at least 21 bytes).  Returns out.
 */
char *clock_format(uint64_t secs, char out[32]);

/*
 * Parse an RFC 3339 date-time with offset ("2026-11-23T12:00:00+01:00",
 * seconds optional) or a date ("2026-11-23", taken as 00:00 UTC).
 * Returns 0 and the instant in *secs, or GL_EFORMAT.  Calendar-checked:
 * month 1-12, day within the month, hour < 24, minute and second < 60.
 */
int clock_parse(const char *text, int64_t *secs);

#endif
