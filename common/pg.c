#include "pg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "child.h"
#include "fs.h"
#include "log.h"
#include "secret.h"

static char pgpass_dir[PATH_MAX];

static void one_line(char *s)
{
	char *nl;

	while ((nl = strchr(s, '\n')) != NULL) {
		if (nl[1] == '\0')
			*nl = '\0';
		else
			*nl = ' ';
	}
}

/* pgpass escaping: ':' and '\' are backslash-escaped */
static void pgpass_escape(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in && o + 2 < cap; in++) {
		if (*in == ':' || *in == '\\')
			out[o++] = '\\';
		out[o++] = *in;
	}
	out[o] = '\0';
}

static int write_pgpass(const char *password, char *err, size_t errlen)
{
	char line[2048], esc[1024], tmpl[] = "/tmp/pgwarden-auth-XXXXXX";
	const char *tmpdir = getenv("TMPDIR");

	if (tmpdir && *tmpdir)
		snprintf(pgpass_dir, sizeof(pgpass_dir),
			 "%s/pgwarden-auth-XXXXXX", tmpdir);
	else
		snprintf(pgpass_dir, sizeof(pgpass_dir), "%s", tmpl);
	if (!mkdtemp(pgpass_dir)) {
		snprintf(err, errlen,
			 "unable to create a private directory for the pgpass "
			 "file: %s",
			 strerror(errno));
		pgpass_dir[0] = '\0';
		return -1;
	}
	pgpass_escape(password, esc, sizeof(esc));
	snprintf(line, sizeof(line), "*:*:*:*:%s\n", esc);
	if (fs_write_atomic(pgpass_dir, "pgpass", line, strlen(line)) < 0) {
		snprintf(err, errlen, "unable to write the pgpass file");
		return -1;
	}
	snprintf(line, sizeof(line), "%s/pgpass", pgpass_dir);
	setenv("PGPASSFILE", line, 1);
	return 0;
}

int pg_auth_setup(const struct pgw_config *c, char *err, size_t errlen)
{
	char pw[1024];
	int rc = 0;

	if (secret_read(c->password_file, "PGPASSWORD", "password file", 0, pw,
			sizeof(pw), err, errlen) < 0)
		return -1;
	if (pw[0]) {
		rc = write_pgpass(pw, err, errlen);
		unsetenv("PGPASSWORD");
	}
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

void pg_auth_cleanup(void)
{
	char path[PATH_MAX];

	if (!pgpass_dir[0])
		return;
	unlink(fs_join(path, pgpass_dir, "pgpass"));
	rmdir(pgpass_dir);
	pgpass_dir[0] = '\0';
}

const char *pg_target_db(const struct pgw_config *c)
{
	const char *e;

	if (c->database[0])
		return c->database;
	if ((e = getenv("PGDATABASE")) && *e)
		return e;
	if ((e = getenv("PGUSER")) && *e)
		return e;
	return "postgres";
}

/* Server NOTICEs ("does not exist, skipping") are not worth a log line. */
static void pg_quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

PGconn *pg_connect(const char *dbname, int connect_timeout_s,
		   int statement_timeout_s, char *err, size_t errlen)
{
	char ct[16], opts[64];
	const char *keys[] = {"dbname", "connect_timeout", "options",
			      "fallback_application_name", NULL};
	const char *vals[] = {dbname, ct, opts, "pgwarden", NULL};
	PGconn *conn;

	snprintf(ct, sizeof(ct), "%d",
		 connect_timeout_s > 1 ? connect_timeout_s : 2);
	snprintf(opts, sizeof(opts), "-c statement_timeout=%d",
		 statement_timeout_s * 1000);
	conn = PQconnectdbParams(keys, vals, 0);
	if (!conn) {
		snprintf(err, errlen,
			 "out of memory connecting to the database");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(conn));
		one_line(err);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, pg_quiet_notice, NULL);
	return conn;
}

PGPing pg_ping(const char *dbname, int timeout_s)
{
	char ct[16];
	const char *keys[] = {"dbname", "connect_timeout", NULL};
	const char *vals[] = {dbname ? dbname : "postgres", ct, NULL};

	snprintf(ct, sizeof(ct), "%d", timeout_s > 1 ? timeout_s : 2);
	return PQpingParams(keys, vals, 0);
}

static PGresult *pg_run(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	snprintf(err, errlen, "%s",
		 res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	one_line(err);
	PQclear(res);
	return NULL;
}

int pg_exec(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult *res = pg_run(conn, sql, err, errlen);

	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

int pg_value(PGconn *conn, const char *sql, char *out, size_t cap, char *err,
	     size_t errlen)
{
	PGresult *res = pg_run(conn, sql, err, errlen);

	if (!res)
		return -1;
	if (PQntuples(res) < 1 || PQnfields(res) < 1) {
		snprintf(err, errlen, "query returned no rows");
		PQclear(res);
		return -1;
	}
	snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int pg_value_int64(PGconn *conn, const char *sql, int64_t *out, char *err,
		   size_t errlen)
{
	char buf[64], *end;

	if (pg_value(conn, sql, buf, sizeof(buf), err, errlen) < 0)
		return -1;
	*out = strtoll(buf, &end, 10);
	if (end == buf) {
		snprintf(err, errlen, "query returned '%s', not a number", buf);
		return -1;
	}
	return 0;
}

static int pg_quote(char *q, char *out, size_t cap)
{
	int rc = -1;

	if (q && strlen(q) < cap) {
		memcpy(out, q, strlen(q) + 1);
		rc = 0;
	}
	PQfreemem(q);
	return rc;
}

int pg_quote_ident(PGconn *conn, const char *ident, char *out, size_t cap)
{
	return pg_quote(PQescapeIdentifier(conn, ident, strlen(ident)), out,
			cap);
}

int pg_quote_literal(PGconn *conn, const char *lit, char *out, size_t cap)
{
	return pg_quote(PQescapeLiteral(conn, lit, strlen(lit)), out, cap);
}

void pg_conninfo_dbname(const char *db, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "dbname='");

	for (; *db && o + 3 < cap; db++) {
		if (*db == '\'' || *db == '\\')
			out[o++] = '\\';
		out[o++] = *db;
	}
	snprintf(out + o, cap - o, "'");
}

static int newest_lib_bindir(char *out, size_t cap)
{
	DIR *d = opendir("/usr/lib/postgresql");
	struct dirent *e;
	long best = -1;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (end != e->d_name && *end == '\0' && v > best)
			best = v;
	}
	closedir(d);
	if (best < 0)
		return -1;
	snprintf(out, cap, "/usr/lib/postgresql/%ld/bin", best);
	return 0;
}

static int find_bindir(const struct pgw_config *c, char *out, size_t cap)
{
	static char cached[PATH_MAX];
	char why[256];
	const char *argv[] = {"/usr/bin/pg_config", "--bindir", NULL};

	if (c && c->pg_bindir[0]) {
		snprintf(out, cap, "%s", c->pg_bindir);
		return 0;
	}
	if (!cached[0]) {
		if (access(argv[0], X_OK) == 0 &&
		    child_run(argv, cached, sizeof(cached), why, sizeof(why)) ==
			    0)
			cached[strcspn(cached, "\n")] = '\0';
		else
			cached[0] = '\0';
		if (!cached[0] && newest_lib_bindir(cached, sizeof(cached)) < 0)
			snprintf(cached, sizeof(cached), "/usr/bin");
	}
	snprintf(out, cap, "%s", cached);
	return 0;
}

int pg_bin(const struct pgw_config *c, const char *prog, char *out, size_t cap)
{
	char dir[PATH_MAX];

	find_bindir(c, dir, sizeof(dir));
	snprintf(out, cap, "%s/%s", dir, prog);
	if (access(out, X_OK) < 0) {
		int e = errno;
		log_error("unable to find '%s' in '%s': %s", prog, dir,
			  strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}
