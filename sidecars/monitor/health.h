/*
 * health.h - the monitor's checks and decision.
 * Checks (one round per HEALTH_CHECK_INTERVAL): libpq ping; real SQL (a
 * catalogue read and a write/read round trip in pgwarden.heartbeat, skipped
 * on a read-only server or with heartbeat = off); the migrations table at
 * least at the version the migrations directory expects;
 * pg_stat_database.checksum_failures not growing. Each failure has a class
 * (checkclass.h): a lock wait, a timeout on a server that answers, a
 * missing grant or an exhausted resource is alerted once per episode and
 * never counted. Consecutive counted failures are counted; at
 * MAX_FAILURE_COUNT a
 * request-restore and a CRITICAL alert are written, unless the cooldown
 * since the last recovery request has not passed (then a CRITICAL
 * "suppressed by cooldown" alert). While recovery-in-progress exists,
 * failures are not counted. State survives restarts in monitor.state.
 */
#ifndef PGW_HEALTH_H
#define PGW_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "archlag.h"
#include "cfg.h"
#include "checkclass.h"

struct health_state {
	int failures;
	time_t last_recovery;	   /* last recovery request, 0 never */
	int64_t checksum_failures; /* last seen total, -1 unknown */
	bool last_ok;		   /* the last check passed */
	bool suspect;		   /* a CRITICAL log line awaits confirmation */
	bool alerted_down;	   /* a CRITICAL went out for this outage */
	bool alerted_suppressed;   /* and the "suppressed by cooldown" one */
	bool backup_stale;	   /* the stale-backup CRITICAL went out */
	bool archive_alerted; /* wal-archive-failing went out (not persisted) */
	enum check_class notice; /* uncounted class alerted, CHECK_OK none */
	long passed_in_row;	 /* checks passed in a row (not persisted) */
	int recoveries_seen;	 /* restorer.status total when last looked,
				  * -1 not yet: a recovery ended when it grew */
	/* the archive as the last round saw it (not persisted) */
	int archive_on; /* -1 unknown */
	char archived_wal[64];
	int64_t archived_at; /* epoch s, 0 never */
	struct archive_lag lag;
};

struct check_result {
	bool ok;
	bool connected;
	bool restarting;      /* down, but pgwarden-db is (re)starting it */
	enum check_class cls; /* CHECK_OK when ok */
	int64_t latency_ms;   /* the whole round */
	char what[512];	      /* the failing check and why */
};

void health_check(const struct pgw_config *c, struct health_state *s,
		  struct check_result *r);
/* Count, decide, alert, request. */
void health_decide(const struct pgw_config *c, struct health_state *s,
		   const struct check_result *r);
/* A corruption indicator from the server log (see corruption_policy):
 * "immediate" asks for a recovery now; "confirm" does so when the last or
 * the next check fails (a healthy check clears the suspicion); "alert-only"
 * only alerts (the caller has alerted already). */
void health_indicator(const struct pgw_config *c, struct health_state *s,
		      const char *line);
/* monitor.state: -1 when malformed (reported, then reset). */
int health_state_load(const char *dir, struct health_state *s);
void health_state_save(const char *dir, const struct health_state *s);
void health_status_write(const char *dir, const struct health_state *s,
			 const struct check_result *r,
			 const struct pgw_config *c);

#endif
