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

#include "manifest.h"
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
	/* what the manifest says, for listings (-1 / "" without one) */
	int64_t duration_ms;
	char verified_at[32]; /* the last drill that passed, "" none */
	int64_t restore_ms;   /* that drill's restore time, -1 none */
	/* The WAL a physical backup needs, for the physical path
	 * (docs/PROTOCOL.md): 0 for the logical dumps, which need none. */
	uint64_t lsn_start, lsn_stop;
	uint32_t timeline;
};

/* Entries sorted newest first (then by file name). Returns the count, or -1
 * when the directory cannot be read. Free with free(). Each manifest is
 * read once here: callers take what they list from the entry. */
int catalog_scan(const char *dir, struct catalog_entry **out);

/* A target: the backups of one database, or the globals. */
struct catalog_target {
	enum backup_kind kind;
	const char *database; /* BACKUP_DATABASE: which one */
	const char *only;     /* just this file, or NULL */
};

/* The index of the next entry of t at or after from, in the one order
 * (newest first, future-stamped last); -1 when none is left. */
int catalog_next(const struct catalog_entry *list, int n, int from,
		 const struct catalog_target *t);

/*
 * Which backup for this target: the one rule, for every restore (the
 * restorer's recoveries and re-inits, the globals, pgwarden restore and
 * its --dry-run, which therefore cannot disagree). The newest entry of t,
 * from index from on, whose file and manifest hold now
 * (manifest_load_checked: a regular file, a signed manifest with a usable
 * status, the file's size and SHA-256). Its index, m filled (free it); -1
 * when none does, err saying why the last candidate was refused.
 * In catalog_choose.c: it hashes files, which a listing never needs.
 *
 * pgwarden status lists backups by what their manifests claim (status,
 * catalog_scan) without hashing every file on every look; a restore
 * always checks again.
 */
int catalog_choose(const char *dir, const struct catalog_entry *list, int n,
		   int from, const struct catalog_target *t, struct manifest *m,
		   char *err, size_t errlen);

#endif
