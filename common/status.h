/*
 * status.h - one picture of the whole system, read from the backups
 * directory only (monitor.status, server.status, restorer.status,
 * recovery-in-progress, manifests, alert files, free space), so any
 * container can build it: `pgwarden status`, the monitor's daily summary
 * and dead man's switch, and metrics.prom.
 *
 * Contract: status_collect() never fails as a whole; what cannot be read is
 * reported as unknown (empty string, -1). It holds no secret: every field
 * comes from files that are themselves secret-free.
 */
#ifndef PGW_STATUS_H
#define PGW_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "archive_status.h"
#include "cfg.h"
#include "pause.h"
#include "progress.h"

struct status_backup {
	bool present;
	char file[256];
	time_t when; /* from the file name (start of the run) */
	int64_t size;
	int64_t duration_ms;
	char status[16]; /* valid | verified | failed | "" (no manifest) */
	char verified_at[32];
	int64_t restore_ms;
};

/* The physical path (docs/WAL.md): the archive as the monitor's last
 * check saw it, the chain as the backupper's last check found it, and the
 * base backups on the volume. */
struct status_archive {
	int on;			    /* archive_mode: 1, 0, -1 unknown */
	char last_wal[64];	    /* the last file archived */
	time_t last_at;		    /* when; 0 never */
	int64_t lag_bytes;	    /* -1 unknown */
	int64_t lag_s;		    /* -1 unknown */
	struct archive_chain chain; /* chain "" when never checked */
	int bases, bases_usable;
	char base_file[256]; /* the newest usable one */
	time_t base_when;    /* its end; 0 none */
};
/* The sidecars, by their instance locks: one that ever ran on this volume
 * left its lock file; it is down when nobody holds it. */
enum status_sidecar { SC_MONITOR, SC_BACKUPPER, SC_RESTORER, SC_DB, SC_N };
extern const char *const status_sidecar_names[SC_N];

struct pgw_status {
	time_t now;
	bool sidecar_known[SC_N], sidecar_up[SC_N];
	struct pause_info pause;
	struct progress_info job; /* the backup, drill or recovery running */
	/* request files left unclaimed longer than [monitor] sidecar_timeout
	 * with their consumer down or idle: their names, comma-separated */
	int requests_stale;
	char requests_stale_names[128];
	/* monitor.status */
	char health[16]; /* healthy | unhealthy | "" (no monitor yet) */
	char last_check[32];
	long monitor_age; /* seconds since the last check, -1 unknown */
	int failures, max_failures;
	char last_error[512];
	char last_recovery_request[32];
	int64_t check_latency_ms;
	/* server.status (pgwarden-db) */
	char server_state[16];
	int server_restarts; /* -1 unknown */
	time_t server_since; /* serving since; 0 unknown */
	/* backups */
	int backups, backups_valid, backups_verified, backups_failed;
	int backups_future;    /* stamped in the future: counted nowhere else */
	char future_file[256]; /* the first of them */
	struct status_backup last;		/* newest file, any status */
	struct status_backup last_valid;	/* newest valid or verified */
	struct status_backup last_verified;	/* newest verified */
	struct status_backup last_drill_failed; /* newest failed drill */
	time_t next_backup;			/* -1 off */
	/* recovery */
	bool recovering;     /* recovery-in-progress, held by a restorer */
	bool recovery_stale; /* recovery-in-progress that nobody holds */
	char recovery_phase[64];
	char recovery_started[32];
	char recovery_backup[256];
	char last_recovery_at[32];
	char last_recovery_result[32]; /* restored | fresh-reset | failed */
	char last_recovery_backup[256];
	int64_t last_recovery_rto_ms;
	int recoveries_total;
	/* alerts */
	int alerts_total, alerts_pending, alerts_undelivered;
	/* space */
	int64_t free_bytes, total_bytes;
	struct status_archive archive;
};

void status_collect(const struct pgw_config *c, struct pgw_status *st);
/* Age in seconds of the newest valid backup; -1 when there is none. */
long status_backup_age(const struct pgw_status *st);
/* Age in seconds of the newest usable base backup; -1 when none. */
long status_base_age(const struct pgw_status *st);
/* Write metrics.prom (Prometheus text format) atomically. 0 or -1. */
int status_write_metrics(const char *dir, const struct pgw_status *st);
/* For the restorer: record the outcome of a recovery. */
/* Its reader: the last recovery's result and backup ("" when none) and
 * how many recoveries were recorded (0 when none). */
/* The last recovery of any kind (restorer.status): "<last_at> <result>",
 * or "" when there was none. */
void status_recovery_last(const char *dir, char *out, size_t cap);
int status_recovery_read(const char *dir, char *result, size_t rcap,
			 char *backup, size_t bcap, int *total);
void status_recovery_write(const char *dir, const char *result,
			   const char *backup, int64_t rto_ms,
			   const char *reason);

#endif
