/*
 * catalog.h - the backups present in the directory, newest first: final
 * backup file names only (never .partial), each with its parsed name and,
 * when readable, its manifest's status. Used by retention, the restorer,
 * verification, the CLI and status.
 *
 * "Newest" is what the manifest records (when the dump finished), never the
 * file name: a copy under another stamp is as old as its manifest says. A
 * backup whose name or manifest is stamped in the future (past
 * CATALOG_FUTURE_SKEW) is flagged and sorted after every other: a wrong
 * clock or a copy, never "the newest".
 */
#ifndef PGW_CATALOG_H
#define PGW_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "proto.h"

#define CATALOG_FUTURE_SKEW 300 /* s of clock skew tolerated */

struct catalog_entry {
	char file[256];
	struct backup_name name;
	int64_t size;
	bool has_manifest;
	char status[16]; /* from the manifest, "" without one */
	time_t taken;	 /* the manifest's "finished", else the name's stamp */
	bool future;	 /* name or manifest stamped in the future */
};

/* Entries sorted newest first (then by file name). Returns the count, or -1
 * when the directory cannot be read. Free with free(). */
int catalog_scan(const char *dir, struct catalog_entry **out);

#endif
