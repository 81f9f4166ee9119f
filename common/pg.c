#include "pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "log.h"

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

static _Thread_local char last_sqlstate[6];

const char *pg_last_sqlstate(void)
{
	return last_sqlstate;
}

static PGresult *pg_checked(PGconn *conn, PGresult *res, char *err,
			    size_t errlen)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *state;

	last_sqlstate[0] = '\0';
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(last_sqlstate, sizeof(last_sqlstate), "%s",
		 state ? state : "");
	snprintf(err, errlen, "%s",
		 res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	one_line(err);
	PQclear(res);
	return NULL;
}

static PGresult *pg_run(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	return pg_checked(conn, PQexec(conn, sql), err, errlen);
}

PGresult *pg_query(PGconn *conn, const char *sql, int nparams,
		   const char *const *params, char *err, size_t errlen)
{
	return pg_checked(
		conn,
		PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0),
		err, errlen);
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

int pg_table_ref(PGconn *conn, const char *name, char *out, size_t cap,
		 char *err, size_t errlen)
{
	const char *params[] = {name};
	PGresult *res = pg_query(conn, "SELECT to_regclass($1)::text", 1,
				 params, err, errlen);
	int rc = 0;

	if (!res)
		return -1;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		if (strlen(PQgetvalue(res, 0, 0)) >= cap) {
			snprintf(err, errlen, "table name too long");
			rc = -1;
		} else {
			snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
			rc = 1;
		}
	}
	PQclear(res);
	return rc;
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
