/*
 * server.h - pgwarden-db, the db container's entrypoint: runs `postgres` as
 * a child, restarts it when it dies (crash recovery then runs by itself)
 * or when it has not answered a query for hang_timeout (SIGQUIT, then
 * SIGKILL of it and its processes; a server starting or replaying WAL is
 * not asked),
 * publishes its state in server.status, and carries out request-reinit:
 * stop the server, move the data directory aside (never delete it), initdb
 * with the configured options, keep the old configuration files, start.
 */
#ifndef PGW_SERVER_H
#define PGW_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "child.h"
#include "daemon.h"

struct server {
	struct child proc;
	bool running;
	bool ready;
	int64_t started_ms;
	int64_t next_start_ms;
	int start_failures;
	int restarts;
	int generation;
	time_t since;
	time_t last_reinit;
	char state[16];
	int64_t next_ask_ms;   /* when a running server is asked again */
	int64_t unanswered_ms; /* since when it has not answered; 0 */
	bool hung_kill;	       /* its exit is ours: told already */
	bool pause_told;       /* "paused: not started" was logged */
	char damaged_dir[4096];
	char cluster_id[24]; /* of the last server that started ("" unknown) */
	char cluster_err[256];
	/* the last physical restore, for server.status */
	char physical[16], physical_base[256], physical_why[512];
	int physical_generation, physical_attempts;
	char log_path[4096];
};

void server_init(struct server *s, const struct daemon *d);
/* One step of supervision: start, notice death, notice readiness. */
void server_tick(struct server *s, const struct daemon *d);
/* Fast shutdown (SIGINT) for fast_ms, then immediate (SIGQUIT) for 10 s,
 * then SIGKILL. */
void server_stop(struct server *s, int fast_ms);
/* Move PGDATA aside, initdb, copy config files back, start. 0 or -1. */
int server_reinit(struct server *s, const struct daemon *d, const char *why);
void server_write_status(const struct server *s, const struct daemon *d);

#endif
