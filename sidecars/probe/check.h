/*
 * check.h - the monitor's database checks, run in pgwarden-probe: a short
 * process that loads libpq, checks, prints the result and exits, so the
 * long-running monitor never maps libpq and its dependencies (its idle
 * footprint stays small).
 *
 * The result goes to stdout in the form of common/probeio.h.
 */
#ifndef PGW_CHECK_H
#define PGW_CHECK_H

#include "probeio.h"

struct check_args {
	const char *db;
	int timeout_s;
	const char *migrations_dir;
	const char *migrations_table;
};

void check_run(const struct check_args *a, struct probe_result *o);

#endif
