/* pgwarden-db: supervises postgres in the db container (see server.h). */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alert.h"
#include "daemon.h"
#include "exitcode.h"
#include "log.h"
#include "pause.h"
#include "physical.h"
#include "proto.h"
#include "server.h"
#include "space.h"
#include "sig.h"
#include "tm.h"

/* A re-init moves PGDATA aside: parsed strictly, and refused while the
 * server runs and answers unless the request says force=yes. Raw request
 * bytes never reach a log line or an alert. */
static void on_reinit_request(struct server *s, const struct daemon *d,
			      const char *content)
{
	static const char *const allowed[] = {"reason", "force", NULL};
	struct request_kv kv[4];
	int n = daemon_parse_request(PROTO_REQ_REINIT, "Request rejected",
				     content, allowed, NULL, kv, 4);
	const char *reason, *force;

	if (n < 0)
		return;
	reason = proto_request_get(kv, n, "reason");
	force = proto_request_get(kv, n, "force");
	if (s->running && s->ready && !(force && strcmp(force, "yes") == 0)) {
		log_error("request-reinit refused: the server is running and "
			  "answering (force=yes overrides)");
		alert_emit(ALERT_ERROR, "reinit-refused", "Request rejected",
			   "A cluster re-init was refused: the server is "
			   "running and answering; nothing was touched",
			   reason ? reason : "no reason given");
		return;
	}
	server_reinit(s, d, reason ? reason : "requested");
}

static void on_physical_request(struct server *s, const struct daemon *d,
				const char *content)
{
	char reason[300];

	if (daemon_request_reason(PROTO_REQ_PHYSICAL, "Physical Restore",
				  content, reason, sizeof(reason)) == 0)
		physical_restore(s, d, reason);
}

/* As the container's PID 1, the orphans of the server's processes (a
 * killed postmaster's children) are ours: reap them, or they stay zombies.
 * The server's own exit is left to child_poll (WNOWAIT peeks first). */
static void reap_orphans(const struct server *s)
{
	siginfo_t si;

	if (getpid() != 1)
		return;
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid == 0 || si.si_pid == s->proc.pid)
			return;
		waitpid(si.si_pid, NULL, WNOHANG);
	}
}

int main(int argc, char **argv)
{
	struct daemon d = {.name = "db",
			   .main_log = LOG_SERVER,
			   .serve_on_unsafe_dir = true,
			   .takes_server_args = true};
	struct server s;
	struct space sp = {0};
	char req[PROTO_REQUEST_MAX + 1];
	int64_t last_status = 0;

	daemon_start(&d, argc, argv);
	server_init(&s, &d);
	while (!sig_stop) {
		int wake = s.ready || !s.running ? 500 : 200;
		if (sig_reload)
			daemon_reload(&d);
		server_tick(&s, &d);
		reap_orphans(&s);
		if (!d.dir_unsafe_now)
			space_tick(&sp, &d);
		if (!pause_active(d.cfg.backup_dir) &&
		    daemon_take_request(&d, PROTO_REQ_REINIT, req, sizeof(req),
					&wake) == REQ_CLAIMED)
			on_reinit_request(&s, &d, req);
		if (!pause_active(d.cfg.backup_dir) &&
		    daemon_take_request(&d, PROTO_REQ_PHYSICAL, req,
					sizeof(req), &wake) == REQ_CLAIMED)
			on_physical_request(&s, &d, req);
		if (!d.dir_unsafe_now && tm_mono_ms() - last_status >= 5000) {
			server_write_status(&s, &d);
			last_status = tm_mono_ms();
		}
		daemon_wait(&d, wake);
	}
	/* the pod's grace period, minus the immediate shutdown's share */
	log_info("stopping postgres (fast shutdown, at most %d s)",
		 d.cfg.shutdown_timeout);
	server_stop(&s, d.cfg.shutdown_timeout * 1000);
	if (!d.dir_unsafe_now)
		server_write_status(&s, &d);
	daemon_stop(&d);
	return PGW_EXIT_OK;
}
