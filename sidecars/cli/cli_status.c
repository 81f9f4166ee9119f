/* pgwarden status [--json] [--check] [--alive SIDECAR] [--ready] (the last
 * two: cli_probes.c): the whole system in
 * one look, for kubectl exec, scripts and probes. Reads the backups
 * directory (status.h); the table also asks the server which databases
 * recoveries kept aside (a short timeout: a down server is "unknown"). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "fs.h"
#include "notify.h"
#include "pg.h"
#include "proto.h"
#include "status.h"
#include "tm.h"

#define MAX_PROBLEMS 8

struct problems {
	int n;
	char text[MAX_PROBLEMS][256];
};

static void problem(struct problems *p, const char *fmt, const char *a, long b)
	__attribute__((format(printf, 2, 0)));

static void problem(struct problems *p, const char *fmt, const char *a, long b)
{
	if (p->n < MAX_PROBLEMS)
		snprintf(p->text[p->n++], sizeof(p->text[0]), fmt, a, b);
}

/* What makes `--check` fail: things an operator must look at. */
/* The physical path's (docs/WAL.md): the same limits the monitor's dead
 * man's switch alerts on. */
static void archive_problems(const struct pgw_config *c,
			     const struct pgw_status *st, struct problems *p)
{
	const struct status_archive *a = &st->archive;
	long base_age = status_base_age(st);

	if (strcmp(a->chain.chain, "broken") == 0)
		problem(p,
			"the WAL archive has a gap: %s (no physical recovery "
			"until a new base backup)%.0ld",
			a->chain.why, 0);
	if (c->wal_archive_max_lag > 0 && a->lag_s > c->wal_archive_max_lag)
		problem(p, "the WAL archive is %s%ld s behind", "",
			(long)a->lag_s);
	if (c->base_backup_max_age > 0 && base_age > c->base_backup_max_age)
		problem(p, "the newest base backup is %s%ld s old", "",
			base_age);
}

static void find_problems(const struct pgw_config *c,
			  const struct pgw_status *st, struct problems *p)
{
	long stale_after = 3L * c->health_check_interval + 60;
	long age = status_backup_age(st);

	memset(p, 0, sizeof(*p));
	if (!st->health[0])
		problem(p, "no health check recorded yet%s", "", 0);
	else if (st->monitor_age > stale_after)
		problem(p, "the monitor's last check is %s%ld s old", "",
			st->monitor_age);
	else if (strcmp(st->health, "healthy") != 0)
		problem(p, "database unhealthy: %s (%ld failed checks)",
			st->last_error, st->failures);
	if (st->recovering)
		problem(p, "recovery in progress (phase %s)%.0ld",
			st->recovery_phase, 0);
	if (st->recovery_stale)
		problem(p,
			"a stale recovery-in-progress: a recovery was "
			"interrupted%s (the restorer resumes it when it "
			"starts)%.0ld",
			"", 0);
	if (age < 0)
		problem(p, "no valid backup%s", "", 0);
	else if (c->backup_max_age > 0 && age > c->backup_max_age)
		problem(p, "the newest valid backup is %s%ld s old", "", age);
	archive_problems(c, st, p);
	if (st->alerts_undelivered > 0)
		problem(p, "%s%ld alert(s) undelivered", "",
			st->alerts_undelivered);
	if (st->pause.active && st->pause.until && st->now > st->pause.until)
		problem(p,
			"paused (%s) and overdue by %ld s: pgwarden resume "
			"when the maintenance is done",
			st->pause.reason, (long)(st->now - st->pause.until));
	for (int i = 0; i < SC_N; i++)
		if (st->sidecar_known[i] && !st->sidecar_up[i])
			problem(p, "the %s sidecar is not running%.0ld",
				status_sidecar_names[i], 0);
	if (st->requests_stale)
		problem(p,
			"nobody is taking %s (left unclaimed for more than "
			"%ld s)",
			st->requests_stale_names, (long)c->sidecar_timeout);
}

static const char *ago(time_t now, time_t t, char *buf, size_t cap)
{
	long s = (long)(now - t);

	if (s < 0)
		snprintf(buf, cap, "in %ldh %02ldm", -s / 3600, -s / 60 % 60);
	else
		snprintf(buf, cap, "%ldh %02ldm ago", s / 3600, s / 60 % 60);
	return buf;
}

static void print_backup(const char *label, const struct status_backup *b,
			 time_t now)
{
	char a[32], sz[32];

	if (!b->present) {
		printf("%-16s none\n", label);
		return;
	}
	printf("%-16s %s  %s  %s  taken %s", label, b->file,
	       b->status[0] ? b->status : "no-manifest",
	       fs_human_size(b->size, sz, sizeof(sz)),
	       ago(now, b->when, a, sizeof(a)));
	if (b->duration_ms > 0)
		printf("  took %.1f s", (double)b->duration_ms / 1000.0);
	if (b->verified_at[0])
		printf("  verified %s (restore %.1f s)", b->verified_at,
		       (double)b->restore_ms / 1000.0);
	printf("\n");
}

/* "running, up 2h 05m, 1 restart" */
static void print_server(const struct pgw_status *st)
{
	char up[64] = "";
	long secs = st->server_since ? (long)(st->now - st->server_since) : -1;

	if (secs >= 0 && strcmp(st->server_state, "running") == 0)
		snprintf(up, sizeof(up), ", up %ldh %02ldm", secs / 3600,
			 secs / 60 % 60);
	printf("%-16s %s%s", "server",
	       st->server_state[0] ? st->server_state : "unknown", up);
	if (st->server_restarts >= 0)
		printf(", %d restart%s", st->server_restarts,
		       st->server_restarts == 1 ? "" : "s");
	printf("\n");
}

/* "monitor up, backupper DOWN, restorer up, db -" */
static void print_sidecars(const struct pgw_status *st)
{
	printf("%-16s", "sidecars");
	for (int i = 0; i < SC_N; i++)
		printf("%s %s %s", i ? "," : "", status_sidecar_names[i],
		       st->sidecar_up[i]      ? "up"
		       : st->sidecar_known[i] ? "DOWN"
					      : "-");
	printf("\n");
}

/* The databases recoveries renamed aside, with their sizes and when
 * retention drops them. NULL when the server cannot be asked. */
static PGresult *asides(void)
{
	char err[256];
	PGconn *conn = pg_connect("postgres", 3, 10, err, sizeof(err));
	PGresult *res;

	if (!conn)
		return NULL;
	res = PQexec(conn, "SELECT datname, pg_database_size(oid) FROM "
			   "pg_database WHERE datname ~ '" PROTO_ASIDE_DB_REGEX
			   "' ORDER BY right(datname, 15)");
	PQfinish(conn);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return NULL;
	}
	return res;
}

/* When retention drops an aside: its stamp plus damaged_keep_days. */
static time_t aside_drop_at(const struct pgw_config *c, const char *db)
{
	size_t n = strlen(db);
	struct backup_name bn;
	char fake[NAME_MAX + 1];

	if (n < 15)
		return 0;
	snprintf(fake, sizeof(fake), "globals_%s.sql.gz", db + n - 15);
	if (proto_backup_parse(fake, &bn) < 0)
		return 0;
	return bn.when + (time_t)c->damaged_keep_days * 86400;
}

static void print_asides(const struct pgw_config *c)
{
	PGresult *res = asides();
	char sz[32], h[TM_ISO_LEN];

	if (!res) {
		printf("%-16s unknown (the server cannot be asked)\n",
		       "kept aside");
		return;
	}
	if (PQntuples(res) == 0)
		printf("%-16s none\n", "kept aside");
	for (int i = 0; i < PQntuples(res); i++) {
		const char *db = PQgetvalue(res, i, 0);
		time_t drop = aside_drop_at(c, db);
		printf("%-16s %s  %s, dropped after %s\n",
		       i ? "" : "kept aside", db,
		       fs_human_size(strtoll(PQgetvalue(res, i, 1), NULL, 10),
				     sz, sizeof(sz)),
		       drop ? tm_human(drop, h) : "?");
	}
	PQclear(res);
}

/* "backup  backup_..._app.sql.gz: 12.0 MiB of about 50.0 MiB (24%), 3m 05s" */
static void print_job(const struct pgw_status *st)
{
	const struct progress_info *j = &st->job;
	char done[32], total[32], pct[16] = "";
	long secs = j->started ? (long)(st->now - j->started) : 0;
	bool about = strcmp(j->job, "backup") == 0;

	if (!j->active)
		return;
	if (j->total > 0)
		snprintf(pct, sizeof(pct), " (%d%%)",
			 (int)(j->done >= j->total ? 100
						   : j->done * 100 / j->total));
	printf("%-16s %s %s: %s%s%s%s, %ldm %02lds\n", "running", j->job,
	       j->what, fs_human_size(j->done, done, sizeof(done)),
	       j->total > 0 ? (about ? " of about " : " of ") : "",
	       j->total > 0 ? fs_human_size(j->total, total, sizeof(total))
			    : "",
	       pct, secs / 60, secs % 60);
}

static void print_archive(const struct pgw_status *st)
{
	const struct status_archive *a = &st->archive;
	char t[64], h[TM_ISO_LEN];

	if (a->on == 0) {
		printf("%-16s off\n", "wal archive");
		return;
	}
	if (a->lag_s >= 0)
		snprintf(t, sizeof(t), "%lld s, %lld bytes",
			 (long long)a->lag_s, (long long)a->lag_bytes);
	else
		snprintf(t, sizeof(t), "unknown");
	printf("%-16s last %s%s%s, lag %s\n", "wal archive",
	       a->last_wal[0] ? a->last_wal : "none", a->last_at ? " at " : "",
	       a->last_at ? tm_human(a->last_at, h) : "", t);
	printf("%-16s %s%s%s%s\n", "wal chain",
	       a->chain.chain[0] ? a->chain.chain : "not checked yet",
	       a->chain.base[0] ? " (base " : "", a->chain.base,
	       a->chain.base[0] ? ")" : "");
	if (a->chain.why[0])
		printf("%-16s %s\n", "", a->chain.why);
	if (a->base_when)
		printf("%-16s %s, %s (%d usable of %d)\n", "last base backup",
		       a->base_file, ago(st->now, a->base_when, t, sizeof(t)),
		       a->bases_usable, a->bases);
	else
		printf("%-16s none\n", "last base backup");
}

static void print_table(const struct pgw_config *c, const struct pgw_status *st,
			const struct problems *p)
{
	char h[TM_ISO_LEN], a[32];

	printf("pgwarden status at %s (backups in %s, database '%s')\n\n",
	       tm_human(st->now, h), c->backup_dir, pg_target_db(c));
	printf("%-16s %s (failures %d/%d, last check %s, latency %lld ms)\n",
	       "health", st->health[0] ? st->health : "unknown", st->failures,
	       st->max_failures, st->last_check[0] ? st->last_check : "never",
	       (long long)st->check_latency_ms);
	if (st->last_error[0])
		printf("%-16s %s\n", "last error", st->last_error);
	if (st->pause.active)
		printf("%-16s PAUSED since %s, planned until %s%s: %s\n",
		       "maintenance",
		       st->pause.since ? tm_human(st->pause.since, h) : "?",
		       st->pause.until ? tm_human(st->pause.until, a) : "?",
		       st->pause.until && st->now > st->pause.until
			       ? " (OVERDUE)"
			       : "",
		       st->pause.reason);
	print_server(st);
	print_sidecars(st);
	print_job(st);
	print_asides(c);
	print_backup("last backup", &st->last, st->now);
	if (st->last_valid.present &&
	    strcmp(st->last_valid.file, st->last.file) != 0)
		print_backup("last valid", &st->last_valid, st->now);
	print_backup("last verified", &st->last_verified, st->now);
	if (st->next_backup > 0)
		printf("%-16s %s (%s)\n", "next backup",
		       tm_human(st->next_backup, h),
		       ago(st->now, st->next_backup, a, sizeof(a)));
	else
		printf("%-16s off\n", "next backup");
	printf("%-16s %d (%d valid, %d verified, %d failed)\n", "backups",
	       st->backups, st->backups_valid, st->backups_verified,
	       st->backups_failed);
	if (st->backups_future)
		printf("%-16s %d stamped in the future, never taken as the "
		       "newest (first: %s)\n",
		       "future-dated", st->backups_future, st->future_file);
	if (st->recovering)
		printf("%-16s IN PROGRESS since %s, phase %s, backup %s\n",
		       "recovery", st->recovery_started, st->recovery_phase,
		       st->recovery_backup[0] ? st->recovery_backup : "-");
	if (st->last_recovery_at[0])
		printf("%-16s %s %s from %s (RTO %.1f s), %d in total\n",
		       "last recovery", st->last_recovery_at,
		       st->last_recovery_result,
		       st->last_recovery_backup[0] ? st->last_recovery_backup
						   : "-",
		       (double)st->last_recovery_rto_ms / 1000.0,
		       st->recoveries_total);
	else if (!st->recovering)
		printf("%-16s never\n", "last recovery");
	print_archive(st);
	printf("%-16s %d files, %d pending, %d undelivered\n", "alerts",
	       st->alerts_total, st->alerts_pending, st->alerts_undelivered);
	if (st->total_bytes > 0)
		printf("%-16s %lld MiB free of %lld MiB\n", "backups volume",
		       (long long)(st->free_bytes >> 20),
		       (long long)(st->total_bytes >> 20));
	printf("\n%-16s %s\n", "verdict", p->n ? "ATTENTION" : "OK");
	for (int i = 0; i < p->n; i++)
		printf("  - %s\n", p->text[i]);
}

/* ---- JSON ---- */

static void jstr(const char *key, const char *val, int comma)
{
	char esc[2048];

	notify_escape_json(val, esc, sizeof(esc));
	printf("%s\"%s\":\"%s\"", comma ? "," : "", key, esc);
}

static void jnum(const char *key, long long val)
{
	printf(",\"%s\":%lld", key, val);
}

static void jnull_or_num(const char *key, bool present, long long val)
{
	if (present)
		jnum(key, val);
	else
		printf(",\"%s\":null", key);
}

static void json_backup(const char *key, const struct status_backup *b)
{
	char t[TM_ISO_LEN];

	printf(",\"%s\":", key);
	if (!b->present) {
		printf("null");
		return;
	}
	printf("{");
	jstr("file", b->file, 0);
	jstr("status", b->status, 1);
	jstr("taken", tm_iso(b->when, t), 1);
	jnum("size_bytes", b->size);
	jnum("duration_ms", b->duration_ms);
	jstr("verified_at", b->verified_at, 1);
	jnull_or_num("restore_ms", b->restore_ms >= 0, b->restore_ms);
	printf("}");
}

static void json_archive(const struct pgw_status *st)
{
	const struct status_archive *a = &st->archive;
	char t[TM_ISO_LEN];
	long base_age = status_base_age(st);

	printf("},\"archive\":{");
	jstr("mode", a->on == 1 ? "on" : a->on == 0 ? "off" : "unknown", 0);
	jstr("last_archived_wal", a->last_wal, 1);
	jstr("last_archived_at", a->last_at ? tm_iso(a->last_at, t) : "", 1);
	jnull_or_num("lag_s", a->lag_s >= 0, a->lag_s);
	jnull_or_num("lag_bytes", a->lag_bytes >= 0, a->lag_bytes);
	jstr("chain", a->chain.chain, 1);
	jstr("chain_base", a->chain.base, 1);
	jstr("chain_reach", a->chain.reach, 1);
	jstr("chain_checked", a->chain.checked, 1);
	jstr("gap_since", a->chain.gap_since, 1);
	jstr("gap", a->chain.why, 1);
	jnum("base_backups", a->bases);
	jnum("base_backups_usable", a->bases_usable);
	jstr("last_base_backup", a->base_file, 1);
	jnull_or_num("last_base_backup_age_s", base_age >= 0, base_age);
}

static void print_json(const struct pgw_status *st, const struct problems *p)
{
	char t[TM_ISO_LEN];
	long age = status_backup_age(st);

	printf("{");
	jstr("time", tm_iso(st->now, t), 0);
	jstr("verdict", p->n ? "attention" : "ok", 1);
	printf(",\"problems\":[");
	for (int i = 0; i < p->n; i++) {
		char esc[512];
		notify_escape_json(p->text[i], esc, sizeof(esc));
		printf("%s\"%s\"", i ? "," : "", esc);
	}
	printf("],\"health\":{");
	jstr("status", st->health[0] ? st->health : "unknown", 0);
	jnum("failure_count", st->failures);
	jnum("max_failure_count", st->max_failures);
	jstr("last_check", st->last_check, 1);
	jnull_or_num("last_check_age_s", st->monitor_age >= 0, st->monitor_age);
	jnull_or_num("latency_ms", st->check_latency_ms >= 0,
		     st->check_latency_ms);
	jstr("last_error", st->last_error, 1);
	jstr("last_recovery_request", st->last_recovery_request, 1);
	printf("},\"job\":{\"active\":%s", st->job.active ? "true" : "false");
	jstr("kind", st->job.job, 1);
	jstr("what", st->job.what, 1);
	jnum("done_bytes", st->job.done);
	jnum("total_bytes", st->job.total);
	jnull_or_num("elapsed_s", st->job.started > 0,
		     (long long)(st->now - st->job.started));
	printf("},\"pause\":{\"active\":%s",
	       st->pause.active ? "true" : "false");
	jnull_or_num("until", st->pause.until > 0, (long long)st->pause.until);
	jstr("reason", st->pause.reason, 1);
	printf("},\"sidecars\":{");
	for (int i = 0; i < SC_N; i++)
		printf("%s\"%s\":\"%s\"", i ? "," : "", status_sidecar_names[i],
		       st->sidecar_up[i]      ? "up"
		       : st->sidecar_known[i] ? "down"
					      : "unknown");
	printf("},\"server\":{");
	jstr("state", st->server_state, 0);
	jnull_or_num("restarts", st->server_restarts >= 0, st->server_restarts);
	jnull_or_num("up_s", st->server_since > 0,
		     (long long)(st->now - st->server_since));
	printf("},\"backups\":{");
	printf("\"count\":%d", st->backups);
	jnum("valid", st->backups_valid);
	jnum("verified", st->backups_verified);
	jnum("failed", st->backups_failed);
	jnum("future", st->backups_future);
	jnull_or_num("last_valid_age_s", age >= 0, age);
	json_backup("last", &st->last);
	json_backup("last_valid", &st->last_valid);
	json_backup("last_verified", &st->last_verified);
	jstr("next", st->next_backup > 0 ? tm_iso(st->next_backup, t) : "", 1);
	printf("},\"recovery\":{");
	printf("\"in_progress\":%s", st->recovering ? "true" : "false");
	jstr("phase", st->recovery_phase, 1);
	jstr("started", st->recovery_started, 1);
	jstr("backup", st->recovery_backup, 1);
	jstr("last_at", st->last_recovery_at, 1);
	jstr("last_result", st->last_recovery_result, 1);
	jstr("last_backup", st->last_recovery_backup, 1);
	jnull_or_num("last_rto_ms", st->last_recovery_rto_ms >= 0,
		     st->last_recovery_rto_ms);
	jnum("total", st->recoveries_total);
	json_archive(st);
	printf("},\"alerts\":{\"files\":%d", st->alerts_total);
	jnum("pending", st->alerts_pending);
	jnum("undelivered", st->alerts_undelivered);
	printf("},\"volume\":{\"free_bytes\":%lld", (long long)st->free_bytes);
	jnum("total_bytes", st->total_bytes);
	printf("}}\n");
}

int cli_status(int argc, char **argv)
{
	struct pgw_config c;
	struct pgw_status st;
	struct problems p;
	bool json = false, check = false;

	cli_load_config(&argc, argv, &c);
	cli_require_backup_dir(&c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--check") == 0)
			check = true;
		else if (strcmp(argv[i], "--alive") == 0 && i + 1 < argc)
			return cli_probe_alive(&c, argv[i + 1]);
		else if (strcmp(argv[i], "--ready") == 0)
			return cli_probe_ready(&c);
		else {
			fprintf(stderr, "usage: pgwarden status [--json] "
					"[--check] [--alive SIDECAR] "
					"[--ready]\n");
			return PGW_EXIT_USAGE;
		}
	}
	status_collect(&c, &st);
	find_problems(&c, &st, &p);
	if (json)
		print_json(&st, &p);
	else if (!check || p.n)
		print_table(&c, &st, &p);
	return check && p.n ? PGW_EXIT_UNHEALTHY : PGW_EXIT_OK;
}
