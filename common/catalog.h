/*
 * catalog.h - the backups present in the directory, newest first: final
 * backup file names only (never .partial), each with its parsed name and,
 * when readable, its manifest's status. Used by retention, the restorer,
 * verification, the CLI and status.
 */
#ifndef PGW_CATALOG_H
#define PGW_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

struct catalog_entry {
	char file[256];
	struct backup_name name;
	int64_t size;
	bool has_manifest;
	char status[16]; /* from the manifest, "" without one */
};

/* Entries sorted newest first (then by file name). Returns the count, or -1
 * when the directory cannot be read. Free with free(). */
int catalog_scan(const char *dir, struct catalog_entry **out);

#endif
