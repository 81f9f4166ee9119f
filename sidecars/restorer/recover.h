/*
 * recover.h - one recovery, start to end (docs/PROTOCOL.md, README):
 * recovery-in-progress, the newest backup that is valid now, a temporary
 * database, verification, swap, SUCCESS alert with RPO and RTO; the next
 * older backup when one fails; a fresh schema (init scripts + migrations)
 * when none is left. When the server cannot start, the cluster is
 * re-initialised by pgwarden-db first (request-reinit) and the globals and
 * every database are restored. A connection lost mid-restore is the
 * server's problem, not the backup's: the restorer waits for the server
 * (server_wait), reconnects and tries the same backup again; a server that
 * does not come back ends the recovery with a CRITICAL, nothing reset.
 */
#ifndef PGW_RECOVER_H
#define PGW_RECOVER_H

#include "restore.h"

/* backup: a file name the requester chose, or NULL for the newest valid. */
int recover_run(const struct restore_ctx *ctx, const char *backup,
		const char *reason);
/* At start-up: a recovery-in-progress nobody holds means the restorer died
 * mid-way. Before the swap: queue the same request again (the temporary
 * databases are dropped). After it: record the recovery as done and never
 * run it again, as a shutdown after the swap does (docs/PROTOCOL.md). */
void recover_resume_stale(const struct restore_ctx *ctx);
/* Checks on a requested file name: safe name, a database backup, inside
 * the backups directory (no symlink), manifest valid, SHA-256 matches. */
int recover_check_named(const char *dir, const char *file, char *err,
			size_t errlen);

#endif
