/* The pod's probes, as `pgwarden status --alive SIDECAR` and `--ready`.
 * They say what kubelet must act on, and nothing else:
 *  - alive: the sidecar holds its instance lock, and its heartbeat is
 *    recent (the monitor's checks; pgwarden-db's server.status, which it
 *    rewrites every few seconds whatever the server does: a server in
 *    crash recovery or WAL replay is alive, and a hung one pgwarden-db
 *    restarts itself);
 *  - ready: the server runs and answers, and no recovery is swapping data
 *    (nor re-initialising the cluster, nor resetting it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "fs.h"
#include "pg.h"
#include "proto.h"
#include "server_status.h"
#include "status.h"
#include "recovery_marker.h"

/* pgwarden-db writes server.status every 5 s (dbsupervisor/main.c). */
#define DB_HEARTBEAT_MAX 60

static int unhealthy(const char *fmt, const char *a, long b)
	__attribute__((format(printf, 1, 0)));

static int unhealthy(const char *fmt, const char *a, long b)
{
	fprintf(stderr, "pgwarden: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
	return PGW_EXIT_UNHEALTHY;
}

static bool known_sidecar(const char *name)
{
	for (int i = 0; i < SC_N; i++)
		if (strcmp(name, status_sidecar_names[i]) == 0)
			return true;
	return false;
}

int cli_probe_alive(const struct pgw_config *c, const char *name)
{
	char lock[64];
	long age;

	if (!known_sidecar(name)) {
		fprintf(stderr,
			"pgwarden: unknown sidecar '%s' (monitor, backupper, "
			"restorer, db)\n",
			name);
		return PGW_EXIT_USAGE;
	}
	snprintf(lock, sizeof(lock), "%s%s", PROTO_LOCK_PREFIX, name);
	if (!fs_lock_held(c->backup_dir, lock))
		return unhealthy("%s is not running%.0ld", name, 0);
	if (strcmp(name, "monitor") == 0) {
		age = fs_age(c->backup_dir, PROTO_MONITOR_STATUS);
		if (age < 0 || age > 3L * c->health_check_interval + 60)
			return unhealthy("monitor has not checked for %s%ld s",
					 "", age);
	}
	if (strcmp(name, "db") == 0) {
		age = fs_age(c->backup_dir, PROTO_SERVER_STATUS);
		if (age < 0 || age > DB_HEARTBEAT_MAX)
			return unhealthy(
				"pgwarden-db is stuck: no server.status "
				"for %s%ld s",
				"", age);
	}
	return PGW_EXIT_OK;
}

int cli_probe_ready(const struct pgw_config *c)
{
	struct server_info si;
	struct recovery_marker m;

	server_status_read(c->backup_dir, &si);
	if (si.state[0] && strcmp(si.state, "running") != 0)
		return unhealthy("not ready: the server is %s%.0ld", si.state,
				 0);
	if (pg_ping("postgres", 3) != PQPING_OK)
		return unhealthy("not ready: the server does not answer%s%.0ld",
				 "", 0);
	recovery_marker_read_live(c->backup_dir, &m);
	if (strcmp(m.phase, "swapping") == 0 ||
	    strcmp(m.phase, "cluster-reinit") == 0 ||
	    strcmp(m.phase, "fresh-reset") == 0)
		return unhealthy("not ready: a recovery is %s%.0ld",
				 strcmp(m.phase, "swapping") == 0
					 ? "swapping the data"
					 : m.phase,
				 0);
	return PGW_EXIT_OK;
}
