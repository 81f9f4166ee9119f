/* cli_wal.c - the server's archive_command and restore_command
 * (walarchive.h; docs/WAL.md "Contract"). */
#include <libgen.h>
#include <stdbool.h>
#include <sys/statvfs.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "cli.h"
#include "exitcode.h"
#include "log.h"
#include "walarchive.h"

/* The server runs both commands in its data directory; its pg_control
 * names the cluster, so a re-initialised one archives apart. */
static void cluster_id(char *id, size_t cap)
{
	char err[512];

	if (wal_cluster_id(".", id, cap, err, sizeof(err)) < 0)
		fatalx(PGW_EXIT_FAILURE,
		       "%s (run in the data directory, as "
		       "the server does)",
		       err);
}

/* The valve (docs/WAL.md "A failing archive"): the archive failed, and
 * the server keeps every segment until it works, so pg_wal grows. Once
 * PGDATA's volume has less than wal_keep_free_pct free, a full database
 * would be worse than a gap in the archive: the segment is given up. */
static bool must_drop(const struct pgw_config *c, char *why, size_t whylen)
{
	struct statvfs sv;
	double free_pct;

	if (c->wal_keep_free_pct <= 0 || statvfs(".", &sv) < 0 ||
	    sv.f_blocks == 0)
		return false;
	free_pct = 100.0 * (double)sv.f_bavail / (double)sv.f_blocks;
	snprintf(why, whylen, "%.1f%% of the data directory's volume is free",
		 free_pct);
	return free_pct < c->wal_keep_free_pct;
}

static int drop_segment(const struct pgw_config *c, const char *name,
			const char *err, const char *why)
{
	struct alert_ctx ac = {c->backup_dir, "PostgreSQL Backup System",
			       c->environment, "db"};
	char msg[1200];

	alert_init(&ac);
	snprintf(msg, sizeof(msg),
		 "WAL file %s is dropped from the archive: archiving fails "
		 "(%s) and only %s. The database keeps running; the archive "
		 "has a gap until the next base backup, and no physical "
		 "recovery will use a chain across it",
		 name, err, why);
	log_error("%s", msg);
	alert_emit(ALERT_CRITICAL, "wal-archive-dropped", "WAL Archive", msg,
		   NULL);
	return PGW_EXIT_OK;
}

/* wal-push PATH [NAME]: PostgreSQL's %p (and %f, by default PATH's last
 * part). 0 only once the file is safely archived, or dropped by the
 * valve. */
int cli_wal_push(int argc, char **argv)
{
	struct pgw_config c;
	char err[512], copy[PATH_MAX], id[32];
	const char *name;

	cli_load_config(&argc, argv, &c);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: pgwarden wal-push PATH [NAME]\n");
		return PGW_EXIT_USAGE;
	}
	snprintf(copy, sizeof(copy), "%s", argv[1]);
	name = argc == 3 ? argv[2] : basename(copy);
	cli_require_backup_dir(&c);
	cluster_id(id, sizeof(id));
	if (wal_push(c.backup_dir, id, cli_key(), argv[1], name, err,
		     sizeof(err)) < 0) {
		char why[128];
		log_error("wal-push %s: %s", name, err);
		if (must_drop(&c, why, sizeof(why)))
			return drop_segment(&c, name, err, why);
		return PGW_EXIT_FAILURE;
	}
	return PGW_EXIT_OK;
}

/* wal-fetch NAME DEST: %f and %p. 1 when the archive has no such file
 * (the end of what can be replayed), PGW_EXIT_WAL_BROKEN when it has one
 * that does not read back whole. */
int cli_wal_fetch(int argc, char **argv)
{
	struct pgw_config c;
	char err[512], id[32];

	cli_load_config(&argc, argv, &c);
	if (argc != 3) {
		fprintf(stderr, "usage: pgwarden wal-fetch NAME DEST\n");
		return PGW_EXIT_USAGE;
	}
	cluster_id(id, sizeof(id));
	switch (wal_fetch(c.backup_dir, id, cli_key(), argv[1], argv[2], err,
			  sizeof(err))) {
	case WAL_FETCHED: return PGW_EXIT_OK;
	case WAL_ABSENT: return PGW_EXIT_FAILURE;
	case WAL_BROKEN: break;
	}
	log_error("wal-fetch %s: %s; recovery stops here rather than skip it",
		  argv[1], err);
	return PGW_EXIT_WAL_BROKEN;
}
