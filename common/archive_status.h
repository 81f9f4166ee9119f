/*
 * archive_status.h - archive.status: whether a physical recovery has an
 * unbroken WAL chain now (docs/WAL.md "Gaps"). Its one writer is the
 * backupper's chain check, its one reader status.c (pgwarden status,
 * metrics.prom, the monitor's dead man's switch). INI [archive]: checked
 * (ISO 8601 UTC), cluster, chain (ok | broken | none), base (the base
 * backup the recovery would take, or the newest one when broken), reach
 * (the last segment of the chain), gap_since (ISO, "" when none), why.
 */
#ifndef PGW_ARCHIVE_STATUS_H
#define PGW_ARCHIVE_STATUS_H

struct archive_chain {
	char checked[32];
	char cluster[24];
	char chain[8]; /* ok | broken | none; "" when there is no file */
	char base[256];
	char reach[32];
	char gap_since[32];
	char why[512];
	long age; /* s since written, -1 missing (read only) */
};

/* checked is now; atomically. 0 or -1 with errno. */
int archive_status_write(const char *dir, const struct archive_chain *a);
void archive_status_read(const char *dir, struct archive_chain *a);

#endif
