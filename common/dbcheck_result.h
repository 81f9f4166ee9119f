/*
 * dbcheck_result.h - the result of one round of database checks as
 * pgwarden-dbcheck prints it and the monitor reads it back: one "key=value" per
 * line (ping, connected, ok: 0|1; checksum_failures: a count, -1 when not
 * available; class: what the outcome means, a name of checkclass.h; what:
 * the failing check and why, on one line; archive_failing: seconds the WAL
 * archive has been failing, 0 not failing, -1 not known; archive_wal: the
 * file it fails on; archive_on: archive_mode is not off (1), is (0), -1
 * not known; archived_wal and archived_at: the last file archived and
 * when (epoch s, 0 never); wal_lsn: the server's current WAL position
 * (-1 not known, as on a standby); wal_segment_size; next_xid; cluster_id: the
 * system identifier, in decimal). One contract for both ends; no
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
	int archive_on;
	char archived_wal[64];
	int64_t archived_at;
	int64_t wal_lsn, wal_segment_size;
	int64_t next_xid; /* grows with each writing transaction; -1 unknown */
	char cluster_id[24];
};
/* Everything unknown (as before a check reads anything). */
void dbcheck_result_clear(struct dbcheck_result *r);

void dbcheck_result_print(const struct dbcheck_result *r, FILE *f);
/* 0, or -1 when text is not pgwarden-dbcheck's output (no "ok=" line). */
int dbcheck_result_parse(const char *text, struct dbcheck_result *r);

#endif
