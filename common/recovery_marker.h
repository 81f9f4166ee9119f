/*
 * recovery_marker.h - the body of recovery-in-progress (docs/PROTOCOL.md):
 * its one writer, the restorer, rewriting it at every phase of a recovery
 * (proto_recovery_update), and its one reader, for the restorer's restart,
 * pgwarden status and the readiness probe. "key = value" lines.
 */
#ifndef PGW_RECOVERY_MARKER_H
#define PGW_RECOVERY_MARKER_H

#include <stddef.h>

struct recovery_marker {
	int pid;
	char started[32]; /* ISO 8601 UTC, when the recovery began */
	char reason[300];
	char database[128];
	char backup[256];
	char tmp[64];	 /* the temporary database the restore goes into */
	char result[32]; /* set once the data is swapped in */
	char phase[32];	 /* starting restoring verifying swapping swapped
			    done fresh-reset cluster-reinit */
};

/* The file's text; -1 when it does not fit in cap. */
int recovery_marker_format(const struct recovery_marker *m, char *buf,
			   size_t cap);
/* Whatever the text holds; keys it lacks stay empty (pid 0). */
void recovery_marker_parse(const char *text, struct recovery_marker *m);
/* The marker of the recovery running now: 1 (m filled), or 0 when none
 * runs (no file, or nobody holds its lock: a stale one is not "running"). */
int recovery_marker_read_live(const char *dir, struct recovery_marker *m);

#endif
