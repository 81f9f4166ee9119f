/*
 * log.h - levelled logging to stderr (for kubectl logs) and to per-job log
 * files in the backups directory (backup.log, recovery.log, ...).
 *
 * Contract:
 *  - every line is "<UTC ISO-8601 ms> <LEVEL> [<component>] <message>".
 *  - messages pass through log_scrub(): registered secrets and anything that
 *    looks like "password=..." are replaced by "***" before being written.
 *  - a failure to write the log file never stops the caller; the line still
 *    reaches stderr.
 *  - channel LOG_MAIN is the sidecar's own log; LOG_AUX a second job log
 *    (retention.log for the backupper, verification.log for the restorer).
 */
#ifndef PGW_LOG_H
#define PGW_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERROR, LOG_FATAL };
enum log_channel { LOG_MAIN = 0, LOG_AUX = 1, LOG_NCHANNELS = 2 };

/* Component name printed in every line, e.g. "backupper". */
void log_init(const char *component);
/* (Re)open the file of a channel in append mode; NULL closes it. 0 or -1. */
int log_open(enum log_channel ch, const char *path);
void log_close_all(void);
void log_set_level(enum log_level min);
/* Parse "debug", "info", "warning", "error"; -1 when unknown. */
int log_level_parse(const char *s);
/* Register a secret that must never appear in any log line (copied). */
void log_add_secret(const char *secret);
void log_clear_secrets(void);
/* Replace secrets in buf (NUL-terminated, capacity cap) in place. */
void log_scrub(char *buf, size_t cap);

void log_msg(enum log_channel ch, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOG_MAIN, LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_MAIN, LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_MAIN, LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_MAIN, LOG_ERROR, __VA_ARGS__)

/* Print one line (also to the log) and exit with code. For start-up only. */
void fatalx(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
