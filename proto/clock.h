/*
 * clock.h — the one source of time.
 *
 * Two clocks, for two questions:
 *   - "what time is it" (an instant that is stored, sent, signed, shown as
 *     a date or compared with a record's times): clock_now_ms(), the wall
 *     clock (CLOCK_REALTIME), which an operator, NTP or a resumed VM may
 *     set back or forward at any moment;
 *   - "how long since" / "not before" (timeouts, back-off, bans, rate
 *     windows, reconciliation rounds, uptime): clock_mono_ms(), which only
 *     moves forward at the rate of time, whatever the wall clock does.
 * Caveat: never subtract a reading of one from a reading of the other, and
 * never store, send or show a monotonic reading (its origin is arbitrary
 * and changes at reboot).
 *
 * Tests replace the clocks in-process with clock_set() and clock_set_mono(),
 * and for whole programs with environment variables, read once at the
 * first reading of the wall clock:
 *   GILDE_FAKE_NOW=S   (seconds since the epoch) pins the wall clock to
 *                      that instant plus the time elapsed since start;
 *   GILDE_FAKE_JUMP=M:N  sets the wall clock N seconds forward (N < 0:
 *                      back) once M seconds have passed since the first
 *                      reading, as an operator or NTP stepping it would;
 *                      the monotonic clock does not jump.
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

/* Every monotonic reading is at least this: 0 can mean "never", and an
 * interval of up to a day subtracted from a reading does not wrap. */
#define CLOCK_MONO_BASE_MS 86400000u
/* Milliseconds on the monotonic clock (CLOCK_MONOTONIC plus
 * CLOCK_MONO_BASE_MS): from an arbitrary origin, never decreasing, not
 * moved when the wall clock is set.  For durations and deadlines only.
 * Thread-safe (unless replaced). */
uint64_t clock_mono_ms(void);
/* Replace the monotonic clock (NULL restores it); as clock_set. */
void clock_set_mono(uint64_t (*fn)(void));

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
