#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"
#include "pg.h"

struct check {
	const struct check_args *a;
	PGconn *conn;
	struct dbcheck_result *o;
};

static bool fail(struct dbcheck_result *o, enum check_class cls,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail(struct dbcheck_result *o, enum check_class cls,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->what, sizeof(o->what), fmt, ap);
	va_end(ap);
	o->ok = false;
	o->cls = cls;
	return false;
}

/* Who holds a lock on rel in this database: pid, user, application and
 * how long its transaction has been open. The query text is not shown: it
 * may carry a secret (ALTER ROLE ... PASSWORD). */
static void lock_holder(PGconn *conn, const char *rel, char *out, size_t cap)
{
	static const char *const sql =
		"SELECT a.pid, coalesce(a.usename, '?'), "
		"coalesce(a.application_name, ''), l.mode, "
		"coalesce(extract(epoch FROM clock_timestamp() - "
		"a.xact_start)::bigint, 0) "
		"FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a "
		"ON a.pid = l.pid WHERE l.granted AND l.locktype = 'relation' "
		"AND l.relation = to_regclass($1) AND l.pid <> "
		"pg_backend_pid() ORDER BY a.xact_start NULLS LAST LIMIT 1";
	const char *params[] = {rel};
	char err[256];
	PGresult *res = pg_query(conn, sql, 1, params, err, sizeof(err));

	if (res && PQntuples(res) == 1)
		snprintf(out, cap,
			 "%s held by pid %s (user %s, application '%s', %s, "
			 "transaction open %s s)",
			 rel, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
			 PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
			 PQgetvalue(res, 0, 4));
	else
		snprintf(out, cap, "%s (the holder is gone)", rel);
	PQclear(res);
}

/* A failed statement, classified by its SQLSTATE. grant: what the role
 * needs, named in a configuration failure; rel: the relation a lock wait
 * was on. */
static bool sql_fail(struct check *k, const char *what, const char *err,
		     const char *grant, const char *rel)
{
	enum check_class cls = check_class_of_sqlstate(pg_last_sqlstate());
	char holder[256];

	if (cls == CHECK_LOCK_WAIT && rel) {
		lock_holder(k->conn, rel, holder, sizeof(holder));
		return fail(k->o, cls, "%s: waiting on a lock on %s: %s", what,
			    holder, err);
	}
	if (cls == CHECK_CONFIG && grant)
		return fail(k->o, cls, "%s: %s (role '%s' needs: %s)", what,
			    err, PQuser(k->conn), grant);
	return fail(k->o, cls, "%s: %s", what, err);
}

static bool check_catalogue(struct check *k, bool *read_only)
{
	char err[512], v[16];

	if (pg_value(k->conn, "SELECT count(*) FROM pg_catalog.pg_class", v,
		     sizeof(v), err, sizeof(err)) < 0)
		return sql_fail(k, "catalogue read failed", err, NULL,
				"pg_catalog.pg_class");
	if (pg_value(k->conn, "SELECT current_setting('transaction_read_only')",
		     v, sizeof(v), err, sizeof(err)) < 0)
		return sql_fail(k, "read-only check failed", err, NULL, NULL);
	*read_only = strcmp(v, "on") == 0;
	return true;
}

/* CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
 * schema exists: ask first. */
static int create_heartbeat(PGconn *conn, char *err, size_t errlen)
{
	char v[8];

	if (pg_value(conn,
		     "SELECT count(*) FROM pg_catalog.pg_namespace WHERE "
		     "nspname = '" PGW_OWN_SCHEMA "'",
		     v, sizeof(v), err, errlen) < 0)
		return -1;
	if (strcmp(v, "0") == 0 &&
	    pg_exec(conn, "CREATE SCHEMA " PGW_OWN_SCHEMA, err, errlen) < 0)
		return -1;
	return pg_exec(conn,
		       "CREATE TABLE IF NOT EXISTS " PGW_OWN_SCHEMA
		       ".heartbeat (id int PRIMARY KEY, at timestamptz NOT "
		       "NULL)",
		       err, errlen);
}

/* A write and read round trip in pgwarden's own schema. The schema is
 * created only when missing, so a role that owns it (see
 * config/monitor-role.sql) needs no CREATE on the database. */
static bool check_heartbeat(struct check *k)
{
	char err[512], v[64];

	if (strcmp(k->a->heartbeat, "off") == 0)
		return true;
	if (pg_value(k->conn,
		     "SELECT to_regclass('" PGW_OWN_SCHEMA
		     ".heartbeat') IS NOT NULL",
		     v, sizeof(v), err, sizeof(err)) < 0)
		return sql_fail(k, "heartbeat lookup failed", err, NULL, NULL);
	if (strcmp(v, "t") != 0 &&
	    create_heartbeat(k->conn, err, sizeof(err)) < 0)
		return sql_fail(k, "heartbeat table pgwarden.heartbeat missing",
				err,
				"the schema created by config/monitor-role.sql "
				"(or CREATE on the database), or heartbeat = "
				"off",
				NULL);
	if (pg_exec(k->conn,
		    "INSERT INTO " PGW_OWN_SCHEMA
		    ".heartbeat VALUES (1, now()) "
		    "ON CONFLICT (id) DO UPDATE SET at = excluded.at",
		    err, sizeof(err)) < 0)
		return sql_fail(k, "heartbeat write failed", err,
				"INSERT, UPDATE on pgwarden.heartbeat",
				"pgwarden.heartbeat");
	if (pg_value(k->conn,
		     "SELECT at FROM " PGW_OWN_SCHEMA ".heartbeat WHERE id = 1",
		     v, sizeof(v), err, sizeof(err)) < 0)
		return sql_fail(k, "heartbeat read failed", err,
				"SELECT on pgwarden.heartbeat",
				"pgwarden.heartbeat");
	return true;
}

static bool check_schema(struct check *k)
{
	const struct check_args *a = k->a;
	char expected[64], have[64] = "", sql[400], q[200], err[512], g[300];

	if (!a->migrations_dir[0] ||
	    migrate_expected_version(a->migrations_dir, expected,
				     sizeof(expected)) <= 0)
		return true; /* no migrations configured */
	if (pg_quote_ident(k->conn, a->migrations_table, q, sizeof(q)) < 0)
		return fail(k->o, CHECK_CONFIG, "bad migrations table name %s",
			    a->migrations_table);
	snprintf(sql, sizeof(sql), "SELECT coalesce(max(version), '') FROM %s",
		 q);
	snprintf(g, sizeof(g), "SELECT on %s and USAGE on its schema", q);
	if (pg_value(k->conn, sql, have, sizeof(have), err, sizeof(err)) < 0)
		return sql_fail(k, "schema check failed", err, g,
				a->migrations_table);
	if (strtoll(have, NULL, 10) < strtoll(expected, NULL, 10))
		return fail(k->o, CHECK_SCHEMA,
			    "schema migrations are behind: at version '%s', "
			    "expected '%s'",
			    have, expected);
	return true;
}

static void count_checksum_failures(struct check *k)
{
	char err[512];
	int64_t n;

	/* this database's and the shared catalogs' (datid 0): a damaged
	 * copy kept aside is not ours */
	if (pg_value_int64(
		    k->conn,
		    "SELECT coalesce(sum(checksum_failures), 0) FROM "
		    "pg_stat_database WHERE datname = current_database() "
		    "OR datid = 0",
		    &n, err, sizeof(err)) == 0)
		k->o->checksum_failures = n;
}

static void copy_cell(const PGresult *r, int col, char *out, size_t cap)
{
	snprintf(out, cap, "%s", PQgetvalue(r, 0, col));
}

/* Where the archive stands against the server (docs/WAL.md "Lag"): the
 * last file archived and when, the server's WAL position (none on a
 * standby), its segment size and the cluster. */
static void read_archive_position(struct check *k)
{
	char err[512], v[32];
	PGresult *r = pg_query(
		k->conn,
		"SELECT (current_setting('archive_mode') <> 'off')::int, "
		"coalesce(a.last_archived_wal, ''), "
		"coalesce(extract(epoch FROM a.last_archived_time)::bigint, "
		"0), "
		"CASE WHEN pg_is_in_recovery() THEN -1 ELSE "
		"(pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint END, "
		"pg_size_bytes(current_setting('wal_segment_size')), "
		"(SELECT system_identifier FROM pg_control_system())::text, "
		"pg_snapshot_xmax(pg_current_snapshot())::text::bigint "
		"FROM pg_stat_archiver a",
		0, NULL, err, sizeof(err));

	if (!r)
		return;
	if (PQntuples(r) == 1 && PQnfields(r) == 7) {
		copy_cell(r, 0, v, sizeof(v));
		k->o->archive_on = atoi(v);
		copy_cell(r, 1, k->o->archived_wal, sizeof(k->o->archived_wal));
		copy_cell(r, 2, v, sizeof(v));
		k->o->archived_at = strtoll(v, NULL, 10);
		copy_cell(r, 3, v, sizeof(v));
		k->o->wal_lsn = strtoll(v, NULL, 10);
		copy_cell(r, 4, v, sizeof(v));
		k->o->wal_segment_size = strtoll(v, NULL, 10);
		copy_cell(r, 5, k->o->cluster_id, sizeof(k->o->cluster_id));
		copy_cell(r, 6, v, sizeof(v));
		k->o->next_xid = strtoll(v, NULL, 10);
	}
	PQclear(r);
}

/* Is the WAL archive failing (docs/WAL.md)? The archiver's last attempt
 * failed after its last success: for how long, on which file. */
static void read_archiver(struct check *k)
{
	char err[512], wal[64];
	int64_t n;

	if (pg_value_int64(
		    k->conn,
		    "SELECT CASE WHEN current_setting('archive_mode') = 'off' "
		    "OR last_failed_time IS NULL OR last_failed_time <= "
		    "coalesce(last_archived_time, '-infinity') THEN 0 ELSE "
		    "greatest(1, extract(epoch FROM now() - "
		    "coalesce(last_archived_time, stats_reset, "
		    "pg_postmaster_start_time())))::bigint END FROM "
		    "pg_stat_archiver",
		    &n, err, sizeof(err)) < 0)
		return;
	k->o->archive_failing = n;
	if (n > 0 && pg_value(k->conn,
			      "SELECT coalesce(last_failed_wal, '') FROM "
			      "pg_stat_archiver",
			      wal, sizeof(wal), err, sizeof(err)) == 0)
		snprintf(k->o->archive_wal, sizeof(k->o->archive_wal), "%s",
			 wal);
	read_archive_position(k);
}

/* A login refused by a server that answers pings: the message is all
 * libpq gives (no SQLSTATE for a failed connection). */
static enum check_class connect_class(const char *err)
{
	static const struct {
		const char *text;
		enum check_class cls;
	} msgs[] = {
		{"password authentication failed", CHECK_CONFIG},
		{"no pg_hba.conf entry", CHECK_CONFIG},
		{"no password supplied", CHECK_CONFIG},
		{"permission denied", CHECK_CONFIG},
		{"role \"", CHECK_CONFIG}, /* role "x" does not exist */
		{"too many clients", CHECK_RESOURCES},
		{"connection slots are reserved", CHECK_RESOURCES},
		{"out of memory", CHECK_RESOURCES},
	};

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		if (strstr(err, msgs[i].text))
			return msgs[i].cls;
	return CHECK_DOWN;
}

void check_run(const struct check_args *a, struct dbcheck_result *o)
{
	char err[512], set[64];
	struct check k = {a, NULL, o};
	bool read_only = false;

	dbcheck_result_clear(o);
	o->ok = true;
	if (pg_ping(a->db, a->timeout_s) != PQPING_OK) {
		fail(o, CHECK_DOWN, "connection failed (server not answering)");
		return;
	}
	o->ping = true;
	k.conn =
		pg_connect(a->db, a->timeout_s, a->timeout_s, err, sizeof(err));
	if (!k.conn) {
		fail(o, connect_class(err), "connection failed: %s", err);
		return;
	}
	o->connected = true;
	/* a lock wait ends before the statement timeout, as a lock wait */
	snprintf(set, sizeof(set), "SET lock_timeout = %d",
		 a->timeout_s * 1000 / 2);
	if (pg_exec(k.conn, set, err, sizeof(err)) < 0)
		sql_fail(&k, "session set-up failed", err, NULL, NULL);
	else if (check_catalogue(&k, &read_only) &&
		 (read_only || check_heartbeat(&k)) && check_schema(&k)) {
		count_checksum_failures(&k);
		read_archiver(&k);
	}
	PQfinish(k.conn);
}
