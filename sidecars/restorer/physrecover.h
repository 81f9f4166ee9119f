/*
 * physrecover.h - the restorer's side of a physical recovery (docs/WAL.md
 * "Physical recovery"): ask pgwarden-db (request-physical-restore), wait
 * for its outcome and for the server to replay to the end and promote,
 * then verify before the recovery counts as done: the server is out of
 * recovery, the target database answers, and every one of its tables
 * reads whole (a sequential scan checks every page's checksum).
 */
#ifndef PGW_PHYSRECOVER_H
#define PGW_PHYSRECOVER_H

#include <stdint.h>

#include "restore.h"

struct physical_outcome {
	char base[256];	      /* the base backup laid down */
	char lsn[32];	      /* the last WAL position replayed */
	char last_commit[64]; /* its commit time; "" when none was replayed */
	char aside[4096];     /* where the damaged PGDATA went */
	char why[512];	      /* when it did not happen, or failed */
	int tables;	      /* tables of the target read whole */
};

enum physical_result {
	PHYSICAL_DONE = 1,	   /* restored, replayed, verified */
	PHYSICAL_NOT_POSSIBLE = 0, /* nothing touched: no usable chain... */
	PHYSICAL_FAILED = -1	   /* started, but the result is not good */
};

/* Every table of target reads whole (a sequential scan checks each page's
 * checksum), and the recovery point (lsn, last_commit) into out. 0, or -1
 * with out->why. The connection goes where PGHOST points. */
int physical_read_tables(const char *target, struct physical_outcome *out);

enum physical_result physical_recover(const struct restore_ctx *ctx,
				      const char *target, const char *reason,
				      struct physical_outcome *out);

#endif
