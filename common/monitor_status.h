/*
 * monitor_status.h - monitor.status, the monitor's heartbeat after every
 * check: its one writer (the monitor) and its one reader (pgwarden status,
 * the liveness probe's age), side by side. INI [monitor]: health (healthy,
 * unhealthy), last_check, failure_count, max_failure_count, last_recovery
 * (the last recovery request, "never"), latency_ms, passed_in_row,
 * last_class (docs/HEALTH.md), last_error.
 *
 * monitor.state, the monitor's memory across restarts, is the monitor's
 * alone (sidecars/monitor/health.c writes and reads it).
 */
#ifndef PGW_MONITOR_STATUS_H
#define PGW_MONITOR_STATUS_H

#include <stdint.h>

struct monitor_heartbeat {
	char health[16]; /* "healthy", "unhealthy"; "" when there is no file */
	char last_check[32]; /* ISO 8601 UTC */
	int failure_count, max_failure_count;
	char last_recovery[32]; /* ISO 8601 UTC, or "never" */
	int64_t latency_ms;
	long passed_in_row;
	char last_class[32];
	char last_error[512]; /* "" when healthy */
	long age;	      /* s since written, -1 missing (read only) */
};

/* last_check is now; atomically. 0 or -1. */
int monitor_status_write(const char *dir, const struct monitor_heartbeat *h);
void monitor_status_read(const char *dir, struct monitor_heartbeat *h);

#endif
