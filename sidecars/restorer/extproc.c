#include "extproc.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pg.h"

/* Known procedures. An extension named in restore_procedures that is not
 * here follows TimescaleDB's convention: <name>_pre_restore() and
 * <name>_post_restore(). */
static const struct {
	const char *name, *before, *after;
} known[] = {
	{"timescaledb", "SELECT public.timescaledb_pre_restore()",
	 "SELECT public.timescaledb_post_restore()"},
};

bool ext_has_procedure(const struct pgw_config *c, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = c->restore_procedures; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static void step_sql(const char *name, bool before, char *sql, size_t cap)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i].name, name) == 0) {
			snprintf(sql, cap, "%s",
				 before ? known[i].before : known[i].after);
			return;
		}
	/* name is a plain identifier (cfg CFG_NAMES) */
	snprintf(sql, cap, "SELECT %s_%s_restore()", name,
		 before ? "pre" : "post");
}

/* What the server can install of extension e: 1 at e's version, 0 not at
 * that version (have: its default), -1 not at all. */
static int available(PGconn *conn, const struct manifest_ext *e, char *have,
		     size_t cap, char *err, size_t errlen)
{
	const char *params[] = {e->name, e->version};
	PGresult *res = pg_query(
		conn,
		"SELECT a.default_version, EXISTS (SELECT 1 FROM "
		"pg_catalog.pg_available_extension_versions v WHERE v.name = "
		"$1 AND v.version = $2) FROM "
		"pg_catalog.pg_available_extensions "
		"a WHERE a.name = $1",
		2, params, err, errlen);
	int rc;

	if (!res)
		return -2;
	if (PQntuples(res) != 1) {
		rc = -1;
	} else {
		snprintf(have, cap, "%s", PQgetvalue(res, 0, 0));
		rc = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	}
	PQclear(res);
	return rc;
}

static int check_one(PGconn *conn, const struct pgw_config *c,
		     const struct manifest_ext *e, bool *server_fault,
		     char *err, size_t errlen)
{
	char have[64] = "", e2[256];
	int a = available(conn, e, have, sizeof(have), e2, sizeof(e2));
	bool proc = ext_has_procedure(c, e->name);

	if (a == -2) {
		snprintf(err, errlen, "unable to look up extension %s: %s",
			 e->name, e2);
		return -1;
	}
	*server_fault = true;
	if (a < 0) {
		snprintf(err, errlen,
			 "backup needs extension %s %s, the server does not "
			 "have it: install it on the server",
			 e->name, e->version);
		return -1;
	}
	if (a == 0 && proc) {
		snprintf(err, errlen,
			 "backup needs %s %s, server has %s: install %s %s "
			 "on the server (its restore needs the same version)",
			 e->name, e->version, have, e->name, e->version);
		return -1;
	}
	if (a == 0)
		log_warn("backup has extension %s %s, the server will create "
			 "%s",
			 e->name, e->version, have);
	*server_fault = false;
	return 0;
}

static int create_and_prepare(struct ext_session *s,
			      const struct manifest_ext *e, bool *server_fault,
			      char *err, size_t errlen)
{
	char qn[200], qv[200], qs[200], sql[800], e2[512];

	if (pg_quote_ident(s->conn, e->name, qn, sizeof(qn)) < 0 ||
	    pg_quote_literal(s->conn, e->version, qv, sizeof(qv)) < 0 ||
	    pg_quote_ident(s->conn, e->schema, qs, sizeof(qs)) < 0) {
		snprintf(err, errlen, "unable to quote extension %s", e->name);
		return -1;
	}
	/* pg_dump creates schemas itself (without IF NOT EXISTS): only one
	 * a new database already has can take the extension beforehand */
	if (strcmp(e->schema, "public") != 0) {
		*server_fault = true;
		snprintf(err, errlen,
			 "extension %s is in schema %s: pgwarden creates "
			 "extensions with a restore procedure in public only",
			 e->name, e->schema);
		return -1;
	}
	snprintf(sql, sizeof(sql),
		 "CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s VERSION %s",
		 qn, qs, qv);
	if (pg_exec(s->conn, sql, e2, sizeof(e2)) < 0) {
		*server_fault = true;
		snprintf(err, errlen, "unable to create extension %s %s: %s",
			 e->name, e->version, e2);
		return -1;
	}
	step_sql(e->name, true, sql, sizeof(sql));
	if (pg_exec(s->conn, sql, e2, sizeof(e2)) < 0) {
		*server_fault = true;
		snprintf(err, errlen, "%s before the restore failed: %s", sql,
			 e2);
		return -1;
	}
	snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", e->name);
	log_info("extension %s %s created, restore procedure begun (%s)",
		 e->name, e->version, sql);
	return 0;
}

int ext_prepare(const struct pgw_config *c, const char *db,
		const struct manifest *m, struct ext_session *s,
		bool *server_fault, char *err, size_t errlen)
{
	char e2[512];

	memset(s, 0, sizeof(*s));
	*server_fault = false;
	if (m->nextensions == 0)
		return 0;
	s->conn = pg_connect(db, 10, 0, e2, sizeof(e2));
	if (!s->conn) {
		snprintf(err, errlen, "unable to connect to '%s': %s", db, e2);
		return -1;
	}
	for (int i = 0; i < m->nextensions; i++)
		if (check_one(s->conn, c, &m->extensions[i], server_fault, err,
			      errlen) < 0)
			goto fail;
	for (int i = 0; i < m->nextensions; i++)
		if (ext_has_procedure(c, m->extensions[i].name) &&
		    create_and_prepare(s, &m->extensions[i], server_fault, err,
				       errlen) < 0)
			goto fail;
	return 0;
fail:
	PQfinish(s->conn);
	s->conn = NULL;
	return -1;
}

int ext_finish(struct ext_session *s, char *err, size_t errlen)
{
	char sql[200], e2[512];
	int rc = 0;

	for (int i = 0; i < s->n && s->conn; i++) {
		step_sql(s->names[i], false, sql, sizeof(sql));
		if (pg_exec(s->conn, sql, e2, sizeof(e2)) < 0 && rc == 0) {
			snprintf(err, errlen, "%s after the restore failed: %s",
				 sql, e2);
			rc = -1;
		}
	}
	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
	return rc;
}
