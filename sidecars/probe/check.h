/*
 * check.h - the monitor's database checks, run in pgwarden-probe: a short
 * process that loads libpq, checks, prints the result and exits, so the
 * long-running monitor never maps libpq and its dependencies (its idle
 * footprint stays small).
 *
 * Output (stdout, one "key=value" per line, parsed by the monitor's
 * probe.c): ping=0|1, connected=0|1, ok=0|1, checksum_failures=<n>|-1,
 * what=<the failing check and why>.
 */
#ifndef PGW_CHECK_H
#define PGW_CHECK_H

#include <stdbool.h>
#include <stdint.h>

struct check_args {
	const char *db;
	int timeout_s;
	const char *migrations_dir;
	const char *migrations_table;
};

struct check_out {
	bool ping, connected, ok;
	int64_t checksum_failures; /* -1: not available */
	char what[512];
};

void check_run(const struct check_args *a, struct check_out *o);
void check_print(const struct check_out *o);

#endif
