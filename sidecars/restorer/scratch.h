/*
 * scratch.h - the throwaway cluster a restore drill can use instead of a
 * scratch database on the production server (verify_target = cluster):
 * initdb in <verify_cluster_dir>/pgwarden-verify-cluster-XXXXXX, postgres on
 * a unix socket in that directory only (no TCP) and verify_cluster_port,
 * the newest valid globals restored so that owners exist. While it is up,
 * PGHOST/PGPORT point at it, so every libpq connection and child tool of
 * the drill goes there. scratch_down() stops it and removes the directory;
 * scratch_cleanup() removes what a crashed drill left behind.
 */
#ifndef PGW_SCRATCH_H
#define PGW_SCRATCH_H

#include <limits.h>
#include <stdbool.h>

#include "basecat.h"
#include "child.h"
#include "restore.h"

#define SCRATCH_DIR_PREFIX "pgwarden-verify-cluster-"

struct scratch {
	char dir[PATH_MAX];
	struct child postmaster;
	bool running;
	char saved_host[PATH_MAX], saved_port[16];
	bool had_host, had_port;
};

/* Where throwaway clusters go: verify_cluster_dir, else TMPDIR, else /tmp. */
const char *scratch_parent(const struct pgw_config *c);
int scratch_up(const struct restore_ctx *ctx, struct scratch *s, char *err,
	       size_t errlen);
/* The same throwaway cluster, made from base backup b instead of initdb
 * (docs/WAL.md "Drills"): laid down, checked by pg_verifybackup against its
 * own backup_manifest, recovered from the archive to its end and promoted.
 * It runs with archive_mode off (it has the production cluster's system
 * identifier: it must never write into its archive), hot_standby off, and a
 * trust pg_hba on its private socket. The wait lasts while the replay
 * moves (postgres.log grows), and server_wait more. -1 with err, and
 * *damaged when the base backup itself is at fault (it does not read back,
 * or pg_verifybackup refuses it). */
int scratch_up_from_base(const struct restore_ctx *ctx, struct scratch *s,
			 const struct base_entry *b, bool *damaged, char *err,
			 size_t errlen);
void scratch_down(struct scratch *s);
void scratch_cleanup(const struct pgw_config *c);

#endif
