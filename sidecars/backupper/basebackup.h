/*
 * basebackup.h - a physical base backup (docs/WAL.md "Base backups"):
 * pg_basebackup's tar (with PostgreSQL's backup_manifest in it) streamed
 * through the backup file writer into base_<stamp>.tar.gz, and a manifest
 * naming the cluster, the timeline and the WAL range a restore needs.
 * The WAL itself comes from the archive (-X none): a base backup without
 * its archived WAL is never enough, and never pretends to be.
 */
#ifndef PGW_BASEBACKUP_H
#define PGW_BASEBACKUP_H

#include "backup.h"

/* The running cluster's system identifier, in decimal. 0 or -1 (why). */
int basebackup_cluster_id(char *id, size_t cap, char *why, size_t whylen);
/* Under the jobs lock; SUCCESS or ERROR alert. 0 or -1. */
int basebackup_run(const struct backup_ctx *ctx, const char *reason);

#endif
