/*
 * dbadmin.h - the databases a restore works on, over an admin connection:
 * create one like another, drop, the leftovers of a crash, and the swap.
 *  - db_swap(): block connections to the database being replaced, end its
 *    sessions, rename it aside (<db>_damaged_<stamp>, or
 *    <db>_before_restore_<stamp> for a restore a person asked for), rename
 *    the verified temporary database into place, with SIGTERM held off
 *    across the two renames. What it replaced is never dropped.
 * Temporary databases are named pgwarden_tmp_<stamp> so a restart can
 * recognise and drop leftovers.
 */
#ifndef PGW_DBADMIN_H
#define PGW_DBADMIN_H

#include <libpq-fe.h>
#include <stddef.h>

#define TMP_DB_PREFIX "pgwarden_tmp_"
/* Maintenance connections use template1, so that even "postgres" can be
 * swapped. */
#define ADMIN_DB "template1"

/* CREATE DATABASE name with the encoding/locale/owner of like_db when it
 * exists. 0 or -1. */
int db_create_like(PGconn *admin, const char *name, const char *like_db,
		   char *err, size_t errlen);
int db_drop(PGconn *admin, const char *name, char *err, size_t errlen);
int db_exists(PGconn *admin, const char *name);
/* Drop every pgwarden_tmp_% and pgwarden_verify_% database (left by a
 * crash). Returns the count. */
int db_drop_leftovers(PGconn *admin);
/* Swap tmp into target; the database it replaces is renamed
 * <target><kind><stamp> (kind: PROTO_ASIDE_*), its new name in aside (""
 * when there was none). */
int db_swap(PGconn *admin, const char *target, const char *tmp,
	    const char *kind, char *aside, size_t asidecap, char *err,
	    size_t errlen);

#endif
