/*
 * pause.h - maintenance mode: the file `pause` on /backups (written by
 * `pgwarden pause`, removed by `pgwarden resume`), read by every sidecar.
 * While it is there nothing acts on its own: pgwarden-db neither restarts
 * a stopped server nor a hung one nor re-initialises, the monitor asks for
 * no recovery, the restorer takes no request-restore and runs no scheduled
 * drill, the backupper runs no scheduled backup. Checks, logs, requested
 * backups and status go on.
 *
 * A pause has a bound (--for, 1 h by default). It does not end by itself
 * at the bound (a pg_upgrade half done must not see its server started):
 * the monitor sends a WARNING pause-overdue instead, and status shows it.
 *
 * Content: "since=<ISO>\nuntil=<ISO>\nreason=<text>\n".
 */
#ifndef PGW_PAUSE_H
#define PGW_PAUSE_H

#include <stdbool.h>
#include <time.h>

struct pause_info {
	bool active;
	time_t since, until;
	char reason[200];
};

int pause_write(const char *dir, time_t until, const char *reason);
int pause_clear(const char *dir);
/* active false when there is no pause file (or it cannot be read: a
 * garbled file is a pause too, with no bound: nothing acts). */
void pause_read(const char *dir, struct pause_info *out);
/* pause_read(...).active, for the sidecars' loops. */
bool pause_active(const char *dir);

#endif
