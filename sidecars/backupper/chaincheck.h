/*
 * chaincheck.h - the backupper's watch over the WAL chain (docs/WAL.md
 * "Gaps"). Every wal_chain_check_interval it asks the one rule a physical
 * recovery follows (basecat_choose): does a usable base backup of the
 * running cluster reach the end of the archive without a gap? The answer
 * goes to archive.status. When a gap appears (a segment deleted, dropped
 * by the valve, or lost with the volume), one CRITICAL wal-archive-gap and
 * a new base backup, which anchors a complete chain again; another base
 * backup each hour while the gap lasts; a SUCCESS wal-archive-gap-closed when a
 * chain holds again. No base backup of the cluster yet is not a gap: it is
 * reported (chain = none) and the schedule or a request makes the first.
 *
 * Before each check it also reads back what the archive gained since the
 * last one (at most CHAINCHECK_SCRUB_MS of it per round; at start, the
 * whole archive over a few rounds; and all of it again every
 * wal_reread_interval, for what rots in place). A file that does not read
 * whole is moved aside (walarchive.h wal_quarantine), with a CRITICAL
 * wal-archive-damaged: from then on it is a gap, found and re-anchored as
 * any other, instead of a surprise in the middle of a recovery.
 */
#ifndef PGW_CHAINCHECK_H
#define PGW_CHAINCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "backup.h"

#define CHAINCHECK_SCRUB_MS 2000
#define CHAINCHECK_NAME_CAP 64

struct chain_watch {
	int64_t due_ms; /* monotonic; 0: check at the next round */
	bool broken;	/* a gap was alerted and not yet closed */
	time_t gap_since;
	int64_t anchored_ms; /* when the last base backup for it was asked */
	char cluster[32];    /* whose archive whole[] lists */
	char (*whole)[CHAINCHECK_NAME_CAP]; /* read back whole, sorted */
	int nwhole;
	int64_t pass_ms; /* when whole[] was last emptied for a re-read */
};

/* When due: check, write archive.status, alert. True when a base backup
 * should be taken now (reason says why). *wake_ms shrinks to the next
 * check. Skipped with wal_archive off and while a recovery runs. */
bool chaincheck_round(struct chain_watch *w, const struct backup_ctx *ctx,
		      char *reason, size_t cap, int *wake_ms);

/* Free what the watch holds. */
void chaincheck_free(struct chain_watch *w);

#endif
