/*
 * server_status.h - server.status, pgwarden-db's heartbeat: its one writer
 * (pgwarden-db, every 5 s and at every change of state) and its one reader
 * (the monitor, the restorer, the CLI, status), side by side.
 *
 * INI [server]: state (starting, running, restarting, stopped, failed,
 * reinitializing), pid, since (serving since), restarts, start_failures,
 * generation (grows at every re-init), last_reinit, damaged_dir (where the
 * last re-init moved PGDATA), updated; the last request-physical-restore
 * (docs/WAL.md): physical (started | failed | ""), physical_base,
 * physical_why, physical_generation (the generation it started),
 * physical_attempts (grows at every request taken).
 */
#ifndef PGW_SERVER_STATUS_H
#define PGW_SERVER_STATUS_H

#include <time.h>

/* pgwarden-db rewrites the file every 5 s: one older than this (s) means
 * pgwarden-db is not running. */
#define SERVER_STATUS_FRESH 15

struct server_info {
	char state[16];
	int pid;
	int generation, restarts, start_failures;
	time_t since;	    /* serving since; 0 unknown or never */
	time_t last_reinit; /* 0 never */
	char damaged_dir[4096];
	char physical[16], physical_base[256], physical_why[512];
	int physical_generation, physical_attempts;
	long age; /* s since the file was written; -1 missing (read only) */
};

/* Atomically (temp, fsync, rename). 0 or -1 with errno. */
int server_status_write(const char *dir, const struct server_info *si);
/* A missing or unreadable file reads as state "" and -1 counts. */
void server_status_read(const char *dir, struct server_info *out);

#endif
