/*
 * restore.h - the restorer's building blocks, each safe to fail halfway:
 *  - restore_into(): stream-decompress a backup (zlib, in-process) into
 *    psql -v ON_ERROR_STOP=1 on a pipe, into a temporary database that
 *    only a verified swap makes live (so any table count restores);
 *  - restore_verify(): the restored database against the manifest: the
 *    rows the server reported loading into each table (psql's COPY tags),
 *    a row read back from each table, the table count; when the tags do
 *    not line up with the manifest, a count(*) of every table instead;
 * The databases they work on (the temporary one, the swap): dbadmin.h;
 * the globals: globals.h.
 */
#ifndef PGW_RESTORE_H
#define PGW_RESTORE_H

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "crypt.h"
#include "daemon.h"
#include "copytags.h"
#include "dbadmin.h"
#include "manifest.h"

struct restore_ctx {
	const struct pgw_config *cfg;
	const struct crypt_key *key; /* backups' key; NULL: none configured */
	volatile sig_atomic_t *stop;
	/* a drill gives way: set, it ends the job when this request file
	 * appears (a recovery never waits behind a drill); NULL otherwise */
	const char *yield_to;
	/* the restorer's daemon: for the commands a drill's server runs */
	const struct daemon *daemon;
};

/* Shutdown, or (for a drill) a recovery asked for: the job stops. */
bool restore_stopped(const struct restore_ctx *ctx);

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
/* tags: from restore_into() of the same restore (NULL: count rows). */
int restore_verify(const struct restore_ctx *ctx, const char *db,
		   const struct manifest *m, const struct copy_tags *tags,
		   char *err, size_t errlen);

#endif
