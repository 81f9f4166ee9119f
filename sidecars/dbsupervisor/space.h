/*
 * space.h - is there room on PGDATA's filesystem for a recovery? A logical
 * recovery restores the database into a temporary copy beside it and keeps
 * the damaged one aside; a re-init keeps the whole old data directory. So
 * the free space must hold at least a copy of the largest database, or the
 * recovery that was meant to save it fails half-way for want of disk.
 *
 * Measured from the files themselves (PGDATA/base/<oid> per database), so
 * it needs no connection and works while the server is down. Told once per
 * episode: a WARNING when it stops fitting, a log line when it fits again.
 */
#ifndef PGW_SPACE_H
#define PGW_SPACE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

struct space {
	int64_t next_ms; /* next look */
	bool low;	 /* told, until it fits again */
};

/* Looks every space_check_interval; cheap otherwise. */
void space_tick(struct space *sp, const struct daemon *d);
/* Bytes of the largest database directory under pgdata/base; -1 when it
 * cannot be read. */
int64_t space_largest_database(const char *pgdata);

#endif
