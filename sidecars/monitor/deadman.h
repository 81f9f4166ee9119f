/*
 * deadman.h - silence as a signal: a CRITICAL alert when the newest valid
 * backup is older than [alerts] backup_max_age (one per episode, and a
 * SUCCESS when a fresh backup appears); the same for the WAL archive's
 * lag (wal_archive_max_lag) and the newest base backup's age
 * (base_backup_max_age), CRITICAL once per episode; an optional daily INFO
 * summary
 * ([alerts] daily_summary), and metrics.prom, refreshed after every check.
 */
#ifndef PGW_DEADMAN_H
#define PGW_DEADMAN_H

#include <time.h>

#include "cfg.h"
#include "status.h"
#include "health.h"
#include "schedule.h"

struct deadman {
	struct sched summary;
	struct sched_timer summary_timer;
	time_t started;		 /* no backup at all: age counts from here */
	bool future_told;	 /* future-dated backups were alerted */
	time_t down_since[SC_N]; /* a sidecar seen down first; 0 when up */
	bool down_told[SC_N];
	bool stale_told; /* unclaimed requests were alerted */
	bool pause_told; /* an overdue pause was alerted */
	bool lag_told;	 /* the archive's lag, past wal_archive_max_lag */
	bool base_told;	 /* no base backup within base_backup_max_age */
};

void deadman_init(struct deadman *dm, const struct pgw_config *c);
/* Once per check round; may flip s->backup_stale (saved by the caller). */
void deadman_round(struct deadman *dm, const struct pgw_config *c,
		   struct health_state *s);

#endif
