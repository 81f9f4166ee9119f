/*
 * check.h - the monitor's database checks, run in pgwarden-dbcheck: a short
 * process that loads libpq, checks, prints the result and exits, so the
 * long-running monitor never maps libpq and its dependencies (its idle
 * footprint stays small).
 *
 * The result goes to stdout in the form of common/dbcheck_result.h, with the
 * class of a failure (common/checkclass.h) decided here, where the SQLSTATE is
 * known. The heartbeat lives in pgwarden's own schema, pgwarden.heartbeat,
 * created when missing (docs/HEALTH.md); nothing is ever written to the
 * application's schemas.
 */
#ifndef PGW_CHECK_H
#define PGW_CHECK_H

#include "dbcheck_result.h"

struct check_args {
	const char *db;
	int timeout_s;
	const char *migrations_dir;
	const char *migrations_table;
	const char *heartbeat; /* "database" | "off" (cfg heartbeat) */
};

void check_run(const struct check_args *a, struct dbcheck_result *o);

#endif
