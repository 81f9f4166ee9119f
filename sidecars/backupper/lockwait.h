/*
 * lockwait.h - is a backup's pg_dump waiting on a lock, and on whose?
 * pg_dump runs with an application_name of the backupper's own
 * (lockwait_appname), so its session can be found in pg_stat_activity;
 * pg_blocking_pids() names the sessions it waits for. The holder's query
 * is never shown: it may carry a secret (ALTER ROLE ... PASSWORD).
 */
#ifndef PGW_LOCKWAIT_H
#define PGW_LOCKWAIT_H

#include <stddef.h>

/* "pgwarden-backup-<pid>" */
void lockwait_appname(char *out, size_t cap);
/* 1 when the session named appname waits on a lock (holder described in
 * out), 0 when it does not, -1 when that cannot be told (err). */
int lockwait_describe(const char *appname, char *out, size_t cap);

#endif
