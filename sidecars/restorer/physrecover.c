/* physrecover.c - the restorer's side of a physical recovery
 * (physrecover.h). */
#include "physrecover.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basecat.h"
#include "dbadmin.h"
#include "log.h"
#include "pg.h"
#include "proto.h"
#include "server_status.h"
#include "tm.h"

/* pgwarden-db's answer to our request: 1 started, 0 refused or failed
 * (why filled), -1 no answer within server_wait. */
static int wait_answer(const struct restore_ctx *ctx, int attempts0,
		       struct server_info *si)
{
	int64_t deadline = tm_mono_ms() + (int64_t)ctx->cfg->server_wait * 1000;

	while (!*ctx->stop && tm_mono_ms() < deadline) {
		server_status_read(ctx->cfg->backup_dir, si);
		/* laying a large base backup down takes its time */
		if (strcmp(si->state, "restoring") == 0)
			deadline = tm_mono_ms() +
				   (int64_t)ctx->cfg->server_wait * 1000;
		else if (si->physical_attempts > attempts0)
			return strcmp(si->physical, "started") == 0 ? 1 : 0;
		tm_sleep_ms(200);
	}
	return -1;
}

/* Wait for the server to replay to the end and promote: as long as the
 * replay moves, and server_wait more when it does not. */
static int wait_promoted(const struct restore_ctx *ctx, char *why,
			 size_t whylen)
{
	int64_t wait = (int64_t)ctx->cfg->server_wait * 1000;
	int64_t deadline = tm_mono_ms() + wait;
	char lsn[64] = "", prev[64] = "", err[256], v[16];

	while (!*ctx->stop && tm_mono_ms() < deadline) {
		PGconn *c = pg_connect(ADMIN_DB, 3, 10, err, sizeof(err));
		if (c && pg_value(c, "SELECT pg_is_in_recovery()", v, sizeof(v),
				  err, sizeof(err)) == 0) {
			if (strcmp(v, "f") == 0) {
				PQfinish(c);
				return 0;
			}
			pg_value(c,
				 "SELECT "
				 "coalesce(pg_last_wal_replay_lsn()::text, "
				 "'')",
				 lsn, sizeof(lsn), err, sizeof(err));
			if (strcmp(lsn, prev) != 0) {
				snprintf(prev, sizeof(prev), "%s", lsn);
				deadline = tm_mono_ms() + wait;
			}
		}
		if (c)
			PQfinish(c);
		tm_sleep_ms(300);
	}
	snprintf(why, whylen,
		 "the server did not finish its recovery within server_wait "
		 "(%d s without progress; last replayed: %s)",
		 ctx->cfg->server_wait, prev[0] ? prev : "none");
	return -1;
}

/* Before anything counts as served: every table of the target reads
 * whole (a sequential scan checks each page's checksum), and the
 * recovery point. */
int physical_read_tables(const char *target, struct physical_outcome *out)
{
	char err[512];
	PGconn *c = pg_connect(target, 10, 0, err, sizeof(err));
	PGresult *res;
	int rc = 0;

	if (!c) {
		snprintf(out->why, sizeof(out->why),
			 "the target database does not answer: %s", err);
		return -1;
	}
	pg_value(c, "SELECT coalesce(pg_last_wal_replay_lsn()::text, '')",
		 out->lsn, sizeof(out->lsn), err, sizeof(err));
	pg_value(c,
		 "SELECT coalesce(pg_last_xact_replay_timestamp()::text, '')",
		 out->last_commit, sizeof(out->last_commit), err, sizeof(err));
	res = pg_query(
		c,
		"SELECT format('SELECT count(*) FROM %I.%I', n.nspname, "
		"c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid "
		"= c.relnamespace WHERE c.relkind IN ('r', 'm') AND "
		"n.nspname NOT IN ('pg_catalog', 'information_schema') "
		"AND n.nspname NOT LIKE 'pg\\_toast%'",
		0, NULL, err, sizeof(err));
	for (int i = 0; res && i < PQntuples(res) && rc == 0; i++) {
		rc = pg_exec(c, PQgetvalue(res, i, 0), err, sizeof(err));
		if (rc < 0)
			snprintf(out->why, sizeof(out->why),
				 "a table does not read after the recovery: "
				 "%.400s",
				 err);
		else
			out->tables++;
	}
	if (!res) {
		snprintf(out->why, sizeof(out->why),
			 "unable to list the tables: %s", err);
		rc = -1;
	}
	PQclear(res);
	PQfinish(c);
	return rc;
}

/* Worth asking? pgwarden-db must be there (a fresh server.status) and a
 * usable base backup must exist; which one, and whether its chain holds,
 * pgwarden-db decides (basecat_choose). */
static bool worth_asking(const struct restore_ctx *ctx,
			 const struct server_info *si, char *why, size_t whylen)
{
	struct base_entry *l;
	int n = basecat_scan(ctx->cfg->backup_dir, &l);
	bool any = false;

	for (int i = 0; i < n && !any; i++)
		any = l[i].usable;
	free(l);
	if (si->age < 0 || si->age > SERVER_STATUS_FRESH)
		snprintf(why, whylen,
			 "pgwarden-db is not running (no fresh "
			 "server.status): it owns PGDATA");
	else if (!any)
		snprintf(why, whylen, "no usable base backup");
	return si->age >= 0 && si->age <= SERVER_STATUS_FRESH && any;
}

enum physical_result physical_recover(const struct restore_ctx *ctx,
				      const char *target, const char *reason,
				      struct physical_outcome *out)
{
	struct server_info si;
	char req[600], one[501];
	int answer;

	memset(out, 0, sizeof(*out));
	server_status_read(ctx->cfg->backup_dir, &si);
	if (!worth_asking(ctx, &si, out->why, sizeof(out->why)))
		return PHYSICAL_NOT_POSSIBLE;
	snprintf(one, sizeof(one), "%s", reason);
	for (char *p = one; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	snprintf(req, sizeof(req), "reason=%s\n", one);
	if (proto_request_write(ctx->cfg->backup_dir, PROTO_REQ_PHYSICAL, req) <
	    0) {
		snprintf(out->why, sizeof(out->why),
			 "unable to ask pgwarden-db");
		return PHYSICAL_NOT_POSSIBLE;
	}
	log_info("asked pgwarden-db for a physical recovery");
	answer = wait_answer(ctx, si.physical_attempts, &si);
	if (answer <= 0) {
		snprintf(out->why, sizeof(out->why), "%s",
			 answer < 0 ? "pgwarden-db did not answer the request "
				      "(is it running?)"
				    : si.physical_why);
		return PHYSICAL_NOT_POSSIBLE;
	}
	snprintf(out->base, sizeof(out->base), "%s", si.physical_base);
	snprintf(out->aside, sizeof(out->aside), "%s", si.damaged_dir);
	if (wait_promoted(ctx, out->why, sizeof(out->why)) < 0 ||
	    physical_read_tables(target, out) < 0)
		return PHYSICAL_FAILED;
	return PHYSICAL_DONE;
}
