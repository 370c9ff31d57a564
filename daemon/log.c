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

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	if (level > current)
		return;
	uint64_t ms = clock_now_ms();
	char ts[32], line[2048];
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
	/* one write per line so lines from threads do not interleave */
	fprintf(stderr, "%s\n", line);
	if (to_syslog)
		log_syslog_line((int)level, line + 25); /* syslog stamps its own time */
}

const char *log_q(const char *s, char *buf, unsigned n)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p && plain; p++)
		plain = (unsigned char)*p > ' ' && *p != '"' && *p != '\\' && *p != 0x7f;
	if (plain)
		return s;
	unsigned j = 0;
	buf[j++] = '"';
	for (const char *p = s; *p && j + 4 < n; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			buf[j++] = '\\';
			buf[j++] = (char)c;
		} else if (c < ' ' || c == 0x7f) {
			buf[j++] = '?';
		} else {
			buf[j++] = (char)c;
		}
	}
	buf[j++] = '"';
	buf[j] = '\0';
	return buf;
}
