/*
 * physical.h - request-physical-restore, carried out by pgwarden-db, which
 * owns PGDATA (docs/WAL.md "Physical recovery"):
 *  1. choose the newest usable base backup of this cluster whose WAL chain
 *     in the archive is unbroken (basecat_choose), and check the space;
 *  2. stop the server and move PGDATA aside (never deleted);
 *  3. lay the base backup down in a new PGDATA, copy the WAL still
 *     readable in the old pg_wal into the new one (the last seconds before
 *     the fault, which the archive may not have yet);
 *  4. recovery.signal and restore_command = pgwarden wal-fetch: the server
 *     replays the archive and that WAL to its end, and promotes itself.
 * A failure before the start moves the new directory aside too and puts
 * the old one back where it was: nothing is lost, and the logical path
 * can still run. The outcome is in server.status (physical_*).
 */
#ifndef PGW_PHYSICAL_H
#define PGW_PHYSICAL_H

#include "daemon.h"
#include "server.h"

void physical_restore(struct server *s, const struct daemon *d,
		      const char *reason);

#endif
