/*
 * baselay.h - a base backup made into a data directory again (docs/WAL.md
 * "Physical recovery"): its tar, read through bfile_read (so a damaged or
 * tampered file, or a wrong key, fails here), into tar -x; and the settings
 * of an archive recovery to the end of the WAL. pgwarden-db's physical
 * recovery and the restorer's base-backup drill both lay a base down so.
 */
#ifndef PGW_BASELAY_H
#define PGW_BASELAY_H

#include <stddef.h>

#include "crypt.h"

/* Called every few seconds while a large tar is extracted (a heartbeat). */
typedef void (*baselay_beat_fn)(void *arg);

/* dest is created (0700, must not exist) and the base backup file of
 * backup_dir extracted into it. 0; -1 with why when the file does not read
 * back whole (damaged, tampered, another key); -2 when the fault is the
 * destination's (no room, tar failing): the file may be sound. */
int baselay_extract(const char *backup_dir, const char *file,
		    const struct crypt_key *key, const char *dest,
		    baselay_beat_fn beat, void *beat_arg, char *why,
		    size_t whylen);

/* recovery.signal, and restore_command (the shell command the server
 * runs for each file: "... wal-fetch %f %p") with recovery_target_timeline
 * 'latest' at the end of postgresql.auto.conf. 0, or -1 with why. */
int baselay_recovery_settings(const char *pgdata, const char *restore_command,
			      char *why, size_t whylen);

#endif
