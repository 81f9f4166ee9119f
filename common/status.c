#include "status.h"

#include <dirent.h>
#include <iniparser/iniparser.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "ini.h"
#include "alert.h"
#include "basecat.h"
#include "catalog.h"
#include "fs.h"
#include "log.h"
#include "manifest.h"
#include "monitor_status.h"
#include "proto.h"
#include "recovery_marker.h"
#include "schedule.h"
#include "server_status.h"
#include "tm.h"

/* An INI file of the protocol, or NULL when missing/unreadable. */
static dictionary *ini_load(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (fs_size(dir, name) < 0)
		return NULL;
	return iniparser_load(fs_join(path, dir, name));
}

static void copy_key(dictionary *d, const char *key, char *out, size_t cap)
{
	snprintf(out, cap, "%s", ini_get(d, key, ""));
}

static void read_monitor(const char *dir, struct pgw_status *st)
{
	struct monitor_heartbeat h;

	monitor_status_read(dir, &h);
	snprintf(st->health, sizeof(st->health), "%s", h.health);
	snprintf(st->last_check, sizeof(st->last_check), "%s", h.last_check);
	snprintf(st->last_error, sizeof(st->last_error), "%s", h.last_error);
	snprintf(st->last_recovery_request, sizeof(st->last_recovery_request),
		 "%s", h.last_recovery);
	st->failures = h.failure_count;
	st->max_failures = h.max_failure_count;
	st->check_latency_ms = (int)h.latency_ms;
	st->monitor_age = h.age;
	st->archive.on = h.archive_on;
	snprintf(st->archive.last_wal, sizeof(st->archive.last_wal), "%s",
		 h.archived_wal);
	st->archive.last_at = (time_t)h.archived_at;
	st->archive.lag_bytes = h.archive_lag_bytes;
	st->archive.lag_s = h.archive_lag_s;
}

static void read_bases(const char *dir, struct status_archive *a)
{
	struct base_entry *l;
	int n = basecat_scan(dir, &l);

	a->bases = n > 0 ? n : 0;
	for (int i = 0; i < n; i++) {
		if (!l[i].usable)
			continue;
		if (!a->bases_usable++) {
			snprintf(a->base_file, sizeof(a->base_file), "%s",
				 l[i].file);
			a->base_when = l[i].finished;
		}
	}
	free(l);
	archive_status_read(dir, &a->chain);
}

static void read_recovery(const char *dir, struct pgw_status *st)
{
	struct recovery_marker m;
	dictionary *d;

	st->recovering = recovery_marker_read_live(dir, &m) == 1;
	st->recovery_stale = !st->recovering && proto_recovery_exists(dir);
	if (st->recovering) {
		snprintf(st->recovery_phase, sizeof(st->recovery_phase), "%s",
			 m.phase);
		snprintf(st->recovery_started, sizeof(st->recovery_started),
			 "%s", m.started);
		snprintf(st->recovery_backup, sizeof(st->recovery_backup), "%s",
			 m.backup);
	}
	d = ini_load(dir, PROTO_RESTORER_STATUS);
	copy_key(d, "recovery:last_at", st->last_recovery_at,
		 sizeof(st->last_recovery_at));
	copy_key(d, "recovery:result", st->last_recovery_result,
		 sizeof(st->last_recovery_result));
	copy_key(d, "recovery:backup", st->last_recovery_backup,
		 sizeof(st->last_recovery_backup));
	st->last_recovery_rto_ms = (int)ini_get_int(d, "recovery:rto_ms", -1);
	st->recoveries_total = (int)ini_get_int(d, "recovery:total", 0);
	if (d)
		iniparser_freedict(d);
}

static void fill_backup(const struct catalog_entry *e, struct status_backup *b)
{
	memset(b, 0, sizeof(*b));
	b->present = true;
	snprintf(b->file, sizeof(b->file), "%s", e->file);
	snprintf(b->status, sizeof(b->status), "%s", e->status);
	b->when = e->taken;
	b->size = e->size;
	b->duration_ms = e->duration_ms > 0 ? e->duration_ms : 0;
	b->restore_ms = e->restore_ms;
	snprintf(b->verified_at, sizeof(b->verified_at), "%s", e->verified_at);
}

static void read_backups(const struct pgw_config *c, struct pgw_status *st)
{
	struct catalog_entry *list = NULL;
	int n = catalog_scan(c->backup_dir, &list);
	struct sched s;
	char err[256];

	for (int i = 0; i < n; i++) {
		const struct catalog_entry *e = &list[i];
		if (e->name.kind != BACKUP_DATABASE)
			continue;
		st->backups++;
		if (e->future) { /* never the newest: a wrong clock or a copy */
			if (!st->backups_future++)
				snprintf(st->future_file,
					 sizeof(st->future_file), "%s",
					 e->file);
			continue;
		}
		if (i == 0 || !st->last.present)
			fill_backup(e, &st->last);
		if (strcmp(e->status, "failed") == 0) {
			st->backups_failed++;
			if (!st->last_drill_failed.present)
				fill_backup(e, &st->last_drill_failed);
		}
		if (strcmp(e->status, "verified") == 0) {
			st->backups_verified++;
			if (!st->last_verified.present)
				fill_backup(e, &st->last_verified);
		}
		if (strcmp(e->status, "valid") == 0 ||
		    strcmp(e->status, "verified") == 0) {
			st->backups_valid++;
			if (!st->last_valid.present)
				fill_backup(e, &st->last_valid);
		}
	}
	free(list);
	st->next_backup = -1;
	if (sched_parse(c->schedule, &s, err, sizeof(err)) == 0)
		st->next_backup = sched_next(&s, st->now);
}

/* Counting alerts opens every alert file: a long-running caller (the
 * monitor, at every check) counts at most every ALERT_COUNT_EVERY_MS, so
 * a backlog of 10,000 files costs little CPU; a CLI run counts afresh. */
#define ALERT_COUNT_EVERY_MS 30000

static void count_alerts(const char *dir, struct pgw_status *st);

static void read_alerts(const char *dir, struct pgw_status *st)
{
	static struct {
		char dir[PATH_MAX];
		int64_t at_ms;
		int total, pending, undelivered;
	} last;
	int64_t now = tm_mono_ms();

	if (last.at_ms && now - last.at_ms < ALERT_COUNT_EVERY_MS &&
	    strcmp(last.dir, dir) == 0) {
		st->alerts_total = last.total;
		st->alerts_pending = last.pending;
		st->alerts_undelivered = last.undelivered;
		return;
	}
	count_alerts(dir, st);
	snprintf(last.dir, sizeof(last.dir), "%s", dir);
	last.at_ms = now;
	last.total = st->alerts_total;
	last.pending = st->alerts_pending;
	last.undelivered = st->alerts_undelivered;
}

static void count_alerts(const char *dir, struct pgw_status *st)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct alert_rec *a = malloc(sizeof(*a));
	char err[300];

	while (d && a && (de = readdir(d)) != NULL) {
		if (!alert_is_name(de->d_name) ||
		    alert_read(dir, de->d_name, a, err, sizeof(err)) < 0)
			continue;
		st->alerts_total++;
		if (!a->delivery[0])
			st->alerts_pending++;
		else if (strncmp(a->delivery, "undelivered", 11) == 0)
			st->alerts_undelivered++;
	}
	free(a);
	if (d)
		closedir(d);
}

const char *const status_sidecar_names[SC_N] = {"monitor", "backupper",
						"restorer", "db"};

static void read_sidecars(const char *dir, struct pgw_status *st)
{
	for (int i = 0; i < SC_N; i++) {
		enum instance_state is =
			proto_instance_state(dir, status_sidecar_names[i]);
		/* stopped on purpose, or never run: not a problem */
		st->sidecar_known[i] = is == INSTANCE_UP || is == INSTANCE_DOWN;
		st->sidecar_up[i] = is == INSTANCE_UP;
	}
}

/* A request waits while its consumer runs a job (a backup coalesces the
 * next one); left past the bound with the consumer down or idle, nobody
 * is going to take it. */
static void read_requests(const char *dir, long bound, struct pgw_status *st)
{
	static const struct {
		const char *name;
		enum status_sidecar by;
	} reqs[] = {{PROTO_REQ_BACKUP, SC_BACKUPPER},
		    {PROTO_REQ_RESTORE, SC_RESTORER},
		    {PROTO_REQ_VERIFY, SC_RESTORER},
		    {PROTO_REQ_REINIT, SC_DB},
		    {PROTO_REQ_BASEBACKUP, SC_BACKUPPER},
		    {PROTO_REQ_PHYSICAL, SC_DB}};
	bool busy = fs_lock_held(dir, PROTO_LOCK_JOBS);

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		long age = fs_age(dir, reqs[i].name);
		size_t o = strlen(st->requests_stale_names);
		if (age < bound || (st->sidecar_up[reqs[i].by] && busy))
			continue;
		st->requests_stale++;
		snprintf(st->requests_stale_names + o,
			 sizeof(st->requests_stale_names) - o, "%s%s",
			 o ? ", " : "", reqs[i].name);
	}
}

void status_collect(const struct pgw_config *c, struct pgw_status *st)
{
	struct statvfs vfs;

	memset(st, 0, sizeof(*st));
	st->now = tm_now();
	read_monitor(c->backup_dir, st);
	read_sidecars(c->backup_dir, st);
	pause_read(c->backup_dir, &st->pause);
	progress_read(c->backup_dir, &st->job);
	if (!st->pause.active) /* paused, requests wait on purpose */
		read_requests(c->backup_dir, c->sidecar_timeout, st);
	{
		struct server_info si;
		server_status_read(c->backup_dir, &si);
		snprintf(st->server_state, sizeof(st->server_state), "%s",
			 si.state);
		st->server_restarts = si.restarts;
		st->server_since = si.since;
	}
	read_backups(c, st);
	read_bases(c->backup_dir, &st->archive);
	read_recovery(c->backup_dir, st);
	read_alerts(c->backup_dir, st);
	st->free_bytes = st->total_bytes = -1;
	if (statvfs(c->backup_dir, &vfs) == 0) {
		st->free_bytes = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
		st->total_bytes = (int64_t)vfs.f_blocks * (int64_t)vfs.f_frsize;
	}
}

long status_backup_age(const struct pgw_status *st)
{
	return st->last_valid.present ? (long)(st->now - st->last_valid.when)
				      : -1;
}

long status_base_age(const struct pgw_status *st)
{
	return st->archive.base_when > 0
		       ? (long)(st->now - st->archive.base_when)
		       : -1;
}

/* Appends "# HELP/# TYPE" and one sample. */
static size_t metric(char *buf, size_t cap, size_t o, const char *name,
		     const char *type, const char *help, const char *labels,
		     double value)
{
	int n = snprintf(buf + o, o < cap ? cap - o : 0,
			 "# HELP %s %s\n# TYPE %s %s\n%s%s %.17g\n", name, help,
			 name, type, name, labels, value);
	return o + (n > 0 ? (size_t)n : 0);
}

static double verified_ts(const struct status_backup *b)
{
	time_t t;

	return b->present && tm_parse_iso(b->verified_at, &t) == 0 ? (double)t
								   : 0;
}

/* The physical path's samples; an unknown value has none. */
static size_t archive_metrics(char *buf, size_t cap, size_t o,
			      const struct status_archive *a)
{
	if (a->lag_s >= 0)
		o = metric(buf, cap, o, "pgwarden_wal_archive_lag_seconds",
			   "gauge",
			   "Since the oldest write the WAL archive lacks.", "",
			   (double)a->lag_s);
	if (a->lag_bytes >= 0)
		o = metric(buf, cap, o, "pgwarden_wal_archive_lag_bytes",
			   "gauge",
			   "WAL written past the last archived segment.", "",
			   (double)a->lag_bytes);
	o = metric(buf, cap, o, "pgwarden_wal_last_archived_timestamp_seconds",
		   "gauge", "When the last WAL file was archived (0: never).",
		   "", (double)a->last_at);
	if (a->chain.chain[0])
		o = metric(buf, cap, o, "pgwarden_wal_archive_gap", "gauge",
			   "1 while no base backup reaches the archive's end.",
			   "", strcmp(a->chain.chain, "broken") == 0);
	o = metric(buf, cap, o, "pgwarden_last_base_backup_timestamp_seconds",
		   "gauge", "End of the newest usable base backup (0: none).",
		   "", (double)a->base_when);
	return metric(buf, cap, o, "pgwarden_base_backups", "gauge",
		      "Usable base backups on the volume.", "",
		      a->bases_usable);
}

int status_write_metrics(const char *dir, const struct pgw_status *st)
{
	char buf[12288], lbl[160];
	size_t o = 0;
	const struct status_backup *v = &st->last_valid;
	bool healthy = strcmp(st->health, "healthy") == 0;

	o = metric(buf, sizeof(buf), o,
		   "pgwarden_last_backup_timestamp_seconds", "gauge",
		   "Start of the newest valid backup (0: none).", "",
		   v->present ? (double)v->when : 0);
	o = metric(buf, sizeof(buf), o, "pgwarden_last_backup_size_bytes",
		   "gauge", "Size of the newest valid backup file.", "",
		   v->present ? (double)v->size : 0);
	o = metric(buf, sizeof(buf), o, "pgwarden_last_backup_duration_seconds",
		   "gauge", "Duration of the newest valid backup.", "",
		   v->present ? (double)v->duration_ms / 1000.0 : 0);
	o = metric(buf, sizeof(buf), o, "pgwarden_last_backup_success", "gauge",
		   "1 when the newest backup file is valid or verified.", "",
		   st->last.present &&
			   (strcmp(st->last.status, "valid") == 0 ||
			    strcmp(st->last.status, "verified") == 0));
	snprintf(lbl, sizeof(lbl), "{status=\"valid\"}");
	o = metric(buf, sizeof(buf), o, "pgwarden_backups", "gauge",
		   "Database backups on the volume by manifest status.", lbl,
		   st->backups_valid - st->backups_verified);
	o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			      "pgwarden_backups{status=\"verified\"} %d\n"
			      "pgwarden_backups{status=\"failed\"} %d\n",
			      st->backups_verified, st->backups_failed);
	o = metric(buf, sizeof(buf), o,
		   "pgwarden_last_verification_timestamp_seconds", "gauge",
		   "When the newest verified backup passed its restore drill.",
		   "", verified_ts(&st->last_verified));
	o = metric(buf, sizeof(buf), o,
		   "pgwarden_last_verification_restore_seconds", "gauge",
		   "Restore time of the newest verified backup (RTO).", "",
		   st->last_verified.present &&
				   st->last_verified.restore_ms >= 0
			   ? (double)st->last_verified.restore_ms / 1000.0
			   : 0);
	o = metric(buf, sizeof(buf), o, "pgwarden_health_up", "gauge",
		   "1 when the last health check passed.", "", healthy);
	o = metric(buf, sizeof(buf), o, "pgwarden_health_check_latency_seconds",
		   "gauge", "Duration of the last health check round.", "",
		   st->check_latency_ms >= 0
			   ? (double)st->check_latency_ms / 1000.0
			   : 0);
	o = metric(buf, sizeof(buf), o, "pgwarden_health_failure_count",
		   "gauge", "Consecutive failed health checks.", "",
		   st->failures);
	o = metric(buf, sizeof(buf), o, "pgwarden_recovery_in_progress",
		   "gauge", "1 while recovery-in-progress exists.", "",
		   st->recovering);
	o = metric(buf, sizeof(buf), o, "pgwarden_recoveries_total", "counter",
		   "Recoveries finished by the restorer.", "",
		   st->recoveries_total);
	o = metric(buf, sizeof(buf), o, "pgwarden_alerts_undelivered", "gauge",
		   "Alert files whose delivery gave up.", "",
		   st->alerts_undelivered);
	o = metric(buf, sizeof(buf), o, "pgwarden_alerts_pending", "gauge",
		   "Alert files not yet delivered.", "", st->alerts_pending);
	o = metric(buf, sizeof(buf), o, "pgwarden_backups_free_bytes", "gauge",
		   "Free space on the backups volume.", "",
		   (double)st->free_bytes);
	o = archive_metrics(buf, sizeof(buf), o, &st->archive);
	if (o >= sizeof(buf))
		return -1;
	return fs_write_atomic(dir, PROTO_METRICS, buf, o);
}

void status_recovery_write(const char *dir, const char *result,
			   const char *backup, int64_t rto_ms,
			   const char *reason)
{
	dictionary *d = ini_load(dir, PROTO_RESTORER_STATUS);
	int total = (int)ini_get_int(d, "recovery:total", 0);
	char buf[1024], t[TM_ISO_LEN], why[300];

	if (d)
		iniparser_freedict(d);
	snprintf(why, sizeof(why), "%s", reason ? reason : "");
	for (char *p = why; *p; p++)
		if (*p == '\n' || *p == '"')
			*p = ' ';
	snprintf(buf, sizeof(buf),
		 "[recovery]\nlast_at = %s\nresult = %s\nbackup = %s\n"
		 "rto_ms = %lld\nreason = \"%s\"\ntotal = %d\n",
		 tm_iso(tm_now(), t), result, backup ? backup : "",
		 (long long)rto_ms, why, total + 1);
	fs_write_atomic(dir, PROTO_RESTORER_STATUS, buf, strlen(buf));
}

void status_recovery_last(const char *dir, char *out, size_t cap)
{
	dictionary *d = ini_load(dir, PROTO_RESTORER_STATUS);
	char at[64] = "", result[32] = "";

	copy_key(d, "recovery:last_at", at, sizeof(at));
	copy_key(d, "recovery:result", result, sizeof(result));
	if (d)
		iniparser_freedict(d);
	snprintf(out, cap, "%s%s%s", at, at[0] ? " " : "", at[0] ? result : "");
}

int status_recovery_read(const char *dir, char *result, size_t rcap,
			 char *backup, size_t bcap, int *total)
{
	dictionary *d = ini_load(dir, PROTO_RESTORER_STATUS);

	copy_key(d, "recovery:result", result, rcap);
	copy_key(d, "recovery:backup", backup, bcap);
	*total = (int)ini_get_int(d, "recovery:total", 0);
	if (!d)
		return -1;
	iniparser_freedict(d);
	return 0;
}
