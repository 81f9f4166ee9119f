/*
 * archlag.h - how far the WAL archive is behind the server (docs/WAL.md
 * "Lag"), from what each check round reads: the server's WAL position and
 * next transaction id, and the last file archived.
 *
 * Bytes: the server's position minus the end of the last archived
 * segment. Seconds: since the first round that saw a commit the archive
 * does not hold yet: the WAL since the round before wholly past the
 * archived end, and the next
 * transaction id grown since the round before (only a transaction that
 * writes takes an id; reads, the checks' own among them, do not). WAL with
 * no such transaction in it (the few records an idle server writes) is not
 * lag: it holds nothing to lose. So seconds are measured in rounds: exact
 * to one check interval. A write made before the monitor's first round is
 * seen with the next write (with heartbeat = on, every round writes).
 */
#ifndef PGW_ARCHLAG_H
#define PGW_ARCHLAG_H

#include <stdint.h>
#include <time.h>

#include "dbcheck_result.h"

#define ARCHLAG_SAMPLES 128

struct archive_lag {
	int n, next;
	struct lag_sample {
		time_t t;
		int64_t lsn, xid;
	} s[ARCHLAG_SAMPLES];
	int64_t end; /* the archived end, as last known; -1 unknown */
	/* the last round's answer: -1 unknown */
	int64_t bytes, seconds;
};

/* One round: p's facts at now. Unknown facts leave the answer unknown. */
void archive_lag_update(struct archive_lag *l, const struct dbcheck_result *p,
			time_t now);

#endif
