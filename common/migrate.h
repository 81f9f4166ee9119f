/*
 * migrate.h - init scripts and schema migrations, applied the same way by a
 * normal deployment (pgwarden migrate), by the restorer's fresh reset and
 * checked by the monitor.
 *
 *  - init scripts: every .sql file of init_dir in name order, each in one
 * transaction.
 *  - migrations: <migrations_dir>/NNNN_<name>.sql in version order, each in
 *    one transaction together with its row in the migrations table
 *    (version text primary key, name, applied_at), so a migration is either
 *    applied and recorded or neither. Already recorded versions are skipped.
 */
#ifndef PGW_MIGRATE_H
#define PGW_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>

/* Run every init script; returns the count or -1 (reason in err). */
int migrate_run_init(PGconn *conn, const char *init_dir, char *err,
		     size_t errlen);
/* Apply pending migrations; returns how many were applied, or -1. */
int migrate_apply(PGconn *conn, const char *dir, const char *table, char *err,
		  size_t errlen);
/* Highest migration version present in dir into out ("" when none).
 * Returns the number of migration files, -1 when dir is unreadable. */
int migrate_expected_version(const char *dir, char *out, size_t cap);

#endif
