/*
 * log.h — one line per event, to stderr:
 *   2026-11-23T12:00:00.123Z info started key=ed25519:… data=/var/lib/gilde
 * The first word after the level names the event; key=value fields follow.
 * Values that may hold spaces are quoted by the caller with log_q().
 */
#ifndef GILDE_LOG_H
#define GILDE_LOG_H

#include <stdbool.h>

/* The levels by their numbers in gilded.conf (schemas/config.h: config_level_name). */
enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(enum log_level level);
/* Also send each line to syslog(3), facility daemon, ident "gilded". */
void log_set_syslog(bool on);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(ev, ...) log_msg(LOG_ERROR, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_msg(LOG_WARN, ev, __VA_ARGS__)
#define log_info(ev, ...) log_msg(LOG_INFO, ev, __VA_ARGS__)
#define log_debug(ev, ...) log_msg(LOG_DEBUG, ev, __VA_ARGS__)

/*
 * Quote s for a log value: returns s itself if it has no space, quote or
 * control character, else a quoted, escaped copy in buf (n bytes).
 */
const char *log_q(const char *s, char *buf, unsigned n);

#endif
