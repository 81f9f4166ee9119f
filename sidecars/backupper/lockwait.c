#include "lockwait.h"

#include <stdio.h>
#include <unistd.h>

#include "pg.h"

void lockwait_appname(char *out, size_t cap)
{
	snprintf(out, cap, "pgwarden-backup-%d", (int)getpid());
}

int lockwait_describe(const char *appname, char *out, size_t cap)
{
	static const char *const sql =
		"SELECT w.datname, b.pid, coalesce(b.usename, '?'), "
		"coalesce(b.application_name, ''), "
		"coalesce(extract(epoch FROM clock_timestamp() - "
		"b.xact_start)::bigint, 0), "
		"coalesce(extract(epoch FROM clock_timestamp() - "
		"w.state_change)::bigint, 0) "
		"FROM pg_catalog.pg_stat_activity w "
		"CROSS JOIN LATERAL unnest(pg_catalog.pg_blocking_pids(w.pid)) "
		"AS bp(pid) JOIN pg_catalog.pg_stat_activity b ON b.pid = "
		"bp.pid WHERE w.application_name = $1 AND w.wait_event_type = "
		"'Lock' ORDER BY b.xact_start NULLS LAST LIMIT 1";
	const char *params[] = {appname};
	char err[256];
	PGconn *conn = pg_connect("postgres", 5, 0, err, sizeof(err));
	PGresult *res;
	int rc = -1;

	if (!conn) {
		snprintf(out, cap, "%s", err);
		return -1;
	}
	res = pg_query(conn, sql, 1, params, err, sizeof(err));
	if (!res) {
		snprintf(out, cap, "%s", err);
	} else {
		rc = PQntuples(res) == 1;
		if (rc)
			snprintf(out, cap,
				 "pg_dump of '%s' has waited %s s for a lock "
				 "held by pid %s (user %s, application '%s', "
				 "transaction open %s s)",
				 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 5),
				 PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
				 PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4));
		PQclear(res);
	}
	PQfinish(conn);
	return rc;
}
