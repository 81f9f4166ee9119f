/*
 * extproc.h - extensions whose logical restore needs a procedure, in one
 * table (docs/EXTENSIONS.md). TimescaleDB's documented procedure: create
 * the extension at the backup's exact version in the new database, call
 * timescaledb_pre_restore(), replay the dump, call
 * timescaledb_post_restore().
 *
 * Contract, for every restore of a database backup (recovery, drill, the
 * databases after a cluster re-init):
 *  - ext_prepare() checks that the server can provide every extension the
 *    manifest recorded, and creates each one that has a procedure at the
 *    recorded version, then runs its "before" step, on a connection it
 *    keeps open. A server that cannot is a named error ("backup needs
 *    timescaledb 2.25.2, server has 2.26.0: ..."), and *server_fault says
 *    that the backup itself is not to blame.
 *  - ext_finish() runs every "after" step and closes the connection.
 * The rows are built from restore_procedures: a built-in row for a known
 * extension, else the <ext>_pre_restore() / <ext>_post_restore()
 * convention that TimescaleDB follows.
 */
#ifndef PGW_EXTPROC_H
#define PGW_EXTPROC_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "manifest.h"

struct ext_session {
	PGconn *conn; /* to the new database; NULL when nothing was needed */
	int n;	      /* procedures whose "before" step ran */
	char names[MANIFEST_MAX_EXTENSIONS][64];
};

/* Whether name has a restore procedure under this configuration
 * (restore_procedures: plain names, checked by cfg's CFG_NAMES). */
bool ext_has_procedure(const struct pgw_config *c, const char *name);
int ext_prepare(const struct pgw_config *c, const char *db,
		const struct manifest *m, struct ext_session *s,
		bool *server_fault, char *err, size_t errlen);
int ext_finish(struct ext_session *s, char *err, size_t errlen);

#endif
