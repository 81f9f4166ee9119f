/*
 * manifest.h - the manifest next to every backup file: an INI file people
 * can read and iniparser can parse. It is the only thing the other sidecars
 * trust to decide that a backup is valid.
 *
 * Contract:
 *  - manifest_write() is atomic (fs_write_atomic) and escapes every string
 *    value, so table names with ';', '#', '"' or '%' survive a round trip.
 *  - manifest_check() says whether a backup may be restored: status valid or
 *    verified, and the file's size and SHA-256 match now. The reason for a
 *    "no" goes to err.
 */
#ifndef PGW_MANIFEST_H
#define PGW_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct manifest_table {
	char *name; /* as pg_dump writes it: schema.table, quoted if needed */
	int64_t rows;
};

/* An extension of the database at backup time (pg_extension). */
struct manifest_ext {
	char name[64], version[64], schema[64];
};
#define MANIFEST_MAX_EXTENSIONS 64

/* a manifest larger than this is not one (10,000 tables take ~1 MiB) */
#define MANIFEST_MAX_BYTES (64 * 1024 * 1024)

struct manifest {
	char file[256];
	char kind[16];	 /* database | globals | base */
	char status[16]; /* valid | failed | verified */
	char format[32];
	char compressor[48];   /* "libdeflate 1.14"; "" before it (zlib) */
	int compression_level; /* 0 when not recorded */
	char encryption[16];   /* "" or aes-256-gcm */
	char key_id[20];       /* which key decrypts it (crypt.h) */
	int64_t size;
	char sha256[HASH_HEX_LEN];
	char started[32];
	char finished[32];
	int64_t duration_ms;
	char database[128];
	int64_t database_size;
	char server_version[64];
	char pg_dump_version[128];
	int tables;
	int64_t rows_total;
	int64_t uncompressed_size;
	double compression_pct; /* space saved, as the SUCCESS alert says it */
	char verified_at[32];
	int64_t restore_ms;
	/* kind base (a physical base backup, docs/WAL.md): the cluster, the
	 * WAL range a restore of it needs, on which timeline */
	char cluster_id[24];
	char lsn_start[24], lsn_stop[24];
	unsigned timeline;
	char wal_start[32], wal_stop[32];
	int64_t wal_segment_size;
	char reason[256];
	int ntables;
	struct manifest_table *table_rows;
	int nextensions;
	struct manifest_ext extensions[MANIFEST_MAX_EXTENSIONS];
};

int manifest_write(const char *dir, const struct manifest *m);
/* After a restore drill: status verified (restore_ms = ms, the measured
 * RTO) or failed (reason = why), verified_at now; written back. */
int manifest_mark_drilled(const char *dir, struct manifest *m, bool ok,
			  int64_t ms, const char *why);
/* Read <backup_file>.manifest. -1 with a reason when missing/malformed or
 * (with a key, manifest_auth.h) not signed by it; -2 when it is signed
 * and encrypted with another key than this process has. */
int manifest_read(const char *dir, const char *backup_file, struct manifest *m,
		  char *err, size_t errlen);
void manifest_free(struct manifest *m);
int manifest_add_table(struct manifest *m, const char *name, int64_t rows);
/* -1 when MANIFEST_MAX_EXTENSIONS are recorded already, or a field does not
 * fit: the backup must then fail loudly, not lose one. */
int manifest_add_extension(struct manifest *m, const char *name,
			   const char *version, const char *schema);
const struct manifest_ext *manifest_extension(const struct manifest *m,
					      const char *name);
bool manifest_usable_status(const struct manifest *m);
/* The file matches the manifest's size and SHA-256 now (any status). */
int manifest_check_file(const char *dir, const struct manifest *m, char *err,
			size_t errlen);
/* Status usable and file matches size + SHA-256 now. */
int manifest_check(const char *dir, const struct manifest *m, char *err,
		   size_t errlen);

/* A backup that holds now, of either kind: a plain backup name, a regular
 * file in dir (no symlink), a manifest that reads (and is signed, with a
 * key), and manifest_check() passing. On success m is filled (free it).
 * The rule of catalog_choose (catalog.h). */
int manifest_load_checked(const char *dir, const char *file, struct manifest *m,
			  char *err, size_t errlen);
/* The same for a backup named from outside (request file, CLI): it must
 * also be a database backup. */
int manifest_load_named(const char *dir, const char *file, struct manifest *m,
			char *err, size_t errlen);

#endif
