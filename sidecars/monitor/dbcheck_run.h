/*
 * dbcheck_run.h - running pgwarden-dbcheck (sidecars/dbcheck/check.h), the
 * monitor's hands on the database: the monitor itself never links libpq.
 * pgwarden-dbcheck is looked for next to the monitor's own executable.
 */
#ifndef PGW_DBCHECK_RUN_H
#define PGW_DBCHECK_RUN_H

#include <stddef.h>

#include "dbcheck_result.h"

struct pgw_config;

/* One round of checks. -1 when pgwarden-dbcheck itself could not run (the
 * reason in r->what); 0 otherwise, whatever the checks found. */
int dbcheck_run(const struct pgw_config *c, struct dbcheck_result *r);
/* The name of database oid; -1 when it cannot be learnt now. */
int dbcheck_db_name(const struct pgw_config *c, long oid, char *name,
		    size_t cap);

/* After a recovery from backup: 0 when the database holds what its
 * manifest promised, -1 with why (pgwarden-dbcheck restored). */
int dbcheck_restored(const struct pgw_config *c, const char *backup, char *why,
		     size_t cap);

#endif
