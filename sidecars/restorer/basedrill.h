/*
 * basedrill.h - the restore drill of a base backup (docs/WAL.md "Drills").
 * It drills the one a physical recovery would take now (basecat_choose for
 * the running cluster), once: laid down into a throwaway cluster,
 * pg_verifybackup, replayed from the archive to its end and promoted, then
 * every table of the target database read whole. The manifest then says
 * "verified" with the measured time of all that (the RTO of a physical
 * recovery from it). A file that does not read back, or that
 * pg_verifybackup refuses, is "failed" and never chosen again. A replay or
 * start that fails is an ERROR alert and leaves the base backup usable: the
 * WAL or this container may be at fault, and a real recovery checks the
 * same before it serves.
 */
#ifndef PGW_BASEDRILL_H
#define PGW_BASEDRILL_H

#include <stddef.h>

#include "restore.h"

enum basedrill_result {
	BASEDRILL_IMPOSSIBLE = -1, /* could not run; nothing said of it */
	BASEDRILL_NONE = 0,	   /* nothing to drill */
	BASEDRILL_VERIFIED = 1,
	BASEDRILL_FAILED = 2
};
/* Under the caller's jobs lock. summary gets a line for a drilled one. */
enum basedrill_result basedrill_run(const struct restore_ctx *ctx,
				    char *summary, size_t cap);

#endif
