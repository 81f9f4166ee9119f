/* backup_run(): around backup_database(), in order: the jobs lock, the
 * databases that answer, free space (retention first when short), a stamp
 * of its own, every database and the globals, then retention. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "backup.h"
#include "catalog.h"
#include "fs.h"
#include "log.h"
#include "pg.h"
#include "proto.h"
#include "retention.h"
#include "tm.h"

/* The names of the databases to back up; no fixed limit. */
struct db_list {
	char (*names)[128];
	int n, cap;
};

static int db_list_add(struct db_list *l, const char *name, char *why,
		       size_t whylen)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->names, (size_t)cap * sizeof(*l->names));
		if (!p) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		l->names = p;
		l->cap = cap;
	}
	snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", name);
	return 0;
}

static int list_configured(const char *databases, struct db_list *l, char *why,
			   size_t whylen)
{
	char buf[CFG_STR_MAX], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", databases);
	for (char *t = strtok_r(buf, ", ", &save); t;
	     t = strtok_r(NULL, ", ", &save))
		if (db_list_add(l, t, why, whylen) < 0)
			return -1;
	return l->n;
}

/* The databases to back up: the configured list, or every database that
 * accepts connections and is not a template. */
static int list_databases(const struct pgw_config *cfg, struct db_list *l,
			  char *why, size_t whylen)
{
	PGconn *conn;
	PGresult *res;
	int rc;

	if (pg_ping("postgres", 10) != PQPING_OK) {
		snprintf(why, whylen,
			 "the server does not answer (ping to '%s')",
			 getenv("PGHOST") ? getenv("PGHOST") : "default host");
		return -1;
	}
	if (strcmp(cfg->databases, "all") != 0)
		return list_configured(cfg->databases, l, why, whylen);
	conn = pg_connect("postgres", 10, 30, why, whylen);
	if (!conn)
		return -1;
	res = PQexec(conn,
		     "SELECT datname FROM pg_database WHERE NOT datistemplate "
		     "AND datallowconn AND datname !~ '" PROTO_ASIDE_DB_REGEX
		     "' "
		     "AND datname NOT LIKE 'pgwarden\\_%' ORDER BY datname");
	rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
	if (rc < 0) {
		snprintf(why, whylen, "%s", PQerrorMessage(conn));
		why[strcspn(why, "\n")] = '\0';
	}
	for (int i = 0; rc == 0 && i < PQntuples(res); i++)
		rc = db_list_add(l, PQgetvalue(res, i, 0), why, whylen);
	PQclear(res);
	PQfinish(conn);
	return rc < 0 ? -1 : l->n;
}

/* Size of the newest backup set on disk: what the next one will need. */
static int64_t last_set_size(const struct catalog_entry *list, int n)
{
	int64_t total = 0;

	for (int i = 0; i < n && list[i].name.when == list[0].name.when; i++)
		total += list[i].size > 0 ? list[i].size : 0;
	return total;
}

static bool stamp_in_use(const struct catalog_entry *list, int n,
			 const char *stamp)
{
	return n > 0 && strcmp(list[0].name.stamp, stamp) == 0;
}

static int check_space(const struct backup_ctx *ctx,
		       const struct catalog_entry *list, int n, char *why,
		       size_t whylen)
{
	const struct pgw_config *cfg = ctx->cfg;
	int64_t need = last_set_size(list, n) * cfg->space_margin_pct / 100;
	int64_t free_b = fs_free_bytes(cfg->backup_dir);

	if (need == 0 || free_b >= need)
		return 0;
	log_warn("only %lld MiB free on '%s', the last backup needed %lld MiB: "
		 "running retention first",
		 (long long)(free_b >> 20), cfg->backup_dir,
		 (long long)(need >> 20));
	retention_run(cfg, false);
	free_b = fs_free_bytes(cfg->backup_dir);
	if (free_b >= need)
		return 0;
	snprintf(why, whylen,
		 "not enough space on '%s': %lld MiB free, about %lld MiB "
		 "needed",
		 cfg->backup_dir, (long long)(free_b >> 20),
		 (long long)(need >> 20));
	return -1;
}

static void alert_success(const struct backup_ctx *ctx,
			  const struct backup_result *rs, int n)
{
	char details[4096], next[TM_ISO_LEN];
	size_t o = 0;

	o += (size_t)snprintf(details, sizeof(details), "📊 Backup Details:\n");
	for (int i = 0; i < n && o < sizeof(details); i++) {
		char sz[32], dbsz[32];
		o += (size_t)snprintf(
			details + o, sizeof(details) - o,
			"• File: %s\n• Size: %s\n• Tables: %d\n"
			"• Database Size: %s\n• Compression: %.0f%%\n",
			rs[i].file, fs_human_size(rs[i].size, sz, sizeof(sz)),
			rs[i].tables,
			fs_human_size(rs[i].database_size, dbsz, sizeof(dbsz)),
			rs[i].compression_pct);
	}
	if (o < sizeof(details))
		snprintf(details + o, sizeof(details) - o,
			 "\n📅 Schedule: Next backup at %s (%s)\n",
			 ctx->next_run > 0 ? tm_human(ctx->next_run, next)
					   : "no schedule",
			 ctx->cfg->schedule);
	alert_emit(ALERT_SUCCESS, "backup", "Database Backup",
		   "Database backup completed successfully!", details);
}

/* A recovery is waiting for the jobs lock: it comes first (it never waits
 * behind a backup), and the backup runs again after it. */
static bool preempted(const struct backup_ctx *ctx)
{
	const char *dir = ctx->cfg->backup_dir;

	if (!proto_recovery_active(dir))
		return false;
	log_warn("a recovery is waiting: the backup stops here and runs again "
		 "after it");
	if (proto_request_write(dir, PROTO_REQ_BACKUP,
				"reason=after a recovery that pre-empted a "
				"backup\n") < 0)
		log_error("unable to queue the backup again: %s",
			  strerror(errno));
	return true;
}

static int run_all(const struct backup_ctx *ctx, char (*names)[128], int ndb,
		   const char *stamp)
{
	struct backup_result *rs = calloc((size_t)ndb + 1, sizeof(*rs)), g;
	int failed = 0, good = 0;

	if (!rs)
		return -1;
	for (int i = 0; i < ndb && !*ctx->stop; i++) {
		if (preempted(ctx)) {
			free(rs);
			return -1;
		}
		if (backup_database(ctx, names[i], stamp, &rs[good]) == 0) {
			log_info("backup '%s' done: %.1f MiB, %d tables, "
				 "%.0f%% saved, %.1f s",
				 rs[good].file,
				 (double)rs[good].size / 1048576.0,
				 rs[good].tables, rs[good].compression_pct,
				 (double)rs[good].duration_ms / 1000.0);
			good++;
			continue;
		}
		if (preempted(ctx)) {
			free(rs);
			return -1;
		}
		failed++;
		log_error("backup of '%s' failed: %s", names[i],
			  rs[good].error);
		if (!*ctx->stop)
			alert_emit(ALERT_ERROR, "backup-failed",
				   "Database Backup", "Database backup failed",
				   rs[good].error);
	}
	if (!*ctx->stop && preempted(ctx)) {
		free(rs);
		return -1;
	}
	if (!*ctx->stop && backup_globals(ctx, stamp, &g) < 0) {
		failed++;
		log_error("backup of the globals failed: %s", g.error);
		alert_emit(ALERT_ERROR, "backup-failed", "Database Backup",
			   "Backup of roles and tablespaces (globals) failed",
			   g.error);
	}
	if (good > 0)
		alert_success(ctx, rs, good);
	free(rs);
	return *ctx->stop ? -1 : failed;
}

int backup_run(const struct backup_ctx *ctx, const char *reason)
{
	const struct pgw_config *cfg = ctx->cfg;
	struct db_list dbs = {0};
	char why[512], stamp[32];
	struct catalog_entry *list = NULL; /* one scan for the whole job */
	int lock, ndb, nlist = 0, rc = -1;

	lock = fs_lock(cfg->backup_dir, PROTO_LOCK_JOBS, -1,
		       (volatile const int *)ctx->stop);
	if (lock < 0) {
		if (!*ctx->stop)
			log_error("unable to take the jobs lock in '%s': %s",
				  cfg->backup_dir, strerror(errno));
		return -1;
	}
	if (preempted(ctx)) {
		fs_unlock(lock);
		return -1;
	}
	/* logged under the jobs lock: its time is when the backup really starts
	 */
	log_info("backup starting (%s)", reason);
	ndb = list_databases(cfg, &dbs, why, sizeof(why));
	if (ndb < 0) {
		log_error("database connectivity check failed: %s", why);
		alert_emit(
			ALERT_ERROR, "backup-failed", "Database Backup",
			"Database backup failed: the database is unreachable",
			why);
	} else if ((nlist = catalog_scan(cfg->backup_dir, &list)) < 0) {
		snprintf(why, sizeof(why), "unable to read '%s': %s",
			 cfg->backup_dir, strerror(errno));
		log_error("%s", why);
		alert_emit(ALERT_ERROR, "backup-failed", "Database Backup",
			   "Database backup failed: the backups directory "
			   "cannot be read",
			   why);
	} else if (check_space(ctx, list, nlist, why, sizeof(why)) < 0) {
		log_error("%s", why);
		alert_emit(ALERT_ERROR, "backup-failed", "Database Backup",
			   "Database backup failed: not enough free space",
			   why);
	} else {
		/* one run per second at most, so a stamp never names two sets
		 */
		while (tm_stamp(tm_now(), stamp) &&
		       stamp_in_use(list, nlist, stamp))
			tm_sleep_ms(200);
		rc = run_all(ctx, dbs.names, ndb, stamp);
		if (rc == 0)
			retention_run(cfg, false);
	}
	fs_unlock(lock);
	free(list);
	free(dbs.names);
	return rc;
}
