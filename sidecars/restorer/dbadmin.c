/* dbadmin.c - the databases a restore works on (dbadmin.h). */
#include "dbadmin.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pg.h"
#include "proto.h"
#include "tm.h"

static int q_ident(PGconn *c, const char *s, char *out, size_t cap, char *err,
		   size_t errlen)
{
	if (pg_quote_ident(c, s, out, cap) == 0)
		return 0;
	snprintf(err, errlen, "unable to quote '%s'", s);
	return -1;
}

int db_exists(PGconn *admin, const char *name)
{
	char q[300], sql[400], v[16], err[256];

	if (pg_quote_literal(admin, name, q, sizeof(q)) < 0)
		return -1;
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM pg_database WHERE datname = %s", q);
	if (pg_value(admin, sql, v, sizeof(v), err, sizeof(err)) < 0)
		return -1;
	return strcmp(v, "0") != 0;
}

int db_create_like(PGconn *admin, const char *name, const char *like_db,
		   char *err, size_t errlen)
{
	char qn[300], ql[300], sql[1024];
	PGresult *res;

	if (q_ident(admin, name, qn, sizeof(qn), err, errlen) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", qn);
	if (like_db && pg_quote_literal(admin, like_db, ql, sizeof(ql)) == 0) {
		char q2[1024];
		snprintf(q2, sizeof(q2),
			 "SELECT pg_encoding_to_char(encoding), datcollate, "
			 "datctype, "
			 "pg_get_userbyid(datdba) FROM pg_database WHERE "
			 "datname = %s",
			 ql);
		res = PQexec(admin, q2);
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    PQntuples(res) == 1) {
			char e[100], c[300], t[300], o[300];
			if (pg_quote_literal(admin, PQgetvalue(res, 0, 0), e,
					     sizeof(e)) == 0 &&
			    pg_quote_literal(admin, PQgetvalue(res, 0, 1), c,
					     sizeof(c)) == 0 &&
			    pg_quote_literal(admin, PQgetvalue(res, 0, 2), t,
					     sizeof(t)) == 0 &&
			    pg_quote_ident(admin, PQgetvalue(res, 0, 3), o,
					   sizeof(o)) == 0)
				snprintf(sql, sizeof(sql),
					 "CREATE DATABASE %s TEMPLATE "
					 "template0 ENCODING %s "
					 "LC_COLLATE %s LC_CTYPE %s OWNER %s",
					 qn, e, c, t, o);
		}
		PQclear(res);
	}
	return pg_exec(admin, sql, err, errlen);
}

int db_drop(PGconn *admin, const char *name, char *err, size_t errlen)
{
	char q[300], sql[400];

	if (q_ident(admin, name, q, sizeof(q), err, errlen) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
		 q);
	return pg_exec(admin, sql, err, errlen);
}

int db_drop_leftovers(PGconn *admin)
{
	PGresult *res = PQexec(
		admin,
		"SELECT datname FROM pg_database WHERE datname LIKE "
		"'pgwarden\\_tmp\\_%' OR datname LIKE 'pgwarden\\_verify\\_%'");
	char err[512];
	int n = 0;

	for (int i = 0;
	     PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res);
	     i++) {
		if (db_drop(admin, PQgetvalue(res, i, 0), err, sizeof(err)) ==
		    0) {
			log_warn("dropped '%s' left by an interrupted recovery",
				 PQgetvalue(res, i, 0));
			n++;
		} else {
			log_error("unable to drop '%s': %s",
				  PQgetvalue(res, i, 0), err);
		}
	}
	PQclear(res);
	return n;
}

/* End every session on db; a few tries, as sessions may be mid-start. */
static int terminate_sessions(PGconn *admin, const char *qlit, char *err,
			      size_t errlen)
{
	char sql[600];
	int64_t left = 1;

	snprintf(
		sql, sizeof(sql),
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		"WHERE datname = %s AND pid <> pg_backend_pid()",
		qlit);
	for (int i = 0; i < 50 && left > 0; i++) {
		if (pg_value_int64(admin, sql, &left, err, errlen) < 0)
			return -1;
		if (left > 0)
			tm_sleep_ms(100);
	}
	return 0;
}

static int rename_db(PGconn *admin, const char *from, const char *to, char *err,
		     size_t errlen)
{
	char qf[300], qt[300], sql[700];

	if (q_ident(admin, from, qf, sizeof(qf), err, errlen) < 0 ||
	    q_ident(admin, to, qt, sizeof(qt), err, errlen) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s RENAME TO %s", qf, qt);
	return pg_exec(admin, sql, err, errlen);
}

static int allow_connections(PGconn *admin, const char *db, int allow,
			     char *err, size_t errlen)
{
	char q[300], sql[400];

	if (q_ident(admin, db, q, sizeof(q), err, errlen) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s ALLOW_CONNECTIONS %s", q,
		 allow ? "true" : "false");
	return pg_exec(admin, sql, err, errlen);
}

/* Tests only (PGWARDEN_TEST_SWAP_PAUSE_MS): a window between the two
 * renames, wide enough to send a signal into. */
static void test_pause_between_renames(void)
{
	const char *ms = getenv("PGWARDEN_TEST_SWAP_PAUSE_MS");

	if (ms && *ms) {
		log_info("test: pausing %s ms between the renames", ms);
		tm_sleep_ms(atoi(ms));
	}
}

static int swap_renames(PGconn *admin, const char *target, const char *tmp,
			const char *kind, char *aside, size_t asidecap,
			char *err, size_t errlen)
{
	char stamp[32], ql[300];
	int exists = db_exists(admin, target), rc = -1;

	aside[0] = '\0';
	if (exists < 0) {
		snprintf(err, errlen, "unable to look up database '%s'",
			 target);
		return -1;
	}
	if (exists) {
		/* <db><kind>YYYYMMDD_HHMMSS must fit in 63 bytes */
		snprintf(aside, asidecap, "%.*s%s%s",
			 (int)(63 - strlen(kind) - 15), target, kind,
			 tm_stamp(tm_now(), stamp));
		if (pg_quote_literal(admin, target, ql, sizeof(ql)) < 0 ||
		    allow_connections(admin, target, 0, err, errlen) < 0)
			return -1;
		for (int i = 0; i < 20 && rc < 0; i++) {
			if (terminate_sessions(admin, ql, err, errlen) < 0)
				break;
			rc = rename_db(admin, target, aside, err, errlen);
		}
		if (rc < 0) {
			char ignored[256]; /* err already says why */
			allow_connections(admin, target, 1, ignored,
					  sizeof(ignored));
			return -1;
		}
		log_info("database '%s' kept aside as '%s'", target, aside);
		allow_connections(admin, aside, 1, err, errlen);
		test_pause_between_renames();
	}
	if (rename_db(admin, tmp, target, err, errlen) < 0)
		return -1;
	return allow_connections(admin, target, 1, err, errlen);
}

/* SIGTERM (a pod deletion) and SIGINT wait until both renames are done:
 * between them there is no database under the target's name. */
int db_swap(PGconn *admin, const char *target, const char *tmp,
	    const char *kind, char *aside, size_t asidecap, char *err,
	    size_t errlen)
{
	sigset_t hold, old;
	int rc;

	sigemptyset(&hold);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGINT);
	sigprocmask(SIG_BLOCK, &hold, &old);
	rc = swap_renames(admin, target, tmp, kind, aside, asidecap, err,
			  errlen);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
