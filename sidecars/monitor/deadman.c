#include "deadman.h"

#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "log.h"
#include "proto.h"
#include "status.h"
#include "tm.h"

void deadman_init(struct deadman *dm, const struct pgw_config *c)
{
	char err[256];

	memset(dm, 0, sizeof(dm[0]));
	dm->started = tm_now();
	if (sched_parse(c->daily_summary, &dm->summary, err, sizeof(err)) < 0)
		dm->summary.off = true; /* validated at load: cannot happen */
	sched_timer_start(&dm->summary_timer, &dm->summary, dm->started);
}

static void age_text(long age, char *out, size_t cap)
{
	if (age < 0)
		snprintf(out, cap, "none");
	else
		snprintf(out, cap, "%ldh %02ldm", age / 3600, age / 60 % 60);
}

static void check_stale(const struct deadman *dm, const struct pgw_config *c,
			struct health_state *s, const struct pgw_status *st)
{
	long age = status_backup_age(st), eff;
	char msg[512], a[32], h[TM_ISO_LEN], qa[512];

	if (c->backup_max_age <= 0)
		return;
	eff = age >= 0 ? age : (long)(st->now - dm->started);
	if (eff > c->backup_max_age && !s->backup_stale) {
		age_text(age, a, sizeof(a));
		snprintf(msg, sizeof(msg),
			 "No valid backup for more than %d h: the newest "
			 "valid backup is %s%s%s (age %s)",
			 c->backup_max_age / 3600,
			 st->last_valid.present ? st->last_valid.file : "none",
			 st->last_valid.present ? ", taken " : "",
			 st->last_valid.present
				 ? tm_human(st->last_valid.when, h)
				 : "",
			 a);
		snprintf(qa, sizeof(qa),
			 "Quick Actions:\nkubectl exec %s -c backupper -- tail "
			 "-n 50 /backups/backup.log\nkubectl exec %s -c "
			 "backupper -- touch /backups/request-backup",
			 c->kube_workload, c->kube_workload);
		alert_emit(ALERT_CRITICAL, "backup-stale", "Database Backup",
			   msg, qa);
		s->backup_stale = true;
	} else if (eff <= c->backup_max_age && s->backup_stale) {
		snprintf(msg, sizeof(msg),
			 "Backups are current again: %s is valid",
			 st->last_valid.file);
		alert_emit(ALERT_SUCCESS, "backup-fresh", "Database Backup",
			   msg, NULL);
		s->backup_stale = false;
	}
}

/* An episode is told once: true the first time cond holds; false while
 * it lasts, and after it ended (which makes the next one told again). */
static bool first_of_episode(bool *told, bool cond)
{
	bool tell = cond && !*told;

	*told = cond;
	return tell;
}

/* Backups stamped in the future are never "the newest" (common/catalog.h);
 * a wrong clock or a copied file is told once, and again after it cleared. */
static void check_future(struct deadman *dm, const struct pgw_status *st)
{
	char msg[512];

	if (!first_of_episode(&dm->future_told, st->backups_future > 0))
		return;
	snprintf(msg, sizeof(msg),
		 "%d backup(s) are stamped in the future (first: %s): a clock "
		 "is wrong or a file was copied under another name. They are "
		 "never taken as the newest backup.",
		 st->backups_future, st->future_file);
	log_warn("%s", msg);
	alert_emit(ALERT_WARNING, "backup-future", "Database Backup", msg,
		   NULL);
}

/* A sidecar gone past sidecar_timeout is an ERROR (its work stops: no
 * backups, or no recovery); its return a SUCCESS. */
static void check_sidecars(struct deadman *dm, const struct pgw_config *c,
			   const struct pgw_status *st)
{
	char msg[256];

	for (int i = SC_BACKUPPER; i < SC_N; i++) {
		const char *name = status_sidecar_names[i];
		if (!st->sidecar_known[i] || st->sidecar_up[i]) {
			if (dm->down_told[i]) {
				snprintf(msg, sizeof(msg),
					 "The %s sidecar is running again",
					 name);
				alert_emit(ALERT_SUCCESS, "sidecar-up",
					   "Database Monitor", msg, NULL);
			}
			dm->down_since[i] = 0;
			dm->down_told[i] = false;
			continue;
		}
		if (!dm->down_since[i])
			dm->down_since[i] = st->now;
		if (dm->down_told[i] ||
		    st->now - dm->down_since[i] < c->sidecar_timeout)
			continue;
		snprintf(msg, sizeof(msg),
			 "The %s sidecar has not been running for %ld s: %s",
			 name, (long)(st->now - dm->down_since[i]),
			 i == SC_BACKUPPER  ? "no backups are taken"
			 : i == SC_RESTORER ? "no recovery or drill can run"
					    : "nobody supervises the server");
		log_error("%s", msg);
		alert_emit(ALERT_ERROR, "sidecar-down", "Database Monitor", msg,
			   NULL);
		dm->down_told[i] = true;
	}
}

static void check_requests(struct deadman *dm, const struct pgw_config *c,
			   const struct pgw_status *st)
{
	char msg[256];

	if (!first_of_episode(&dm->stale_told, st->requests_stale > 0))
		return;
	snprintf(msg, sizeof(msg),
		 "Nobody is taking %s: left unclaimed for more than %d s",
		 st->requests_stale_names, c->sidecar_timeout);
	log_warn("%s", msg);
	alert_emit(ALERT_WARNING, "request-unclaimed", "Database Monitor", msg,
		   NULL);
}

/* A pause past its planned end is told once: nothing acts on its own
 * while it lasts (common/pause.h). */
static void check_pause(struct deadman *dm, const struct pgw_status *st)
{
	char msg[512];
	bool overdue = st->pause.active && st->pause.until &&
		       st->now > st->pause.until;

	if (!first_of_episode(&dm->pause_told, overdue))
		return;
	snprintf(msg, sizeof(msg),
		 "pgwarden has been paused for longer than planned (%s): no "
		 "server restart, recovery or scheduled backup happens until "
		 "'pgwarden resume'",
		 st->pause.reason);
	log_warn("%s", msg);
	alert_emit(ALERT_WARNING, "pause-overdue", "Database Monitor", msg,
		   NULL);
}

static void send_summary(const struct pgw_status *st)
{
	char details[2048], a[32], nb[TM_ISO_LEN];
	bool well = strcmp(st->health, "healthy") == 0 &&
		    st->last_valid.present && !st->recovering;

	age_text(status_backup_age(st), a, sizeof(a));
	snprintf(details, sizeof(details),
		 "📋 Summary:\n• Health: %s (failures %d/%d)\n"
		 "• Last backup: %s (%s, age %s)\n"
		 "• Last verified: %s%s%s\n• Next backup: %s\n"
		 "• Backups on volume: %d (%d valid, %d failed)\n"
		 "• Free space: %lld MiB\n• Undelivered alerts: %d\n",
		 st->health[0] ? st->health : "unknown", st->failures,
		 st->max_failures,
		 st->last_valid.present ? st->last_valid.file : "none",
		 st->last_valid.present ? st->last_valid.status : "-", a,
		 st->last_verified.present ? st->last_verified.file : "never",
		 st->last_verified.present ? " at " : "",
		 st->last_verified.verified_at,
		 st->next_backup > 0 ? tm_human(st->next_backup, nb) : "off",
		 st->backups, st->backups_valid, st->backups_failed,
		 (long long)(st->free_bytes >> 20), st->alerts_undelivered);
	alert_emit(ALERT_INFO, "daily-summary", "Daily Summary",
		   well ? "All well: the database is healthy and backed up"
			: "Attention needed: see the details",
		   details);
}

/* The archive falling behind with nothing failing (an archive_command
 * that hangs, a server that stopped archiving): silence, not an error. */
static void check_archive_lag(struct deadman *dm, const struct pgw_config *c,
			      const struct pgw_status *st)
{
	const struct status_archive *a = &st->archive;
	bool behind = c->wal_archive_max_lag > 0 && a->lag_s >= 0 &&
		      a->lag_s > c->wal_archive_max_lag;
	char msg[512];

	if (first_of_episode(&dm->lag_told, behind)) {
		snprintf(msg, sizeof(msg),
			 "The WAL archive is %lld s (%lld bytes) behind the "
			 "server (limit %d s); the last file archived is %s. "
			 "Commits since then are not in the archive yet.",
			 (long long)a->lag_s, (long long)a->lag_bytes,
			 c->wal_archive_max_lag,
			 a->last_wal[0] ? a->last_wal : "none");
		alert_emit(ALERT_CRITICAL, "wal-archive-stale", "WAL Archive",
			   msg,
			   "Check: pg_stat_archiver, the server log "
			   "(wal-push lines).\n");
	}
}

/* No base backup for too long: the chain a physical recovery replays,
 * and so its time, grows with every day of WAL. */
static void check_base_age(struct deadman *dm, const struct pgw_config *c,
			   const struct pgw_status *st)
{
	long age = status_base_age(st);
	long eff = age >= 0 ? age : (long)(st->now - dm->started);
	bool stale = c->base_backup_max_age > 0 &&
		     strcmp(c->base_backup_schedule, "off") != 0 &&
		     strcmp(c->wal_archive, "on") == 0 &&
		     eff > c->base_backup_max_age;
	char msg[512], a[32], qa[300];

	if (first_of_episode(&dm->base_told, stale)) {
		age_text(age, a, sizeof(a));
		snprintf(msg, sizeof(msg),
			 "No base backup for more than %d h: the newest "
			 "usable one is %s (age %s)",
			 c->base_backup_max_age / 3600,
			 st->archive.base_file[0] ? st->archive.base_file
						  : "none",
			 a);
		snprintf(
			qa, sizeof(qa),
			"Quick Actions:\nkubectl exec %s -c backupper -- touch "
			"/backups/request-basebackup",
			c->kube_workload);
		alert_emit(ALERT_CRITICAL, "base-backup-stale", "Base Backup",
			   msg, qa);
	}
}

void deadman_round(struct deadman *dm, const struct pgw_config *c,
		   struct health_state *s)
{
	struct pgw_status st;

	status_collect(c, &st);
	check_stale(dm, c, s, &st);
	check_future(dm, &st);
	check_sidecars(dm, c, &st);
	check_requests(dm, c, &st);
	check_pause(dm, &st);
	check_archive_lag(dm, c, &st);
	check_base_age(dm, c, &st);
	if (sched_due(&dm->summary_timer, &dm->summary, st.now))
		send_summary(&st);
	if (status_write_metrics(c->backup_dir, &st) < 0)
		log_warn("unable to write '%s'", PROTO_METRICS);
}
