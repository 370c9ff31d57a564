#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>

#include "proto/clock.h"
#include "schemas/config.h"

static enum log_level current = LOG_INFO;
static bool to_syslog;

/* log_syslog.c: apart, as <syslog.h> defines LOG_INFO and LOG_DEBUG too */
void log_syslog_open(bool on);
void log_syslog_line(int level, const char *line);

void log_set_level(enum log_level level)
{
	current = level;
}

void log_set_syslog(bool on)
{
	if (on != to_syslog)
		log_syslog_open(on);
	to_syslog = on;
}

enum log_level log_get_level(void)
{
	return current;
}

/* Bytes a terminal or a log reader would act on: C0 controls (newline
 * included), DEL, and the C1 controls U+0080..U+009F (0xC2 0x80..0x9F). */
static size_t control_len(const unsigned char *p)
{
	if (*p < ' ' || *p == 0x7f)
		return 1;
	return p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9f ? 2 : 0;
}

/* Write each control byte of in as \xHH into out (n bytes, n > 4), cut to
 * fit: one event stays one line whatever a caller passed in. */
static void escape_controls(const char *in, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t j = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && j + 1 < n; p++) {
		size_t k = control_len(p);
		if (!k) {
			out[j++] = (char)*p;
			continue;
		}
		if (j + 4 * k >= n)
			break;
		for (size_t i = 0; i < k; i++) {
			out[j++] = '\\';
			out[j++] = 'x';
			out[j++] = hex[p[i] >> 4];
			out[j++] = hex[p[i] & 15];
		}
		p += k - 1;
	}
	out[j] = '\0';
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	if (level > current)
		return;
	uint64_t ms = clock_now_ms();
	char ts[32], line[2048], out[4096];
	clock_format(ms / 1000, ts);
	ts[19] = '\0'; /* drop the Z, add milliseconds below */
	int n = snprintf(line, sizeof line, "%s.%03uZ %s %s", ts, (unsigned)(ms % 1000),
	                 config_level_name(level), event);
	if (n > 0 && (size_t)n < sizeof line && fmt && *fmt) {
		line[n++] = ' ';
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
		va_end(ap);
	}
	/* callers quote what came from outside (log_q); this is the last guard */
	escape_controls(line, out, sizeof out);
	/* one write per line so lines from threads do not interleave */
	fprintf(stderr, "%s\n", out);
	if (to_syslog)
		log_syslog_line((int)level, out + 25); /* syslog stamps its own time */
}

const char *log_q(const char *s, char *buf, unsigned n)
{
	bool plain = *s != '\0';
	for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
		plain = *p > ' ' && *p != '"' && *p != '\\' && !control_len(p);
	if (plain)
		return s;
	static const char hex[] = "0123456789abcdef";
	unsigned j = 0;
	buf[j++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p && j + 6 < n; p++) {
		if (*p == '"' || *p == '\\') {
			buf[j++] = '\\';
			buf[j++] = (char)*p;
		} else if (control_len(p)) {
			size_t k = control_len(p);
			if (j + 4 * k + 2 >= n)
				break;
			for (size_t i = 0; i < k; i++) {
				buf[j++] = '\\';
				buf[j++] = 'x';
				buf[j++] = hex[p[i] >> 4];
				buf[j++] = hex[p[i] & 15];
			}
			p += k - 1;
		} else {
			buf[j++] = (char)*p;
		}
	}
	buf[j++] = '"';
	buf[j] = '\0';
	return buf;
}
