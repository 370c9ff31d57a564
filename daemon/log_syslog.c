/* The syslog side of log.c, apart because <syslog.h> defines names
 * (LOG_INFO, LOG_DEBUG) that log.h uses for its own levels. */
#include <stdbool.h>
#include <syslog.h>

void log_syslog_open(bool on);
void log_syslog_line(int level, const char *line);

void log_syslog_open(bool on)
{
	if (on)
		openlog("gilded", LOG_PID, LOG_DAEMON);
	else
		closelog();
}

/* level: 0 error, 1 warn, 2 info, 3 debug (enum log_level) */
void log_syslog_line(int level, const char *line)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	syslog(prio[level < 0 ? 0 : level > 3 ? 3 : level], "%s", line);
}
