/*
 * monitor_status.h - monitor.status, the monitor's heartbeat after every
 * check: its one writer (the monitor) and its one reader (pgwarden status,
 * the liveness probe's age), side by side. INI [monitor]: health (healthy,
 * unhealthy), last_check, failure_count, max_failure_count, last_recovery
 * (the last recovery request, "never"), latency_ms, passed_in_row,
 * last_class (docs/HEALTH.md), last_error; and the WAL archive as that
 * check saw it (docs/WAL.md "Lag"): archive_on (1, 0, -1 unknown),
 * archived_wal, archived_at (epoch s, 0 never), archive_lag_bytes and
 * archive_lag_s (-1 unknown).
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
	int archive_on;
	char archived_wal[64];
	int64_t archived_at, archive_lag_bytes, archive_lag_s;
	long age; /* s since written, -1 missing (read only) */
};

/* last_check is now; atomically. 0 or -1. */
int monitor_status_write(const char *dir, const struct monitor_heartbeat *h);
void monitor_status_read(const char *dir, struct monitor_heartbeat *h);

#endif
