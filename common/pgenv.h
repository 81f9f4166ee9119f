/*
 * pgenv.h - the PostgreSQL environment without libpq: authentication set-up,
 * the target database, conninfo quoting and locating the installed tools.
 * Kept apart from pg.h so a process that never connects (the monitor, whose
 * checks run in pgwarden-dbcheck) does not load libpq and its dependencies.
 *
 * Connection settings come from the standard PG* environment (PGHOST, PGPORT,
 * PGUSER, PGDATABASE, PGPASSFILE) and, for the password, from a secret file
 * (config password_file) or PGPASSWORD; both are turned into a private
 * pgpass file so that child tools authenticate without a password in argv or
 * in their environment.
 */
#ifndef PGW_PGENV_H
#define PGW_PGENV_H

#include <stddef.h>

struct pgw_config;

/* Set up authentication (see above). -1 with reason in err. */
int pg_auth_setup(const struct pgw_config *c, char *err, size_t errlen);
/* Remove the private pgpass file (at exit). */
void pg_auth_cleanup(void);

/* The database the sidecars look after: config database, else PGDATABASE,
 * else PGUSER, else "postgres". */
const char *pg_target_db(const struct pgw_config *c);

/* "dbname='...'" for a tool's -d, quoted as libpq's conninfo parser
 * expects, so a database name is never taken for a connection string. */
void pg_conninfo_dbname(const char *db, char *out, size_t cap);

/* Full path of a PostgreSQL program (pg_dump, psql, initdb, ...):
 * config pg_bindir / PG_BINDIR, else `pg_config --bindir`, else the newest
 * /usr/lib/postgresql/N/bin. -1 when not found. */
int pg_bin(const struct pgw_config *c, const char *prog, char *out, size_t cap);

/* pgwarden's own objects in a protected database (the monitor's
 * heartbeat) live in this schema and nowhere else; backups keep its
 * definitions but none of its rows (docs/HEALTH.md). */
#define PGW_OWN_SCHEMA "pgwarden"

#endif
