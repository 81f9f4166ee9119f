/*
 * dbcheck_result.h - the result of one round of database checks as
 * pgwarden-dbcheck prints it and the monitor reads it back: one "key=value" per
 * line (ping, connected, ok: 0|1; checksum_failures: a count, -1 when not
 * available; class: what the outcome means, a name of checkclass.h; what:
 * the failing check and why, on one line; archive_failing: seconds the WAL
 * archive has been failing, 0 not failing, -1 not known; archive_wal: the
 * file it fails on). One contract for both ends; no
 * libpq here.
 */
#ifndef PGW_DBCHECK_RESULT_H
#define PGW_DBCHECK_RESULT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "checkclass.h"

struct dbcheck_result {
	bool ping, connected, ok;
	int64_t checksum_failures; /* -1: not available */
	enum check_class cls;	   /* CHECK_OK when ok */
	char what[512];
	int64_t archive_failing; /* s, 0 not failing, -1 not known */
	char archive_wal[64];
};

void dbcheck_result_print(const struct dbcheck_result *r, FILE *f);
/* 0, or -1 when text is not pgwarden-dbcheck's output (no "ok=" line). */
int dbcheck_result_parse(const char *text, struct dbcheck_result *r);

#endif
