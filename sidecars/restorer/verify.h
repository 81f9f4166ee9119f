/*
 * verify.h - restore drills: proves that backups restore.
 *
 * For every backup not yet verified (and always the newest of each
 * database), limited to the newest verify_newest when set: size and SHA-256
 * against the manifest, decompression end to end, then a real restore into
 * a scratch database on the same server (pgwarden_verify_<stamp>, dropped
 * afterwards, and at the next start after a crash) compared with the
 * manifest's tables and row counts. The manifest then says "verified" with
 * the time and the measured restore duration (the RTO of that backup), or
 * "failed" with the reason; the restorer never chooses a failed backup.
 * Runs under the jobs lock (never beside a backup or a recovery), with the
 * tools at low CPU and idle I/O priority.
 */
#ifndef PGW_VERIFY_H
#define PGW_VERIFY_H

#include "restore.h"

#define VERIFY_DB_PREFIX "pgwarden_verify_"

/* Returns the number of failed backups, -1 when it could not run. */
int verify_run(const struct restore_ctx *ctx, const char *reason);

#endif
