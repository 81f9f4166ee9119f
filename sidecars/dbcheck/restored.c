#include "restored.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "pg.h"

#define SAMPLE_TABLES 5

static int check_extensions(PGconn *conn, const struct manifest *m, char *why,
			    size_t whylen)
{
	for (int i = 0; i < m->nextensions; i++) {
		const char *params[] = {m->extensions[i].name};
		char err[256];
		PGresult *res = pg_query(conn,
					 "SELECT extversion FROM "
					 "pg_catalog.pg_extension WHERE "
					 "extname = $1",
					 1, params, err, sizeof(err));
		int n = res ? PQntuples(res) : -1;
		PQclear(res);
		if (n != 1) {
			snprintf(why, whylen, "extension %s is missing%s%s",
				 m->extensions[i].name, n < 0 ? ": " : "",
				 n < 0 ? err : "");
			return -1;
		}
	}
	return 0;
}

/* Does table name (as the dump wrote it) exist and hold a row? */
static int has_rows(PGconn *conn, const char *name, char *why, size_t whylen)
{
	char err[256], ref[600], sql[700], v[8];
	int found =
		pg_table_ref(conn, name, ref, sizeof(ref), err, sizeof(err));

	if (found <= 0) {
		snprintf(why, whylen, "table %s is missing%s%s", name,
			 found < 0 ? ": " : "", found < 0 ? err : "");
		return -1;
	}
	snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 FROM %s)", ref);
	if (pg_value(conn, sql, v, sizeof(v), err, sizeof(err)) < 0) {
		snprintf(why, whylen, "table %s: %s", name, err);
		return -1;
	}
	if (strcmp(v, "t") != 0) {
		snprintf(why, whylen,
			 "table %s is empty, the backup had rows in it", name);
		return -1;
	}
	return 0;
}

static bool picked_already(const int *picked, int n, int i)
{
	for (int k = 0; k < n; k++)
		if (picked[k] == i)
			return true;
	return false;
}

/* The largest tables of the backup (among all of them), each once. */
static int check_sample(PGconn *conn, const struct manifest *m, char *why,
			size_t whylen)
{
	int picked[SAMPLE_TABLES];

	for (int k = 0; k < SAMPLE_TABLES; k++) {
		int best = -1;
		for (int i = 0; i < m->ntables; i++)
			if (m->table_rows[i].rows > 0 &&
			    !picked_already(picked, k, i) &&
			    (best < 0 ||
			     m->table_rows[i].rows > m->table_rows[best].rows))
				best = i;
		if (best < 0)
			break;
		picked[k] = best;
		if (has_rows(conn, m->table_rows[best].name, why, whylen) < 0)
			return -1;
	}
	return 0;
}

int restored_check(const char *db, int timeout_s, const char *dir,
		   const char *backup, char *why, size_t whylen)
{
	struct manifest m;
	char err[512];
	PGconn *conn;
	int rc;

	if (manifest_read(dir, backup, &m, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "%s", err);
		return -1;
	}
	conn = pg_connect(db, timeout_s, timeout_s * 4, err, sizeof(err));
	if (!conn) {
		snprintf(why, whylen, "connection failed: %s", err);
		manifest_free(&m);
		return -1;
	}
	rc = check_extensions(conn, &m, why, whylen);
	if (rc == 0)
		rc = check_sample(conn, &m, why, whylen);
	PQfinish(conn);
	manifest_free(&m);
	return rc;
}
