/*
 * roles.h - the roles a database backup refers to (owners, grants) must
 * exist before it is restored, or psql stops at the first "OWNER TO" and
 * every backup fails alike. On a running server the whole globals backup is
 * not replayed: that would reset the password and attributes of every role
 * changed since the backup. Only the roles missing now are re-created, each
 * with its own lines of the newest valid globals backup (ALTER ROLE ...
 * WITH / SET, COMMENT ON ROLE, its memberships either way).
 *
 * Contract: roles_restore_missing() returns how many roles it re-created
 * (0 also when there is no valid globals backup), each logged by name; a
 * statement that fails is logged without its text (it may hold a password
 * hash) and the rest go on.
 */
#ifndef PGW_ROLES_H
#define PGW_ROLES_H

#include <libpq-fe.h>

#include "restore.h"

int roles_restore_missing(const struct restore_ctx *ctx, PGconn *admin);

/* For tests: the role as written in "CREATE ROLE <role>;", or NULL. The
 * result points into line; *len is its length. */
const char *roles_created_in(const char *line, size_t *len);
/* Whether line (one statement of a globals dump) belongs to the role
 * written as role/len: its ALTER ROLE, COMMENT ON ROLE, a GRANT of it or
 * to it. */
int roles_line_is_for(const char *line, const char *role, size_t len);

#endif
