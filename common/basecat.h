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

#include "crypt.h"

struct base_entry {
	char file[256];
	time_t finished;
	bool usable; /* status valid or verified */
	char status[16];
	int64_t restore_ms; /* a verified one's drill: its RTO; 0 none */
	char cluster_id[24];
	unsigned timeline;
	char wal_start[32], wal_stop[32];
	int64_t wal_segment_size;
	int64_t size, uncompressed_size;
};

/* A base backup's file name: base_<stamp>.tar.gz, .enc after it. */
bool basecat_name_valid(const char *name);
/* Every base backup with a manifest that reads, newest first. *out is
 * malloc'd (free it); the count, or -1 with errno. */
int basecat_scan(const char *dir, struct base_entry **out);
/* a < b in WAL order (log and segment number; the timeline aside) */
int basecat_segment_cmp(const char *a, const char *b);

/* Can b be restored and replayed to the newest timeline from the archive
 * in archive_dir (its cluster's wal/<id>)? The newest timeline history
 * there says which timeline each segment is read from (a branch that was
 * left at a promotion does not count); b's timeline must be on that path.
 * Every segment from b's wal_start on must be there, on its timeline of
 * the path, at least through wal_stop and with no gap before the newest
 * archived one. 0 yes, with the newest segment position in last; -1 with
 * why (the first missing one). key reads an encrypted history file. */
int basecat_chain(const char *archive_dir, const struct base_entry *b,
		  const struct crypt_key *key, char *last, size_t cap,
		  char *why, size_t whylen);
/* The newest usable base backup of cluster with an unbroken chain: the
 * one a physical recovery takes. 0 with *out filled, -1 with why (the
 * newest one's problem). */
int basecat_choose(const char *backup_dir, const char *cluster,
		   const struct crypt_key *key, struct base_entry *out,
		   char *last, size_t cap, char *why, size_t whylen);

#endif
