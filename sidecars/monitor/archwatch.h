/*
 * archwatch.h - the WAL archive seen from the server (docs/WAL.md): when
 * the archiver keeps failing, the segments it cannot archive stay in
 * pg_wal, which grows until the database's volume is full. One CRITICAL
 * wal-archive-failing per episode, a SUCCESS wal-archive-ok at its end.
 */
#ifndef PGW_ARCHWATCH_H
#define PGW_ARCHWATCH_H

#include "dbcheck_result.h"
#include "health.h"

/* dir: the backups directory, for the base backup asked for at the end of
 * an episode (a segment may have been dropped: docs/WAL.md). */
void archive_watch(const char *dir, struct health_state *s,
		   const struct dbcheck_result *p);

#endif
