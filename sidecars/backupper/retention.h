/*
 * retention.h - the daily cleanup, inside the backupper:
 *  - backups older than retention_days are deleted (file + manifest), but
 *    never the newest valid backup of a database and never below
 *    min_backups per database;
 *  - job logs are rotated daily (name.log -> name.log.YYYYMMDD) and rotated
 *    files older than log_retention_days deleted; recovery.log is never
 *    rotated nor deleted;
 *  - alert files older than alert_retention_days are deleted;
 *  - databases renamed aside by a recovery (<db>_damaged_<stamp>, or
 *    <db>_before_restore_<stamp>, proto.h) are
 *    dropped after damaged_keep_days.
 * Every deletion is a line in retention.log.
 */
#ifndef PGW_RETENTION_H
#define PGW_RETENTION_H

#include <stdbool.h>

#include "cfg.h"

/* Returns the number of files/databases removed. Backups are pruned on
 * every call (after each backup, and when space is short); the rest only
 * on the daily run (daily = true). */
int retention_run(const struct pgw_config *cfg, bool daily);

#endif
