#include "retention.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "fs.h"
#include "log.h"
#include "pg.h"
#include "physretention.h"
#include "proto.h"
#include "tm.h"

static const char *const rotated_logs[] = {
	LOG_BACKUP, LOG_HEALTH, LOG_VERIFICATION, LOG_RETENTION, LOG_SERVER};

static int remove_backup(const char *dir, const struct catalog_entry *e,
			 const char *why)
{
	char path[PATH_MAX], mname[NAME_MAX + 1];

	proto_manifest_name(e->file, mname, sizeof(mname));
	if (unlink(fs_join(path, dir, e->file)) < 0)
		return 0;
	unlink(fs_join(path, dir, mname));
	log_msg(LOG_AUX, LOG_INFO, "deleted backup '%s' (%s)", e->file, why);
	return 1;
}

static bool same_series(const struct catalog_entry *a,
			const struct catalog_entry *b)
{
	return a->name.kind == b->name.kind &&
	       strcmp(a->name.database, b->name.database) == 0;
}

/* Backups: per database (and the globals), newest first. */
static int prune_backups(const struct pgw_config *cfg)
{
	struct catalog_entry *list;
	int n = catalog_scan(cfg->backup_dir, &list), removed = 0;
	time_t cutoff = tm_now() - (time_t)cfg->retention_days * 86400;
	bool *seen = n > 0 ? calloc((size_t)n, sizeof(bool)) : NULL;

	for (int i = 0; i < n && seen; i++) {
		int kept = 0;
		bool newest_valid_kept = false;
		if (seen[i])
			continue;
		for (int k = i; k < n; k++) {
			const struct catalog_entry *e = &list[k];
			bool valid = strcmp(e->status, "valid") == 0 ||
				     strcmp(e->status, "verified") == 0;
			if (!same_series(&list[i], e))
				continue;
			seen[k] = true;
			if (e->name.when >= cutoff || kept < cfg->min_backups ||
			    (valid && !newest_valid_kept)) {
				kept++;
				newest_valid_kept |= valid;
				continue;
			}
			removed += remove_backup(cfg->backup_dir, e,
						 "older than retention");
		}
	}
	free(seen);
	free(list);
	return removed;
}

static int prune_old_files(const char *dir, const char *prefix, int days,
			   const char *what)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	char path[PATH_MAX];
	time_t cutoff = time(NULL) - (time_t)days * 86400;
	int removed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    lstat(fs_join(path, dir, e->d_name), &st) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtime >= cutoff)
			continue;
		if (unlink(path) == 0) {
			removed++;
			log_msg(LOG_AUX, LOG_INFO,
				"deleted %s '%s' (older than %d days)", what,
				e->d_name, days);
		}
	}
	closedir(d);
	return removed;
}

/* name.log -> name.log.YYYYMMDD once a day; writers reopen by inode. */
static int rotate_logs(const struct pgw_config *cfg)
{
	char today[32], from[PATH_MAX], to[PATH_MAX], prefix[NAME_MAX + 1];
	int removed = 0;

	tm_stamp(tm_now(), today);
	today[8] = '\0';
	for (size_t i = 0; i < sizeof(rotated_logs) / sizeof(rotated_logs[0]);
	     i++) {
		struct stat st;
		char rotated[NAME_MAX + 1];
		fs_join(from, cfg->backup_dir, rotated_logs[i]);
		snprintf(rotated, sizeof(rotated), "%s.%s", rotated_logs[i],
			 today);
		if (lstat(from, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size > 0 &&
		    access(fs_join(to, cfg->backup_dir, rotated), F_OK) < 0 &&
		    rename(from, to) == 0)
			log_msg(LOG_AUX, LOG_INFO, "rotated '%s' to '%s'",
				rotated_logs[i], rotated);
		snprintf(prefix, sizeof(prefix), "%s.", rotated_logs[i]);
		removed += prune_old_files(cfg->backup_dir, prefix,
					   cfg->log_retention_days, "log");
	}
	return removed;
}

/* Databases a recovery renamed aside, past their keep time. */
static int prune_damaged_databases(const struct pgw_config *cfg)
{
	char err[512], sql[512], cutoff[32], q[300];
	PGconn *conn = pg_connect("postgres", 5, 60, err, sizeof(err));
	PGresult *res;
	int removed = 0;

	if (!conn)
		return 0; /* the server being down is the monitor's business */
	tm_stamp(tm_now() - (time_t)cfg->damaged_keep_days * 86400, cutoff);
	snprintf(sql, sizeof(sql),
		 "SELECT datname FROM pg_database WHERE datname ~ "
		 "'" PROTO_ASIDE_DB_REGEX "' "
		 "AND right(datname, 15) < '%s'",
		 cutoff);
	res = PQexec(conn, sql);
	for (int i = 0;
	     PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res);
	     i++) {
		const char *db = PQgetvalue(res, i, 0);
		if (pg_quote_ident(conn, db, q, sizeof(q)) < 0)
			continue;
		snprintf(sql, sizeof(sql), "DROP DATABASE %s", q);
		if (pg_exec(conn, sql, err, sizeof(err)) == 0) {
			removed++;
			log_msg(LOG_AUX, LOG_INFO,
				"dropped database '%s' (kept %d days after a "
				"recovery)",
				db, cfg->damaged_keep_days);
		} else {
			log_msg(LOG_AUX, LOG_WARNING, "unable to drop '%s': %s",
				db, err);
		}
	}
	PQclear(res);
	PQfinish(conn);
	return removed;
}

int retention_run(const struct pgw_config *cfg, bool daily)
{
	int removed = prune_backups(cfg) + physretention_run(cfg);

	if (daily) {
		removed += prune_old_files(cfg->backup_dir, "alert-",
					   cfg->alert_retention_days, "alert");
		removed += rotate_logs(cfg);
		removed += prune_damaged_databases(cfg);
	}
	if (removed > 0)
		fs_fsync_dir(cfg->backup_dir);
	log_msg(LOG_AUX, LOG_INFO, "retention done: %d removed", removed);
	return removed;
}
