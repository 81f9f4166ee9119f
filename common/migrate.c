#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "log.h"
#include "pg.h"

#define MIGRATE_MAX_FILES 1024
#define MIGRATE_MAX_SQL	  (16 * 1024 * 1024)

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_migration(const char *name)
{
	size_t n = strspn(name, "0123456789"), len = strlen(name);

	return n > 0 && name[n] == '_' && len > 4 &&
	       strcmp(name + len - 4, ".sql") == 0;
}

/* Sorted list of *.sql names in dir (migrations only when strict). */
static int list_sql(const char *dir, bool strict, char **names, int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL && n < max) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 5 ||
		    strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		if (strict && !is_migration(e->d_name))
			continue;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp_names);
	return n;
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
}

static int run_in_tx(PGconn *conn, const char *dir, const char *name,
		     const char *record_sql, char *err, size_t errlen)
{
	char *sql = fs_read_small(dir, name, MIGRATE_MAX_SQL, NULL);
	char e2[512];
	int rc = -1;

	if (!sql) {
		snprintf(err, errlen, "unable to read '%s/%s': %s", dir, name,
			 strerror(errno));
		return -1;
	}
	if (pg_exec(conn, "BEGIN", err, errlen) == 0) {
		if (pg_exec(conn, sql, e2, sizeof(e2)) < 0)
			snprintf(err, errlen, "'%s' failed: %s", name, e2);
		else if (record_sql &&
			 pg_exec(conn, record_sql, err, errlen) < 0)
			;
		else
			rc = pg_exec(conn, "COMMIT", err, errlen);
		if (rc < 0)
			pg_exec(conn, "ROLLBACK", e2, sizeof(e2));
	}
	free(sql);
	return rc;
}

int migrate_run_init(PGconn *conn, const char *init_dir, char *err,
		     size_t errlen)
{
	char *names[MIGRATE_MAX_FILES];
	int n = list_sql(init_dir, false, names, MIGRATE_MAX_FILES), rc = 0;

	if (n < 0) {
		snprintf(err, errlen, "unable to open init directory '%s': %s",
			 init_dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		rc = run_in_tx(conn, init_dir, names[i], NULL, err, errlen);
		if (rc == 0)
			log_info("init script '%s' applied", names[i]);
	}
	free_names(names, n);
	return rc < 0 ? -1 : n;
}

static int ensure_table(PGconn *conn, const char *qtable, char *err,
			size_t errlen)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "CREATE TABLE IF NOT EXISTS %s (version text PRIMARY KEY, "
		 "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT "
		 "now())",
		 qtable);
	return pg_exec(conn, sql, err, errlen);
}

static int apply_one(PGconn *conn, const char *dir, const char *name,
		     const char *qtable, char *err, size_t errlen)
{
	char version[64], sql[1024], qv[128], qn[600], found[8];
	size_t vlen = strspn(name, "0123456789");

	snprintf(version, sizeof(version), "%.*s", (int)vlen, name);
	if (pg_quote_literal(conn, version, qv, sizeof(qv)) < 0 ||
	    pg_quote_literal(conn, name, qn, sizeof(qn)) < 0) {
		snprintf(err, errlen, "unable to quote migration name '%s'",
			 name);
		return -1;
	}
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE version = %s",
		 qtable, qv);
	if (pg_value(conn, sql, found, sizeof(found), err, errlen) < 0)
		return -1;
	if (strcmp(found, "0") != 0)
		return 0;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO %s (version, name) VALUES (%s, %s)", qtable, qv,
		 qn);
	if (run_in_tx(conn, dir, name, sql, err, errlen) < 0)
		return -1;
	log_info("migration '%s' applied", name);
	return 1;
}

int migrate_apply(PGconn *conn, const char *dir, const char *table, char *err,
		  size_t errlen)
{
	char *names[MIGRATE_MAX_FILES], qtable[256];
	int n, applied = 0, rc = 0;

	if (pg_quote_ident(conn, table, qtable, sizeof(qtable)) < 0 ||
	    ensure_table(conn, qtable, err, errlen) < 0)
		return -1;
	n = list_sql(dir, true, names, MIGRATE_MAX_FILES);
	if (n < 0) {
		snprintf(err, errlen,
			 "unable to open migrations directory '%s': %s", dir,
			 strerror(errno));
		return -1;
	}
	for (int i = 0; i < n && rc >= 0; i++) {
		rc = apply_one(conn, dir, names[i], qtable, err, errlen);
		applied += rc > 0;
	}
	free_names(names, n);
	return rc < 0 ? -1 : applied;
}

int migrate_expected_version(const char *dir, char *out, size_t cap)
{
	char *names[MIGRATE_MAX_FILES];
	int n = list_sql(dir, true, names, MIGRATE_MAX_FILES);

	out[0] = '\0';
	if (n < 0)
		return -1;
	if (n > 0)
		snprintf(out, cap, "%.*s",
			 (int)strspn(names[n - 1], "0123456789"), names[n - 1]);
	free_names(names, n);
	return n;
}
