/* pgwarden-monitor: health checks (health.h), the server log (logtail.h),
 * recovery requests, alert delivery (deliver.h), the dead man's switch and
 * metrics (deadman.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "attrib.h"
#include "daemon.h"
#include "deadman.h"
#include "deliver.h"
#include "exitcode.h"
#include "fs.h"
#include "health.h"
#include "log.h"
#include "logtail.h"
#include "notify.h"
#include "pgenv.h"
#include "dbcheck_run.h"
#include "proto.h"
#include "sig.h"
#include "tm.h"

/* At most one alert per pattern a minute; the next one says how many. */
#define INDICATOR_ALERT_GAP 60

struct monitor {
	struct daemon d;
	struct health_state s;
	struct patterns pats;
	struct logtail tail;
	struct deadman dm;
	struct deliverer *deliver;
	struct attrib_held held;
};

/* A CRITICAL indicator: a reason to recover unless it is about another
 * database than the protected one. */
static void indicator_decide(struct monitor *m, const char *line, long oid)
{
	const char *target = pg_target_db(&m->d.cfg);
	char db[128];

	if (oid > 0 && dbcheck_db_name(&m->d.cfg, oid, db, sizeof(db)) == 0 &&
	    strcmp(db, target) != 0) {
		log_warn("the corruption is in database '%s', not in '%s': no "
			 "recovery",
			 db, target);
		return;
	}
	health_indicator(&m->d.cfg, &m->s, line);
}

static void on_log_line(void *arg, const char *line)
{
	struct monitor *m = arg;
	struct pattern *p = patterns_match(&m->pats, line);
	char msg[512];
	time_t now = tm_now();
	long oid = attrib_db_oid(line), pid = attrib_pid(line);

	/* the backend that logged a held indicator now names the relation */
	if (m->held.active && oid > 0 && pid == m->held.pid) {
		m->held.active = false;
		if (!p || p->severity != ALERT_CRITICAL)
			indicator_decide(m, m->held.line, oid);
	}
	if (!p)
		return;
	log_warn("server log matches '%s' (%s): %s", p->name, p->text, line);
	if (now - p->last_alert >= INDICATOR_ALERT_GAP) {
		char details[1024];
		snprintf(msg, sizeof(msg),
			 "Corruption indicator in the PostgreSQL log: %s%s",
			 p->name, p->suppressed ? ", repeated" : "");
		if (p->suppressed)
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
				 " %d more times since the last alert",
				 p->suppressed);
		snprintf(details, sizeof(details),
			 "Log line: %.700s\nPattern: %s", line, p->text);
		alert_emit(p->severity, "corruption-indicator",
			   "Database Alert", msg, details);
		p->last_alert = now;
		p->suppressed = 0;
	} else {
		p->suppressed++;
	}
	if (p->severity != ALERT_CRITICAL)
		return;
	if (oid == 0 && pid > 0 && !m->held.active)
		attrib_hold(&m->held, line, pid);
	else
		indicator_decide(m, line, oid);
}

static void load_patterns(struct monitor *m, bool at_start)
{
	struct patterns next;
	char err[512];

	if (patterns_load(m->d.cfg.patterns_file, &next, err, sizeof(err)) <
	    0) {
		if (at_start)
			fatalx(PGW_EXIT_CONFIG, "configuration error: %s", err);
		log_error("reload: keeping the old patterns: %s", err);
		return;
	}
	patterns_free(&m->pats);
	m->pats = next;
}

static void open_log(struct monitor *m)
{
	char path[PATH_MAX];

	if (m->d.cfg.server_log[0])
		snprintf(path, sizeof(path), "%s", m->d.cfg.server_log);
	else
		fs_join(path, m->d.cfg.backup_dir, PROTO_SERVER_LOG);
	logtail_open(&m->tail, path, &m->d.watch);
}

/* The backups directory became unsafe: no alert file there can be
 * trusted to be delivered, so people are told directly. */
static void on_dir_unsafe(struct daemon *d, const char *why)
{
	struct monitor *m = (struct monitor *)d; /* d is its first member */
	char msg[1024];

	snprintf(msg, sizeof(msg),
		 "The backups directory changed while running (%s). Every "
		 "sidecar stops writing there; nothing is backed up or "
		 "recovered until it is fixed.",
		 why);
	deliver_direct(m->deliver, &d->cfg, ALERT_CRITICAL,
		       "backups-dir-unsafe", msg);
}

int main(int argc, char **argv)
{
	static struct monitor m = {.d = {.name = "monitor",
					 .main_log = LOG_HEALTH,
					 .dir_unsafe = on_dir_unsafe}};
	struct check_result r;
	int64_t next = 0;

	daemon_start(&m.d, argc, argv);
	load_patterns(&m, true);
	m.deliver = deliver_start(&m.d.cfg);
	deadman_init(&m.dm, &m.d.cfg);
	if (health_state_load(m.d.cfg.backup_dir, &m.s) < 0) {
		log_error("'%s' is malformed: ignored and reset",
			  PROTO_MONITOR_STATE);
		alert_emit(ALERT_WARNING, "state-reset", "Database Monitor",
			   "The monitor's state file was malformed and has "
			   "been reset",
			   NULL);
	}
	open_log(&m);
	while (!sig_stop) {
		if (sig_reload && daemon_reload(&m.d)) {
			deliver_stop(m.deliver);
			m.deliver = deliver_start(&m.d.cfg);
			deadman_init(&m.dm, &m.d.cfg);
			load_patterns(&m, false);
			logtail_close(&m.tail, &m.d.watch);
			open_log(&m);
		}
		logtail_poll(&m.tail, &m.d.watch, on_log_line, &m);
		const char *held = attrib_expired(&m.held, tm_mono_ms());
		if (held)
			indicator_decide(&m, held, 0);
		if (tm_mono_ms() >= next) {
			next = tm_mono_ms() +
			       (int64_t)m.d.cfg.health_check_interval * 1000;
			int64_t t0 = tm_mono_ms();
			health_check(&m.d.cfg, &m.s, &r);
			r.latency_ms = tm_mono_ms() - t0;
			health_decide(&m.d.cfg, &m.s, &r);
			deadman_round(&m.dm, &m.d.cfg, &m.s);
			health_state_save(m.d.cfg.backup_dir, &m.s);
			health_status_write(m.d.cfg.backup_dir, &m.s, &r,
					    &m.d.cfg);
		}
		/* inotify wakes us for the log; the second is a safety net */
		int64_t wake = next - tm_mono_ms();
		daemon_wait(&m.d, (int)(wake < 1000 ? wake : 1000));
	}
	deliver_stop(m.deliver);
	logtail_close(&m.tail, &m.d.watch);
	patterns_free(&m.pats);
	daemon_stop(&m.d);
	notify_global_cleanup();
	return PGW_EXIT_OK;
}
