/*
 * exitcode.h - the one table of process exit codes shared by every pgwarden
 * binary. Tests assert on these numbers, so they never change meaning.
 */
#ifndef PGW_EXITCODE_H
#define PGW_EXITCODE_H

enum pgw_exit {
	PGW_EXIT_OK = 0,	 /* clean shutdown, or the command succeeded */
	PGW_EXIT_FAILURE = 1,	 /* the command ran and failed (CLI) */
	PGW_EXIT_CONFIG = 2,	 /* bad configuration: value, key, or file */
	PGW_EXIT_USAGE = 3,	 /* bad command-line arguments */
	PGW_EXIT_BACKUP_DIR = 4, /* backups directory missing or unusable */
	PGW_EXIT_RUNNING = 5,	 /* another instance already holds the lock */
	PGW_EXIT_DATABASE = 6,	 /* database unreachable (CLI commands) */
	PGW_EXIT_UNHEALTHY = 7,	 /* status --check: system not healthy */
	PGW_EXIT_INTERNAL = 70,	 /* out of memory or a broken invariant */
	/* wal-fetch: the archived file is there but damaged. Above 125, so
	 * that PostgreSQL stops the recovery rather than end it early. */
	PGW_EXIT_WAL_BROKEN = 126,
};

#endif
