#include "recover.h"

#include <errno.h>
#include <iniparser/iniparser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "catalog.h"
#include "fs.h"
#include "globals.h"
#include "log.h"
#include "migrate.h"
#include "pg.h"
#include "physrecover.h"
#include "proto.h"
#include "server_status.h"
#include "roles.h"
#include "status.h"
#include "tm.h"
#include "recovery_marker.h"

struct recovery {
	const struct restore_ctx *ctx;
	const char *target;
	int marker;
	int64_t t0_ms;
	char started[TM_ISO_LEN]; /* when it began, as the marker says */
	char reason[300];
	char tmp[64];
	PGconn *admin;
	const char *result; /* restored | fresh-reset, once swapped in */
	char used[256];	    /* the backup restored */
	char aside[128];    /* where the replaced database went ("" none) */
	int seen;	    /* backups of the target found, any state */
	bool server_gone;   /* lost mid-restore and not back in server_wait */
	char tried[ALERT_DETAILS_MAX - 512]; /* each backup tried, and why */
};

/* One line per backup tried, for the alert that asks for a person. */
static void note_tried(struct recovery *r, const char *file, const char *err)
{
	size_t o = strlen(r->tried);

	snprintf(r->tried + o, sizeof(r->tried) - o, "• %s: %.400s\n", file,
		 err);
}

/* What the replaced database is called: damage the monitor saw, or a
 * restore a person asked for of what may have been healthy. */
static const char *aside_kind(const struct recovery *r)
{
	return strncmp(r->reason, "monitor", 7) == 0 ||
			       strncmp(r->reason, "resumed", 7) == 0
		       ? PROTO_ASIDE_DAMAGED
		       : PROTO_ASIDE_BEFORE_RESTORE;
}

/* The marker's text for this recovery in phase (common/recovery_marker.h).
 * -1 when it does not fit. */
static int marker_text(const struct recovery *r, const char *phase,
		       const char *backup, char *buf, size_t cap)
{
	struct recovery_marker m = {.pid = (int)getpid()};

	snprintf(m.started, sizeof(m.started), "%s", r->started);
	snprintf(m.reason, sizeof(m.reason), "%s", r->reason);
	snprintf(m.database, sizeof(m.database), "%s", r->target);
	snprintf(m.backup, sizeof(m.backup), "%s", backup ? backup : "");
	snprintf(m.tmp, sizeof(m.tmp), "%s", r->tmp);
	snprintf(m.result, sizeof(m.result), "%s", r->result ? r->result : "");
	snprintf(m.phase, sizeof(m.phase), "%s", phase);
	return recovery_marker_format(&m, buf, cap);
}

static void marker_update(struct recovery *r, const char *phase,
			  const char *backup)
{
	char buf[1024];

	if (marker_text(r, phase, backup, buf, sizeof(buf)) < 0 ||
	    proto_recovery_update(r->marker, buf) < 0)
		log_warn("unable to record recovery phase '%s' in '%s'", phase,
			 PROTO_RECOVERY);
	log_info("recovery phase: %s%s%s", phase, backup ? " " : "",
		 backup ? backup : "");
}

/* The swap happened: from here on the recovery is done, whatever stops the
 * restorer. The marker says so first (a restorer killed now is not run
 * again, recover_resume_stale), then restorer.status. */
static void record_swapped(struct recovery *r, const char *result,
			   const char *used)
{
	bool first = !r->result; /* after a re-init, others follow */

	if (!first)
		return;
	r->result = result;
	snprintf(r->used, sizeof(r->used), "%s", used ? used : "");
	marker_update(r, "swapped", used);
	status_recovery_write(r->ctx->cfg->backup_dir, result, r->used,
			      tm_mono_ms() - r->t0_ms, r->reason);
	marker_update(r, "done", used);
}

int recover_check_named(const char *dir, const char *file, char *err,
			size_t errlen)
{
	struct manifest m;

	if (manifest_load_named(dir, file, &m, err, errlen) < 0)
		return -1;
	manifest_free(&m);
	return 0;
}

/* Temporary database, restore, verify, swap. 0 when db now holds the
 * backup's data. */
static int try_backup(struct recovery *r, const char *db,
		      const struct manifest *m, char *err, size_t errlen)
{
	char aside[128], stamp[32];
	struct copy_tags tags;

	copy_tags_init(&tags);
	snprintf(r->tmp, sizeof(r->tmp), "%s%s", TMP_DB_PREFIX,
		 tm_stamp(tm_now(), stamp));
	marker_update(r, "restoring", m->file);
	if (db_drop(r->admin, r->tmp, err, errlen) < 0 ||
	    db_create_like(r->admin, r->tmp, db, err, errlen) < 0)
		return -1;
	if (restore_database(r->ctx, m, r->tmp, &tags, NULL, err, errlen) < 0 ||
	    (marker_update(r, "verifying", m->file),
	     restore_verify(r->ctx, r->tmp, m, &tags, err, errlen) < 0)) {
		char e2[256];
		copy_tags_free(&tags);
		db_drop(r->admin, r->tmp, e2, sizeof(e2));
		return -1;
	}
	copy_tags_free(&tags);
	marker_update(r, "swapping", m->file);
	if (db_swap(r->admin, db, r->tmp, aside_kind(r), aside, sizeof(aside),
		    err, errlen) < 0)
		return -1;
	snprintf(r->aside, sizeof(r->aside), "%s", aside);
	record_swapped(r, "restored", m->file);
	return 0;
}

static void alert_restored(struct recovery *r, const char *db,
			   const struct manifest *m)
{
	char msg[1024], details[1024], h[TM_ISO_LEN];
	struct backup_name bn;
	double rto = (double)(tm_mono_ms() - r->t0_ms) / 1000.0;
	long age = 0;

	if (proto_backup_parse(m->file, &bn) == 0)
		age = (long)(tm_now() - bn.when);
	snprintf(msg, sizeof(msg), "Database '%s' restored from backup %s", db,
		 m->file);
	snprintf(details, sizeof(details),
		 "Recovery Details:\n• Reason: %s\n• Backup: %s (taken %s)\n"
		 "• Data age (RPO): %ldh %02ldm %02lds\n• Duration (RTO): %.1f "
		 "s\n"
		 "• Tables verified: %d, rows: %lld\n"
		 "• Previous copy: %s%s%s\n",
		 r->reason, m->file, tm_human(bn.when, h), age / 3600,
		 age / 60 % 60, age % 60, rto, m->tables,
		 (long long)m->rows_total,
		 r->aside[0] ? "kept as " : "none (the database was missing)",
		 r->aside,
		 r->aside[0] ? " (dropped after damaged_keep_days)" : "");
	alert_emit(ALERT_SUCCESS, "recovery", "Database Recovery", msg,
		   details);
	log_info("recovery done: '%s' from '%s', RPO %ld s, RTO %.1f s", db,
		 m->file, age, rto);
}

/* The server went away under a restore (a restart, a crash): the
 * admin connection no longer answers. */
static bool server_lost(struct recovery *r)
{
	char err[256];

	return pg_exec(r->admin, "SELECT 1", err, sizeof(err)) < 0;
}

/* Wait (server_wait) for the server, reconnect, drop what the lost restore
 * left. 0 when connected again. */
static int reconnect(struct recovery *r)
{
	int64_t deadline =
		tm_mono_ms() + (int64_t)r->ctx->cfg->server_wait * 1000;
	char err[512];

	PQfinish(r->admin);
	r->admin = NULL;
	while (!*r->ctx->stop && tm_mono_ms() < deadline) {
		if (pg_ping(ADMIN_DB, 3) == PQPING_OK &&
		    (r->admin = pg_connect(ADMIN_DB, 10, 0, err, sizeof(err))))
			break;
		tm_sleep_ms(500);
	}
	if (!r->admin)
		return -1;
	db_drop_leftovers(r->admin);
	return 0;
}

/* try_backup, again after a lost connection: that is the server's problem,
 * not the backup's, so the same backup is tried once the server is back.
 * -2 when the server did not come back. */
static int try_backup_reconnecting(struct recovery *r, const char *db,
				   const struct manifest *m, char *err,
				   size_t errlen)
{
	for (int attempt = 1;; attempt++) {
		if (try_backup(r, db, m, err, errlen) == 0)
			return 0;
		if (*r->ctx->stop || r->result || !server_lost(r))
			return -1;
		log_warn("the connection to the server was lost while "
			 "restoring '%s' (%s): waiting for the server, then "
			 "the same backup again",
			 m->file, err);
		if (reconnect(r) < 0) {
			snprintf(err, errlen,
				 "the server went away while restoring '%s' "
				 "and did not come back within %d s",
				 m->file, r->ctx->cfg->server_wait);
			log_error("%s", err);
			r->server_gone = true;
			return -2;
		}
		if (attempt == 3)
			return -1;
	}
}

/* Newest first (catalog.h's order), every backup of db that holds now
 * (catalog.h's rule), until one restores; skipped ones are reported. */
static int restore_newest(struct recovery *r, const char *db, const char *only)
{
	const char *dir = r->ctx->cfg->backup_dir;
	struct catalog_target t = {BACKUP_DATABASE, db, only};
	struct catalog_entry *list;
	int n = catalog_scan(dir, &list), done = -1;
	char err[1024];

	for (int i = catalog_next(list, n, 0, &t);
	     i >= 0 && done < 0 && !*r->ctx->stop && !r->server_gone;
	     i = catalog_next(list, n, i + 1, &t)) {
		struct manifest m;
		r->seen++;
		if (list[i].future)
			log_warn("'%s' is stamped in the future (a wrong clock "
				 "or a copy): tried only after every other",
				 list[i].file);
		if (manifest_load_checked(dir, list[i].file, &m, err,
					  sizeof(err)) < 0) {
			log_warn("skipping backup '%s': %s", list[i].file, err);
			note_tried(r, list[i].file, err);
			alert_emit(
				ALERT_WARNING, "backup-skipped",
				"Database Recovery",
				"A backup was skipped because it is not valid",
				err);
			continue;
		}
		if (try_backup_reconnecting(r, db, &m, err, sizeof(err)) == 0) {
			alert_restored(r, db, &m);
			done = 0;
		} else if (!*r->ctx->stop && !r->server_gone) {
			log_error("restore from '%s' failed: %s", m.file, err);
			note_tried(r, m.file, err);
			alert_emit(ALERT_ERROR, "restore-failed",
				   "Database Recovery",
				   "Restoring a backup failed; trying the next "
				   "older one",
				   err);
		}
		manifest_free(&m);
	}
	free(list);
	return done;
}

/* No valid backup: a new database with init scripts and migrations. */
static int fresh_reset(struct recovery *r)
{
	char err[1024], aside[128], stamp[32], expected[64];
	PGconn *conn;
	int rc = -1;

	marker_update(r, "fresh-reset", NULL);
	snprintf(r->tmp, sizeof(r->tmp), "%s%s", TMP_DB_PREFIX,
		 tm_stamp(tm_now(), stamp));
	if (db_create_like(r->admin, r->tmp, r->target, err, sizeof(err)) < 0) {
		log_error("fresh reset failed: %s", err);
		return -1;
	}
	conn = pg_connect(r->tmp, 10, 0, err, sizeof(err));
	if (conn &&
	    migrate_run_init(conn, r->ctx->cfg->init_dir, err, sizeof(err)) >=
		    0 &&
	    migrate_apply(conn, r->ctx->cfg->migrations_dir,
			  r->ctx->cfg->migrations_table, err, sizeof(err)) >= 0)
		rc = 0;
	if (conn)
		PQfinish(conn);
	if (rc == 0) {
		marker_update(r, "swapping", NULL);
		rc = db_swap(r->admin, r->target, r->tmp, aside_kind(r), aside,
			     sizeof(aside), err, sizeof(err));
	}
	if (rc == 0)
		record_swapped(r, "fresh-reset", NULL);
	if (rc < 0) {
		char e2[256];
		log_error("fresh reset failed: %s", err);
		db_drop(r->admin, r->tmp, e2, sizeof(e2));
		alert_emit(ALERT_CRITICAL, "recovery-failed",
			   "Database Recovery",
			   "Recovery failed: no valid backup and the fresh "
			   "reset failed",
			   err);
		return -1;
	}
	migrate_expected_version(r->ctx->cfg->migrations_dir, expected,
				 sizeof(expected));
	snprintf(err, sizeof(err),
		 "No valid backup of '%s' was found: the database was reset to "
		 "a fresh schema "
		 "(init scripts + migrations up to %s). Data could not be "
		 "recovered.%s%s",
		 r->target, expected[0] ? expected : "none",
		 aside[0] ? " The damaged database is kept as " : "", aside);
	alert_emit(ALERT_CRITICAL, "fresh-reset", "Database Recovery", err,
		   NULL);
	return 0;
}

/* fresh_reset: no-backups (only when no backup of the target was ever
 * taken), always, never. A reset replaces data; backups that exist but do
 * not restore need a person, not an empty database. */
static bool reset_allowed(const struct recovery *r)
{
	const char *p = r->ctx->cfg->fresh_reset;

	if (strcmp(p, "always") == 0)
		return true;
	return strcmp(p, "no-backups") == 0 && r->seen == 0;
}

static void alert_person_needed(struct recovery *r)
{
	char msg[512];

	snprintf(msg, sizeof(msg),
		 "No backup of '%s' could be restored (%d found): the database "
		 "was left as it is, and no reset was done (fresh_reset = %s). "
		 "A person is needed.",
		 r->target, r->seen, r->ctx->cfg->fresh_reset);
	log_error("%s", msg);
	alert_emit(ALERT_CRITICAL, "recovery-needs-person", "Database Recovery",
		   msg, r->tried[0] ? r->tried : "no backup was tried");
}

/* Wait for the server; ask pgwarden-db to re-initialise it when it cannot
 * start. Returns 1 when the cluster was re-initialised, 0 when it is up,
 * -1 when it stays down. */
static int ensure_server(struct recovery *r)
{
	const char *dir = r->ctx->cfg->backup_dir;
	int64_t deadline =
		tm_mono_ms() + (int64_t)r->ctx->cfg->server_wait * 1000;
	struct server_info si;
	int gen0 = -2;
	bool asked = false;

	while (!*r->ctx->stop && tm_mono_ms() < deadline) {
		if (pg_ping(ADMIN_DB, 3) == PQPING_OK)
			return asked ? 1 : 0;
		server_status_read(dir, &si);
		if (!asked && strcmp(si.state, "failed") == 0) {
			marker_update(r, "cluster-reinit", NULL);
			log_warn("the server cannot start: asking pgwarden-db "
				 "to re-initialise the cluster");
			proto_request_write(
				dir, PROTO_REQ_REINIT,
				"reason=restorer: server cannot start\n");
			asked = true;
			gen0 = si.generation;
			deadline = tm_mono_ms() +
				   (int64_t)r->ctx->cfg->server_wait * 1000;
		}
		tm_sleep_ms(asked && si.generation != gen0 &&
					    strcmp(si.state, "running") == 0
				    ? 100
				    : 500);
	}
	return -1;
}

/* After a re-init, every database that has a backup comes back. */
static void restore_other_databases(struct recovery *r)
{
	struct catalog_entry *list;
	int n = catalog_scan(r->ctx->cfg->backup_dir, &list);

	for (int i = 0; i < n; i++) {
		const char *db = list[i].name.database;
		bool first = true;
		if (list[i].name.kind != BACKUP_DATABASE ||
		    strcmp(db, r->target) == 0)
			continue;
		for (int k = 0; k < i; k++)
			first = first &&
				(list[k].name.kind != BACKUP_DATABASE ||
				 strcmp(list[k].name.database, db) != 0);
		if (first && restore_newest(r, db, NULL) < 0)
			log_error("database '%s' could not be restored after "
				  "the re-init",
				  db);
	}
	free(list);
}

/* The server did not answer within server_wait: say what was seen, so
 * that "down" and "pgwarden-db missing" are told apart. */
static void alert_server_down(struct recovery *r)
{
	struct server_info si;
	char seen[512];

	server_status_read(r->ctx->cfg->backup_dir, &si);
	if (!si.state[0])
		snprintf(seen, sizeof(seen),
			 "no server.status: pgwarden-db is not running on "
			 "this volume (is it the db container's entrypoint?)");
	else
		snprintf(seen, sizeof(seen),
			 "pgwarden-db says the server is '%s' (server.status "
			 "updated %ld s ago, %d restart(s)); it did not answer "
			 "a connection for %d s",
			 si.state, si.age, si.restarts,
			 r->ctx->cfg->server_wait);
	log_error("recovery failed: %s", seen);
	alert_emit(ALERT_CRITICAL, "recovery-failed", "Database Recovery",
		   "Recovery failed: the server did not answer and was not "
		   "re-initialised",
		   seen);
}

static void alert_physical(struct recovery *r, const struct physical_outcome *o)
{
	char msg[600], details[ALERT_DETAILS_MAX];
	double rto = (double)(tm_mono_ms() - r->t0_ms) / 1000.0;

	snprintf(msg, sizeof(msg),
		 "Cluster recovered physically from %s, replayed to the end "
		 "of its WAL",
		 o->base);
	snprintf(details, sizeof(details),
		 "Recovery Details:\n• Reason: %s\n• Base backup: %s\n"
		 "• Recovery point: LSN %s, last commit replayed %s\n"
		 "• Data lost: none that the archive and the damaged data "
		 "directory's pg_wal held (every record they had was "
		 "replayed; docs/WAL.md)\n"
		 "• Duration (RTO): %.1f s\n• Tables of '%s' read whole: %d\n"
		 "• Damaged data directory: kept as %s\n",
		 r->reason, o->base, o->lsn,
		 o->last_commit[0] ? o->last_commit : "(none since the base)",
		 rto, r->target, o->tables, o->aside);
	alert_emit(ALERT_SUCCESS, "recovery", "Database Recovery", msg,
		   details);
	log_info("recovery done: physical from '%s' to LSN %s, RTO %.1f s",
		 o->base, o->lsn, rto);
}

/* recovery_method auto or physical, no backup named: 1 when the cluster
 * was recovered physically, 0 to go on with the logical path, -1 when
 * physical was the only method allowed and it did not work. */
static int try_physical(struct recovery *r, const char *backup)
{
	const char *method = r->ctx->cfg->recovery_method;
	struct physical_outcome o;
	enum physical_result pr;

	if (backup || strcmp(method, "logical") == 0)
		return 0;
	marker_update(r, "physical", NULL);
	pr = physical_recover(r->ctx, r->target, r->reason, &o);
	if (pr == PHYSICAL_DONE) {
		record_swapped(r, "restored", o.base);
		alert_physical(r, &o);
		if (proto_request_write(
			    r->ctx->cfg->backup_dir, PROTO_REQ_BASEBACKUP,
			    "reason=a new timeline after a physical "
			    "recovery\n") < 0)
			log_warn("unable to ask for a base backup: %s",
				 strerror(errno));
		return 1;
	}
	log_warn("physical recovery %s: %s",
		 pr == PHYSICAL_FAILED ? "failed" : "not possible", o.why);
	if (strcmp(method, "physical") == 0) {
		alert_emit(ALERT_CRITICAL, "recovery-failed",
			   "Database Recovery",
			   "Physical recovery failed (recovery_method = "
			   "physical: no logical fallback)",
			   o.why);
		return -1;
	}
	if (pr == PHYSICAL_FAILED)
		alert_emit(
			ALERT_ERROR, "physical-recovery-failed",
			"Database Recovery",
			"Physical recovery failed; going on with the logical "
			"path",
			o.why);
	return 0;
}

static int recover_body(struct recovery *r, const char *backup)
{
	char err[512];
	int reinit, rc = try_physical(r, backup);

	if (rc != 0)
		return rc > 0 ? 0 : -1;
	reinit = ensure_server(r);

	if (reinit < 0) {
		alert_server_down(r);
		return -1;
	}
	r->admin = pg_connect(ADMIN_DB, 10, 0, err, sizeof(err));
	if (!r->admin) {
		alert_emit(ALERT_CRITICAL, "recovery-failed",
			   "Database Recovery",
			   "Recovery failed: unable to connect", err);
		return -1;
	}
	db_drop_leftovers(r->admin);
	if (reinit != 1)
		roles_restore_missing(r->ctx, r->admin);
	else if (restore_newest_globals(r->ctx) < 0)
		log_warn("no valid globals backup: roles other than the "
			 "superuser are missing");
	rc = restore_newest(r, r->target, backup);
	if (r->server_gone)
		alert_emit(ALERT_CRITICAL, "recovery-failed",
			   "Database Recovery",
			   "Recovery failed: the server went away during the "
			   "restore and did not come back; the database was "
			   "left as it is",
			   NULL);
	else if (rc < 0 && !*r->ctx->stop && !backup && reset_allowed(r))
		rc = fresh_reset(r);
	else if (rc < 0 && !*r->ctx->stop && !backup)
		alert_person_needed(r);
	else if (rc < 0 && backup)
		alert_emit(ALERT_ERROR, "recovery-failed", "Database Recovery",
			   "Recovery from the requested backup failed; nothing "
			   "was changed",
			   backup);
	if (reinit == 1 && !r->server_gone)
		restore_other_databases(r);
	PQfinish(r->admin);
	r->admin = NULL;
	return rc;
}

int recover_run(const struct restore_ctx *ctx, const char *backup,
		const char *reason)
{
	struct recovery r = {.ctx = ctx,
			     .target = pg_target_db(ctx->cfg),
			     .t0_ms = tm_mono_ms()};
	char stale[PROTO_REQUEST_MAX], content[1024];
	int lock, rc;

	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	tm_iso(tm_now(), r.started);
	marker_text(&r, "starting", NULL, content, sizeof(content));
	r.marker = proto_recovery_begin(ctx->cfg->backup_dir, content, stale,
					sizeof(stale));
	if (r.marker == -3) {
		/* nobody holds it: what it describes was interrupted, and this
		 * recovery supersedes it */
		for (char *p = stale; *p; p++)
			if (*p == '\n')
				*p = ' ';
		log_warn("replacing a stale '%s': %s", PROTO_RECOVERY, stale);
		proto_recovery_clear_stale(ctx->cfg->backup_dir);
		r.marker = proto_recovery_begin(ctx->cfg->backup_dir, content,
						stale, sizeof(stale));
	}
	if (r.marker == -2) {
		alert_emit(ALERT_WARNING, "recovery-refused",
			   "Database Recovery",
			   "A recovery is already in progress; this request "
			   "was refused",
			   reason);
		return -1;
	}
	if (r.marker < 0) {
		log_error("unable to create '%s': %s", PROTO_RECOVERY,
			  strerror(errno));
		return -1;
	}
	log_info("recovery of '%s' starting (%s)", r.target, reason);
	lock = fs_lock(ctx->cfg->backup_dir, PROTO_LOCK_JOBS, -1,
		       (volatile const int *)ctx->stop);
	if (lock < 0 && !*ctx->stop)
		log_error("unable to take the jobs lock in '%s': %s",
			  ctx->cfg->backup_dir, strerror(errno));
	rc = lock < 0 ? -1 : recover_body(&r, backup);
	fs_unlock(lock);
	if (r.result) {
		/* swapped in, and recorded then: never queued again */
		if (*ctx->stop)
			log_warn("shutdown after the swap: the recovery of "
				 "'%s' is done and is not queued again",
				 r.target);
	} else if (*ctx->stop) {
		/* abandoned by a shutdown before the swap: nothing changed,
		 * and the request comes back at the next start */
		proto_restore_request(content, sizeof(content), backup, reason);
		proto_request_write(ctx->cfg->backup_dir, PROTO_REQ_RESTORE,
				    content);
		log_warn(
			"recovery abandoned by shutdown; request queued again");
	} else {
		status_recovery_write(ctx->cfg->backup_dir, "failed", "",
				      tm_mono_ms() - r.t0_ms, reason);
	}
	proto_recovery_end(ctx->cfg->backup_dir, r.marker);
	return rc;
}

/* A marker left in phase "swapping": the swap is done when the temporary
 * database is gone and the target is there. Unknown (server down) counts
 * as not done, and the recovery runs again. */
static bool swap_happened(const char *tmp, const char *target)
{
	char err[256];
	PGconn *admin;
	bool done;

	if (!*tmp || !*target)
		return false;
	admin = pg_connect(ADMIN_DB, 5, 0, err, sizeof(err));
	if (!admin)
		return false;
	done = db_exists(admin, tmp) == 0 && db_exists(admin, target) == 1;
	PQfinish(admin);
	return done;
}

/* The stale marker of a recovery that had swapped its data in: finish its
 * record, never run it again (it would replace what was written since). */
static void finish_swapped(const struct restore_ctx *ctx,
			   const struct recovery_marker *m)
{
	log_warn("an interrupted recovery had swapped its data in (phase %s): "
		 "it is done and is not run again",
		 m->phase);
	if (strcmp(m->phase, "done") != 0)
		status_recovery_write(ctx->cfg->backup_dir,
				      *m->result ? m->result : "restored",
				      m->backup, 0, m->reason);
	proto_recovery_clear_stale(ctx->cfg->backup_dir);
}

void recover_resume_stale(const struct restore_ctx *ctx)
{
	char stale[PROTO_REQUEST_MAX], req[512];
	struct recovery_marker m;
	int fd = proto_recovery_begin(ctx->cfg->backup_dir, "probe\n", stale,
				      sizeof(stale));

	if (fd >= 0) {
		proto_recovery_end(ctx->cfg->backup_dir, fd);
		return;
	}
	if (fd != -3)
		return;
	recovery_marker_parse(stale, &m);
	if (*m.result || strcmp(m.phase, "swapped") == 0 ||
	    strcmp(m.phase, "done") == 0 ||
	    (strcmp(m.phase, "swapping") == 0 &&
	     swap_happened(m.tmp, m.database))) {
		finish_swapped(ctx, &m);
		return;
	}
	log_warn("found a recovery interrupted by a crash: %s", stale);
	proto_recovery_clear_stale(ctx->cfg->backup_dir);
	/* the newest valid backup is chosen again, as the first time */
	proto_restore_request(req, sizeof(req), NULL,
			      "resumed after an interrupted recovery");
	proto_request_write(ctx->cfg->backup_dir, PROTO_REQ_RESTORE, req);
	alert_emit(ALERT_WARNING, "recovery-resumed", "Database Recovery",
		   "A recovery was interrupted (restorer died); it is being "
		   "run again",
		   stale);
}
