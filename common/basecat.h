/*
 * basecat.h - the physical base backups on /backups (docs/WAL.md), as
 * their manifests describe them, newest first. The one list the
 * backupper's retention and, later, the physical recovery choose from.
 */
#ifndef PGW_BASECAT_H
#define PGW_BASECAT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct base_entry {
	char file[256];
	time_t finished;
	bool usable; /* status valid or verified */
	char cluster_id[24];
	unsigned timeline;
	char wal_start[32], wal_stop[32];
	int64_t size;
};

/* A base backup's file name: base_<stamp>.tar.gz, .enc after it. */
bool basecat_name_valid(const char *name);
/* Every base backup with a manifest that reads, newest first. *out is
 * malloc'd (free it); the count, or -1 with errno. */
int basecat_scan(const char *dir, struct base_entry **out);
/* a < b in WAL order (log and segment number; the timeline aside) */
int basecat_segment_cmp(const char *a, const char *b);

#endif
