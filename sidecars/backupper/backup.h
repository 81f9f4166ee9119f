/*
 * backup.h - one backup run: every configured database (one file each) and
 * the cluster's globals, each streamed from pg_dump through the parallel
 * gzip writer into a .partial file, verified, described by a manifest, and
 * only then renamed to its final name.
 *
 * A failed or interrupted backup leaves no file under a final name: the
 * .partial is removed (or, after a kill -9, by the next start).
 */
#ifndef PGW_BACKUP_H
#define PGW_BACKUP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cfg.h"
#include "crypt.h"

struct backup_result {
	char file[256];
	bool ok;
	int64_t size;
	int64_t uncompressed;
	int64_t database_size;
	int tables;
	double compression_pct;
	int64_t duration_ms;
	char error[512];
};

struct backup_ctx {
	const struct pgw_config *cfg;
	const struct crypt_key *key; /* encrypt with it; NULL: plain */
	volatile sig_atomic_t *stop;
	time_t next_run; /* for the alert's "next backup" line; -1 unknown */
};

/* The whole run: lock, free-space check, all databases, globals, alerts.
 * Returns the number of failed files (0 = all good), -1 when nothing could
 * be attempted. */
int backup_run(const struct backup_ctx *ctx, const char *reason);
/* One database into backup_<stamp>_<db>.sql.gz. 0 or -1. */
int backup_database(const struct backup_ctx *ctx, const char *db,
		    const char *stamp, struct backup_result *r);
int backup_globals(const struct backup_ctx *ctx, const char *stamp,
		   struct backup_result *r);
/* Remove .partial files and manifests without a backup (start-up). */
void backup_cleanup_stale(const char *dir);

#endif
