/*
 * walarchive.h - the continuous WAL archive on /backups (docs/WAL.md).
 *
 * <backup_dir>/wal/<system identifier>/<name>.gz (or .gz.enc with a key)
 * holds one file that PostgreSQL archived: a segment, a timeline history,
 * a backup label. One directory per cluster: a re-initialised cluster
 * starts its segment names again and must not meet the old ones. Each
 * goes through the backup file writer (bfile.h): compressed, every 256 KiB
 * member checked against its input, encrypted when a key is configured,
 * fsync-ed and renamed, so a name in the archive is always a whole file.
 *
 * The server calls these through `pgwarden wal-push` (archive_command) and
 * `pgwarden wal-fetch` (restore_command); both follow PostgreSQL's
 * contract for those commands (docs/WAL.md "Contract").
 */
#ifndef PGW_WALARCHIVE_H
#define PGW_WALARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "crypt.h"

/* libdeflate level for WAL: archive_command is on the commit path's tail */
#define WAL_COMPRESSION_LEVEL 1

/* A name PostgreSQL archives: 24 hex digits (a segment), 8 hex digits
 * ".history", a segment name "." 8 hex ".backup", or a segment name
 * ".partial" (the old timeline's last segment, after a promotion).
 * Nothing else (no path, no dot files) ever names a file in the archive. */
bool wal_name_valid(const char *name);

/* <backup_dir>/wal/<cluster>: the one place that names a cluster's
 * archive directory. out has PATH_MAX bytes; it is returned. */
char *wal_archive_dir(char *out, const char *backup_dir, const char *cluster);

/* The WAL file name an archive file holds ("<name>.gz", or ".gz.enc"
 * after it with a key) into name; false for any other file. */
bool wal_archived_name(const char *file, char *name, size_t cap);

/* The cluster's system identifier (pg_control's first field), in decimal,
 * from <pgdata>/global/pg_control. -1 with the reason. */
int wal_cluster_id(const char *pgdata, char *id, size_t cap, char *err,
		   size_t errlen);

/* Archive the file at path (relative to the working directory, as the
 * server gives %p) under name. 0 when it is archived now or was already,
 * with the same content; -1 with the reason (a different file of that
 * name is never replaced). */
int wal_push(const char *backup_dir, const char *cluster,
	     const struct crypt_key *key, const char *path, const char *name,
	     char *err, size_t errlen);

enum wal_fetch_result {
	WAL_FETCHED = 0,
	WAL_ABSENT = 1, /* not in the archive: the normal end of recovery */
	WAL_BROKEN = 2	/* there but unreadable or damaged: stop recovery */
};
/* Write the archived file name to dest (temp name, fsync, rename). */
enum wal_fetch_result wal_fetch(const char *backup_dir, const char *cluster,
				const struct crypt_key *key, const char *name,
				const char *dest, char *err, size_t errlen);

/* Read back an archived file (a name in the archive directory dir) as
 * wal-fetch would, and throw the bytes away. WAL_CHECK_DAMAGED: it does not
 * read whole (a bad member, CRC or authentication tag, a truncation, an
 * I/O error, a segment of a wrong size): a recovery would stop there.
 * WAL_CHECK_SKIPPED: nothing can be said (gone meanwhile, not ours to
 * judge without its key). err says why in both. */
enum wal_check_result {
	WAL_CHECK_WHOLE = 0,
	WAL_CHECK_DAMAGED = 1,
	WAL_CHECK_SKIPPED = 2
};
enum wal_check_result wal_archived_check(const char *dir, const char *file,
					 const struct crypt_key *key, char *err,
					 size_t errlen);

/* Move a damaged archived file aside in its directory, as
 * <file>.damaged (never deleted here): the chain then has a gap there,
 * which is what it really has. aside gets the new name. 0 or -1. */
#define WAL_DAMAGED_SUFFIX ".damaged"
int wal_quarantine(const char *dir, const char *file, char *aside, size_t cap,
		   char *err, size_t errlen);

#endif
