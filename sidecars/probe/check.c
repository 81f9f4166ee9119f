#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"
#include "pg.h"

static bool fail(struct probe_result *o, const char *fmt, const char *detail)
{
	snprintf(o->what, sizeof(o->what), fmt, detail);
	o->ok = false;
	return false;
}

static bool check_sql(PGconn *conn, struct probe_result *o)
{
	char err[512], ro[16];

	if (pg_value(conn, "SELECT count(*) FROM pg_catalog.pg_class", ro,
		     sizeof(ro), err, sizeof(err)) < 0)
		return fail(o, "catalogue read failed: %s", err);
	if (pg_value(conn, "SELECT current_setting('transaction_read_only')",
		     ro, sizeof(ro), err, sizeof(err)) < 0)
		return fail(o, "read-only check failed: %s", err);
	if (strcmp(ro, "on") == 0)
		return true; /* a standby or read-only server is not sick */
	if (pg_exec(conn,
		    "CREATE TABLE IF NOT EXISTS pgwarden_heartbeat (id int "
		    "PRIMARY KEY, at timestamptz);"
		    "INSERT INTO pgwarden_heartbeat VALUES (1, now()) "
		    "ON CONFLICT (id) DO UPDATE SET at = excluded.at",
		    err, sizeof(err)) < 0)
		return fail(o, "heartbeat write failed: %s", err);
	if (pg_value(conn, "SELECT at FROM pgwarden_heartbeat WHERE id = 1", ro,
		     sizeof(ro), err, sizeof(err)) < 0)
		return fail(o, "heartbeat read failed: %s", err);
	return true;
}

static bool check_schema(const struct check_args *a, PGconn *conn,
			 struct probe_result *o)
{
	char expected[64], have[64] = "", sql[400], q[200], err[512];

	if (!a->migrations_dir[0] ||
	    migrate_expected_version(a->migrations_dir, expected,
				     sizeof(expected)) <= 0)
		return true; /* no migrations configured */
	if (pg_quote_ident(conn, a->migrations_table, q, sizeof(q)) < 0)
		return fail(o, "bad migrations table name %s",
			    a->migrations_table);
	snprintf(sql, sizeof(sql), "SELECT coalesce(max(version), '') FROM %s",
		 q);
	if (pg_value(conn, sql, have, sizeof(have), err, sizeof(err)) < 0)
		return fail(o, "schema check failed: %s", err);
	if (strtoll(have, NULL, 10) < strtoll(expected, NULL, 10)) {
		char d[200];
		snprintf(d, sizeof(d), "at version '%s', expected '%s'", have,
			 expected);
		return fail(o, "schema migrations are behind: %s", d);
	}
	return true;
}

void check_run(const struct check_args *a, struct probe_result *o)
{
	char err[512];
	PGconn *conn;
	int64_t n;

	memset(o, 0, sizeof(*o));
	o->ok = true;
	o->checksum_failures = -1;
	if (pg_ping(a->db, a->timeout_s) != PQPING_OK) {
		fail(o, "%s", "connection failed (server not answering)");
		return;
	}
	o->ping = true;
	conn = pg_connect(a->db, a->timeout_s, a->timeout_s, err, sizeof(err));
	if (!conn) {
		fail(o, "connection failed: %s", err);
		return;
	}
	o->connected = true;
	if (check_sql(conn, o) && check_schema(a, conn, o) &&
	    pg_value_int64(
		    conn,
		    /* this database's and the shared catalogs' (datid
		     * 0): a damaged copy kept aside is not ours */
		    "SELECT coalesce(sum(checksum_failures), 0) FROM "
		    "pg_stat_database WHERE datname = current_database() "
		    "OR datid = 0",
		    &n, err, sizeof(err)) == 0)
		o->checksum_failures = n;
	PQfinish(conn);
}
