/*
 * restore.h - the restorer's building blocks, each safe to fail halfway:
 *  - restore_into(): stream-decompress a backup (zlib, in-process) into
 *    psql -v ON_ERROR_STOP=1 on a pipe, into a temporary database that
 *    only a verified swap makes live (so any table count restores);
 *  - restore_verify(): the restored database against the manifest: the
 *    rows the server reported loading into each table (psql's COPY tags),
 *    a row read back from each table, the table count; when the tags do
 *    not line up with the manifest, a count(*) of every table instead;
 *  - db_swap(): block connections to the database being replaced, end its
 *    sessions, rename it aside (<db>_damaged_<stamp>, or
 *    <db>_before_restore_<stamp> for a restore a person asked for), rename
 *    the verified temporary database into place. What it replaced is never
 *    dropped.
 * Temporary databases are named pgwarden_tmp_<stamp> so a restart can
 * recognise and drop leftovers.
 */
#ifndef PGW_RESTORE_H
#define PGW_RESTORE_H

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "copytags.h"
#include "manifest.h"

#define TMP_DB_PREFIX "pgwarden_tmp_"
/* Maintenance connections use template1, so that even "postgres" can be
 * swapped. */
#define ADMIN_DB "template1"

struct restore_ctx {
	const struct pgw_config *cfg;
	volatile sig_atomic_t *stop;
	/* a drill gives way: set, it ends the job when this request file
	 * appears (a recovery never waits behind a drill); NULL otherwise */
	const char *yield_to;
};

/* Shutdown, or (for a drill) a recovery asked for: the job stops. */
bool restore_stopped(const struct restore_ctx *ctx);

/* CREATE DATABASE name with the encoding/locale/owner of like_db when it
 * exists. 0 or -1. */
int db_create_like(PGconn *admin, const char *name, const char *like_db,
		   char *err, size_t errlen);
int db_drop(PGconn *admin, const char *name, char *err, size_t errlen);
int db_exists(PGconn *admin, const char *name);
/* Drop every pgwarden_tmp_% and pgwarden_verify_% database (left by a
 * crash). Returns the count. */
int db_drop_leftovers(PGconn *admin);

/* Restore backup file into database db. on_error_stop = 0 for globals.
 * tags (may be NULL) receives the row count of each COPY; free it with
 * copy_tags_free(). */
/* total: the SQL's size (the manifest's uncompressed_size), for the
 * progress pgwarden status shows; 0 unknown. */
int restore_into(const struct restore_ctx *ctx, const char *file, int64_t total,
		 const char *db, int on_error_stop, struct copy_tags *tags,
		 char *err, size_t errlen);
/* A database backup into db, with the restore procedure of every
 * extension that needs one (extproc.h), psql in one transaction. On -1,
 * server_fault says whether the server or pgwarden's procedure is to
 * blame (a missing role, extension or version, a procedure's refusal, a
 * lost connection) rather than the file (data or SQL the dump should not
 * hold, a stream that does not read back). server_fault may be NULL. */
int restore_database(const struct restore_ctx *ctx, const struct manifest *m,
		     const char *db, struct copy_tags *tags, bool *server_fault,
		     char *err, size_t errlen);
/* The newest globals backup whose manifest and checksum hold, restored
 * into the server (errors such as "role exists" tolerated). 0 or -1. */
int restore_newest_globals(const struct restore_ctx *ctx);
/* The newest globals backup whose manifest and checksum hold: 0 with m
 * filled (manifest_free() it), or -1 when there is none. */
int globals_newest_valid(const struct restore_ctx *ctx, struct manifest *m);
/* tags: from restore_into() of the same restore (NULL: count rows). */
int restore_verify(const struct restore_ctx *ctx, const char *db,
		   const struct manifest *m, const struct copy_tags *tags,
		   char *err, size_t errlen);
/* Swap tmp into target; the database it replaces is renamed
 * <target><kind><stamp> (kind: PROTO_ASIDE_*), its new name in aside (""
 * when there was none). */
int db_swap(PGconn *admin, const char *target, const char *tmp,
	    const char *kind, char *aside, size_t asidecap, char *err,
	    size_t errlen);

#endif
