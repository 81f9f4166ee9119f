/*
 * pg.h - libpq helpers (connections with timeouts, one-value queries,
 * quoting). What needs no libpq is in pgenv.h.
 *
 * Connection settings come from the standard PG* environment (PGHOST, PGPORT,
 * PGUSER, PGDATABASE, PGPASSFILE) and, for the password, from a secret file
 * (config password_file) or PGPASSWORD; both are turned into a private
 * pgpass file so that child tools authenticate without a password in argv or
 * in their environment. Connections always carry a connect timeout and a
 * statement timeout.
 */
#ifndef PGW_PG_H
#define PGW_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgenv.h"

/* Connect to dbname (NULL: target default) with timeouts in seconds.
 * Returns NULL with a one-line reason in err. */
PGconn *pg_connect(const char *dbname, int connect_timeout_s,
		   int statement_timeout_s, char *err, size_t errlen);
/* libpq ping: the pg_isready equivalent. */
PGPing pg_ping(const char *dbname, int timeout_s);
/* Run a command; 0 or -1 with the server's message in err. */
int pg_exec(PGconn *conn, const char *sql, char *err, size_t errlen);
/* First column of the first row into out; -1 on error or no row. */
int pg_value(PGconn *conn, const char *sql, char *out, size_t cap, char *err,
	     size_t errlen);
/* Same, as an integer. */
int pg_value_int64(PGconn *conn, const char *sql, int64_t *out, char *err,
		   size_t errlen);
/* A query with text parameters ($1...); the result (PQclear it) or NULL
 * with the server's message in err. */
PGresult *pg_query(PGconn *conn, const char *sql, int nparams,
		   const char *const *params, char *err, size_t errlen);
/* The SQLSTATE of this thread's last failed pg_exec/pg_value/pg_query
 * ("" when the failure came without one, such as a lost connection). */
const char *pg_last_sqlstate(void);
/* A table named by text from outside (a manifest: "schema.table" as
 * pg_dump quoted it) resolved by the server with to_regclass($1), a
 * parameter: out gets the server's own quoted name, safe to put in SQL.
 * 1 found, 0 no such table, -1 error (err). Never paste such a name. */
int pg_table_ref(PGconn *conn, const char *name, char *out, size_t cap,
		 char *err, size_t errlen);
/* Quote an identifier/literal into out with libpq escaping. -1 on error. */
int pg_quote_ident(PGconn *conn, const char *ident, char *out, size_t cap);
int pg_quote_literal(PGconn *conn, const char *lit, char *out, size_t cap);

#endif
