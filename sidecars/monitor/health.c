#include "health.h"

#include <iniparser/iniparser.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "alert.h"
#include "archwatch.h"
#include "fs.h"
#include "log.h"
#include "pause.h"
#include "pgenv.h"
#include "dbcheck_run.h"
#include "proto.h"
#include "status.h"
#include "tm.h"
#include "server_status.h"
#include "monitor_status.h"

static bool fail(struct check_result *r, enum check_class cls, const char *fmt,
		 const char *detail)
{
	snprintf(r->what, sizeof(r->what), fmt, detail);
	r->ok = false;
	r->cls = cls;
	return false;
}

/* A server that pgwarden-db is restarting (crash recovery after a kill -9)
 * is not sick yet; one stuck there turns into state "failed", or its
 * heartbeat stops. */
static bool server_restarting(const char *dir)
{
	struct server_info si;

	server_status_read(dir, &si);
	return si.age >= 0 && si.age <= SERVER_STATUS_FRESH &&
	       (strcmp(si.state, "starting") == 0 ||
		strcmp(si.state, "restarting") == 0);
}

void health_check(const struct pgw_config *c, struct health_state *s,
		  struct check_result *r)
{
	struct dbcheck_result p;

	memset(r, 0, sizeof(*r));
	r->ok = true;
	s->archive_on = -1;
	s->lag.bytes = s->lag.seconds = -1;
	if (dbcheck_run(c, &p) < 0) {
		fail(r, p.cls, "%s", p.what);
		return;
	}
	r->connected = p.connected;
	if (!p.ping) {
		fail(r, CHECK_DOWN, "%s",
		     "connection failed (server not answering)");
		r->restarting = server_restarting(c->backup_dir);
		return;
	}
	if (!p.ok) {
		fail(r, p.cls, "%s", p.what);
		return;
	}
	archive_watch(c->backup_dir, s, &p);
	s->archive_on = p.archive_on;
	snprintf(s->archived_wal, sizeof(s->archived_wal), "%s",
		 p.archived_wal);
	s->archived_at = p.archived_at;
	archive_lag_update(&s->lag, &p, tm_now());
	if (p.checksum_failures < 0) /* not available: not a failure */
		return;
	if (s->checksum_failures >= 0 &&
	    p.checksum_failures > s->checksum_failures) {
		char d[64];
		snprintf(d, sizeof(d), "%lld",
			 (long long)(p.checksum_failures -
				     s->checksum_failures));
		fail(r, CHECK_CHECKSUM, "data checksum failures grew by %s", d);
	}
	s->checksum_failures = p.checksum_failures;
}

static void request_recovery(const struct pgw_config *c, struct health_state *s,
			     const struct check_result *r)
{
	char msg[512], details[1200], last[TM_ISO_LEN], any[128], req[700],
		why[600];
	time_t now = tm_now(), prev;

	if (pause_active(c->backup_dir)) {
		log_warn("paused: %d failed checks, no recovery requested "
			 "(pgwarden resume)",
			 s->failures);
		return;
	}
	/* Asked already and not claimed yet: writing it again would restart
	 * the restorer's settle wait (a request must be quiet before it is
	 * claimed), so with a short cooldown and a busy server log a monitor
	 * could keep a recovery from ever starting, and alert every check. */
	if (proto_request_pending(c->backup_dir, PROTO_REQ_RESTORE)) {
		log_warn("%d failed checks: a recovery request already waits "
			 "for the restorer",
			 s->failures);
		s->alerted_down = true;
		return;
	}
	/* the last recovery of any kind (a manual one too), and the last this
	 * monitor asked for (what the cooldown counts from) */
	status_recovery_last(c->backup_dir, any, sizeof(any));
	snprintf(details, sizeof(details),
		 "Health Status:\n• Database Connection: %s\n• Failure Count: "
		 "%d/%d\n"
		 "• Last Recovery: %s\n• Last automatic request: %s\n• Last "
		 "check: %s\n\nQuick Actions:\n"
		 "kubectl logs %s -c monitor --tail=20\nkubectl exec %s -c "
		 "monitor -- pgwarden status\nkubectl get pods -l app=db\n",
		 r->connected ? "✅ OK" : "❌ Failed", s->failures,
		 c->max_failure_count, any[0] ? any : "Never",
		 s->last_recovery ? tm_human(s->last_recovery, last) : "Never",
		 r->what, c->kube_workload, c->kube_workload);
	if (s->last_recovery && now - s->last_recovery < c->recovery_cooldown) {
		snprintf(msg, sizeof(msg),
			 "Database health check failed %d times, but automatic "
			 "recovery is suppressed "
			 "by the cooldown (%d s since the last recovery, "
			 "cooldown %d s)",
			 s->failures, (int)(now - s->last_recovery),
			 c->recovery_cooldown);
		/* one message per outage, not one every N checks */
		if (!s->alerted_suppressed)
			alert_emit(ALERT_CRITICAL, "recovery-suppressed",
				   "Database Alert", msg, details);
		else
			log_warn("%s", msg);
		s->alerted_down = s->alerted_suppressed = true;
		return;
	}
	snprintf(msg, sizeof(msg),
		 "Database health check failed %d times, triggering automatic "
		 "recovery",
		 s->failures);
	snprintf(why, sizeof(why),
		 "monitor: %d consecutive failed checks, last: %.400s",
		 s->failures, r->what);
	proto_restore_request(req, sizeof(req), NULL, why);
	/* the cooldown starts before the request exists: a monitor killed
	 * right after writing it must find the cooldown at its restart */
	prev = s->last_recovery;
	s->last_recovery = now;
	health_state_save(c->backup_dir, s);
	if (proto_request_write(c->backup_dir, PROTO_REQ_RESTORE, req) < 0) {
		log_error("unable to write '%s': %s", PROTO_REQ_RESTORE,
			  strerror(errno));
		s->last_recovery = prev;
		health_state_save(c->backup_dir, s);
		return;
	}
	s->alerted_down = true;
	alert_emit(ALERT_CRITICAL, "recovery-requested", "Database Alert", msg,
		   details);
}

/* Straight to the threshold: request (or be refused by the cooldown). */
static void trigger(const struct pgw_config *c, struct health_state *s,
		    const struct check_result *r)
{
	s->failures = c->max_failure_count;
	s->suspect = false;
	request_recovery(c, s, r);
}

void health_indicator(const struct pgw_config *c, struct health_state *s,
		      const char *line)
{
	struct check_result r = {
		.ok = false, .connected = s->last_ok, .cls = CHECK_BROKEN};

	if (strcmp(c->corruption_policy, "alert-only") == 0 ||
	    proto_recovery_active(c->backup_dir))
		return;
	snprintf(r.what, sizeof(r.what), "server log: %.480s", line);
	if (strcmp(c->corruption_policy, "immediate") == 0 || !s->last_ok) {
		log_warn("corruption indicator%s: asking for recovery",
			 s->last_ok ? "" : " confirmed by the failing check");
		trigger(c, s, &r);
		return;
	}
	s->suspect = true;
	log_warn("corruption indicator in the server log: waiting for a check "
		 "to confirm it");
}

/* "Recovered" means the data is back: only a restore from a backup is
 * verified, against what its manifest promised; a reset or a failure has
 * its own CRITICAL from the restorer and gets no SUCCESS here. */
static void recovery_ended(const struct pgw_config *c, struct health_state *s,
			   const struct check_result *r, const char *result,
			   const char *backup)
{
	char why[512];

	s->alerted_down = !r->ok;
	if (strcmp(result, "restored") != 0 || !backup[0]) {
		log_warn("recovery ended with result '%s': not verified as "
			 "recovered",
			 result[0] ? result : "unknown");
		return;
	}
	if (!r->ok) {
		alert_emit(ALERT_CRITICAL, "recovery-unhealthy",
			   "Database Alert",
			   "Recovery finished but the database is still "
			   "unhealthy",
			   r->what);
		return;
	}
	if (dbcheck_restored(c, backup, why, sizeof(why)) < 0) {
		s->alerted_down = true;
		alert_emit(ALERT_CRITICAL, "recovery-unhealthy",
			   "Database Alert",
			   "Recovery finished but the database does not hold "
			   "what the backup promised",
			   why);
		return;
	}
	alert_emit(ALERT_SUCCESS, "recovery-verified", "Database Alert",
		   "Recovery finished: the database passes every check and "
		   "holds what the backup promised",
		   backup);
}

/* A failure that a restore would not mend: told once per episode, never
 * counted, and the count of real failures is left as it was. */
static void note_uncounted(const struct pgw_config *c, struct health_state *s,
			   const struct check_result *r)
{
	const struct check_class_info *ci = check_class_info(r->cls);

	log_warn("health check not passed (%s, not counted towards a "
		 "recovery, failures stay %d/%d): %s",
		 ci->name, s->failures, c->max_failure_count, r->what);
	if (s->notice == r->cls)
		return;
	s->notice = r->cls;
	alert_emit(ci->sev, ci->alert_event, "Database Alert", ci->alert_prefix,
		   r->what);
}

void health_decide(const struct pgw_config *c, struct health_state *s,
		   const struct check_result *r)
{
	bool recovering = proto_recovery_active(c->backup_dir);
	char result[32], backup[256];
	int total;

	/* a recovery ended when the restorer recorded one more: a quick one
	 * may start and end between two checks */
	status_recovery_read(c->backup_dir, result, sizeof(result), backup,
			     sizeof(backup), &total);
	if (s->recoveries_seen < 0)
		s->recoveries_seen = total;
	if (recovering) {
		s->failures = 0;
		log_info("recovery in progress: failures are not counted");
		return;
	}
	if (total != s->recoveries_seen) {
		s->recoveries_seen = total;
		recovery_ended(c, s, r, result, backup);
	}
	s->passed_in_row = r->ok ? s->passed_in_row + 1 : 0;
	if (!r->ok && !check_class_info(r->cls)->counts) {
		note_uncounted(c, s, r);
		return;
	}
	if (s->notice != CHECK_OK) {
		log_info("health check: '%s' is over",
			 check_class_info(s->notice)->name);
		s->notice = CHECK_OK;
	}
	s->last_ok = r->ok;
	if (s->suspect && !r->ok) {
		log_warn(
			"corruption indicator confirmed by a failing check: %s",
			r->what);
		trigger(c, s, r);
		return;
	}
	if (r->ok) {
		if (s->suspect)
			log_info("corruption indicator not confirmed: the "
				 "database passes every check");
		s->suspect = false;
		if (s->failures > 0)
			log_info("database healthy again after %d failed "
				 "check(s)",
				 s->failures);
		if (s->alerted_down)
			alert_emit(ALERT_SUCCESS, "database-healthy",
				   "Database Alert",
				   "The database passes every check again",
				   NULL);
		s->alerted_down = s->alerted_suppressed = false;
		s->failures = 0;
		return;
	}
	if (r->restarting) {
		log_info("server is being restarted by pgwarden-db (crash "
			 "recovery): not counted as a failure");
		return;
	}
	s->failures++;
	log_warn("health check failed (%d/%d): %s", s->failures,
		 c->max_failure_count, r->what);
	/* at N failures, and again every N more while it stays down */
	if (s->failures % c->max_failure_count == 0)
		request_recovery(c, s, r);
}

static void state_reset(struct health_state *s)
{
	memset(s, 0, sizeof(*s));
	s->checksum_failures = -1;
	s->last_ok = true;
	s->recoveries_seen = -1;
}

int health_state_load(const char *dir, struct health_state *s)
{
	char path[PATH_MAX], *end;
	dictionary *d;
	const char *f, *lr;
	int rc = 0;

	state_reset(s);
	if (fs_size(dir, PROTO_MONITOR_STATE) < 0)
		return 0;
	d = iniparser_load(fs_join(path, dir, PROTO_MONITOR_STATE));
	f = ini_get(d, "state:failures", NULL);
	lr = ini_get(d, "state:last_recovery", NULL);
	if (!f || !lr || (s->failures = (int)strtol(f, &end, 10)) < 0 || *end ||
	    (strcmp(lr, "never") != 0 &&
	     tm_parse_iso(lr, &s->last_recovery) < 0)) {
		state_reset(s);
		rc = -1;
	} else {
		s->checksum_failures =
			(int)ini_get_int(d, "state:checksum_failures", -1);
		s->recoveries_seen =
			(int)ini_get_int(d, "state:recoveries_seen", -1);
		s->alerted_down = ini_get_bool(d, "state:alerted_down", 0);
		s->alerted_suppressed =
			ini_get_bool(d, "state:alerted_suppressed", 0);
		s->backup_stale = ini_get_bool(d, "state:backup_stale", 0);
	}
	if (d)
		iniparser_freedict(d);
	return rc;
}

void health_state_save(const char *dir, const struct health_state *s)
{
	char buf[512], t[TM_ISO_LEN];

	snprintf(
		buf, sizeof(buf),
		"[state]\nfailures = %d\nlast_recovery = "
		"%s\nchecksum_failures = %lld\n"
		"recoveries_seen = %d\nalerted_down = %s\nalerted_suppressed = "
		"%s\nbackup_stale = %s\n",
		s->failures,
		s->last_recovery ? tm_iso(s->last_recovery, t) : "never",
		(long long)s->checksum_failures, s->recoveries_seen,
		s->alerted_down ? "true" : "false",
		s->alerted_suppressed ? "true" : "false",
		s->backup_stale ? "true" : "false");
	fs_write_atomic(dir, PROTO_MONITOR_STATE, buf, strlen(buf));
}

void health_status_write(const char *dir, const struct health_state *s,
			 const struct check_result *r,
			 const struct pgw_config *c)
{
	struct monitor_heartbeat h = {.failure_count = s->failures,
				      .max_failure_count = c->max_failure_count,
				      .latency_ms = r->latency_ms,
				      .passed_in_row = s->passed_in_row,
				      .archive_on = s->archive_on,
				      .archived_at = s->archived_at,
				      .archive_lag_bytes = s->lag.bytes,
				      .archive_lag_s = s->lag.seconds};

	if (s->last_recovery)
		tm_iso(s->last_recovery, h.last_recovery);
	snprintf(h.last_class, sizeof(h.last_class), "%s",
		 check_class_info(r->cls)->name);
	snprintf(h.archived_wal, sizeof(h.archived_wal), "%s", s->archived_wal);
	snprintf(h.health, sizeof(h.health), "%s",
		 r->ok ? "healthy" : "unhealthy");
	snprintf(h.last_error, sizeof(h.last_error), "%s",
		 r->ok ? "" : r->what);
	if (monitor_status_write(dir, &h) < 0)
		log_warn("unable to write '%s': %s", PROTO_MONITOR_STATUS,
			 strerror(errno));
}
