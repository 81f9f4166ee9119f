#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alert.h"
#include "answer.h"
#include "bootstrap.h"
#include "fs.h"
#include "log.h"
#include "pause.h"
#include "server_status.h"
#include "pg.h"
#include "proto.h"
#include "tm.h"
#include "walarchive.h"

/* A server that dies within this long after start failed to start. */
#define START_GRACE_MS 15000
/* A running server is asked SELECT 1 this often, with this bound. */
#define ASK_EVERY_MS   5000
#define ASK_TIMEOUT_MS 3000
#define QUIT_GRACE_MS  5000

void server_init(struct server *s, const struct daemon *d)
{
	memset(s, 0, sizeof(*s));
	s->proc.pid = -1;
	snprintf(s->state, sizeof(s->state), "stopped");
	if (d->cfg.server_log[0])
		snprintf(s->log_path, sizeof(s->log_path), "%s",
			 d->cfg.server_log);
	else
		fs_join(s->log_path, d->cfg.backup_dir, PROTO_SERVER_LOG);
}

/* The archive settings (docs/WAL.md): first, so that postgres_options
 * and the container's args can still override them. */
static int archive_args(const struct daemon *d, const char **argv, int *n,
			char *cmd, size_t cmdcap, char *timeout, size_t tcap)
{
	char tool[2 * PATH_MAX + 64];

	if (strcmp(d->cfg.wal_archive, "on") != 0)
		return 0;
	if (daemon_tool_command(d, "wal-push '%p'", tool, sizeof(tool)) < 0)
		return -1;
	snprintf(cmd, cmdcap, "archive_command=%s", tool);
	snprintf(timeout, tcap, "archive_timeout=%d",
		 d->cfg.wal_archive_timeout);
	argv[(*n)++] = "-c";
	argv[(*n)++] = "archive_mode=on";
	argv[(*n)++] = "-c";
	argv[(*n)++] = cmd;
	argv[(*n)++] = "-c";
	argv[(*n)++] = timeout;
	return 0;
}

static void server_start(struct server *s, const struct daemon *d)
{
	char postgres[PATH_MAX], opts[CFG_STR_MAX], archive[2 * PATH_MAX + 96];
	char timeout[64];
	const char *argv[SERVER_ARGS_MAX + 70] = {postgres, "-D",
						  d->cfg.pgdata};
	int logfd, n = 3;

	if (pg_bin(&d->cfg, "postgres", postgres, sizeof(postgres)) < 0)
		return;
	if (cluster_prepare(d) < 0) {
		s->next_start_ms = tm_mono_ms() + 30000;
		return;
	}
	if (archive_args(d, argv, &n, archive, sizeof(archive), timeout,
			 sizeof(timeout)) < 0) {
		log_error("unable to find pgwarden for archive_command: %s",
			  strerror(errno));
		s->next_start_ms = tm_mono_ms() + 30000;
		return;
	}
	snprintf(opts, sizeof(opts), "%s", d->cfg.postgres_options);
	if (child_split_words(opts, argv, &n, 70) < 0) {
		log_error("postgres_options has too many words: server not "
			  "started");
		s->next_start_ms = tm_mono_ms() + 30000;
		return;
	}
	/* the container's own args come last: the pod spec is the operator's
	 * latest word on a setting */
	for (int i = 0; i < d->server_argc; i++)
		argv[n++] = d->server_argv[i];
	argv[n] = NULL;
	logfd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		     0600);
	if (logfd < 0) {
		log_error("unable to open '%s': %s", s->log_path,
			  strerror(errno));
		return;
	}
	if (child_start_io(&s->proc, argv, -1, logfd, logfd) < 0) {
		log_error("unable to start postgres: %s", strerror(errno));
		close(logfd);
		return;
	}
	close(logfd);
	s->running = true;
	s->ready = false;
	s->started_ms = tm_mono_ms();
	snprintf(s->state, sizeof(s->state), "starting");
	log_info("postgres started (pid %d, data '%s')", (int)s->proc.pid,
		 d->cfg.pgdata);
	server_write_status(s, d); /* the monitor waits while we start */
}

/* A server that was serving stopped by itself: told once per crash. */
static void alert_crash(const struct server *s, const char *how)
{
	char msg[256], details[256];

	snprintf(msg, sizeof(msg),
		 "PostgreSQL %s while serving; it is being restarted, and "
		 "crash recovery replays the WAL (no restore)",
		 how);
	snprintf(details, sizeof(details), "Restarts so far: %d", s->restarts);
	alert_emit(ALERT_WARNING, "server-restarted",
		   "Database Server - WARNING", msg, details);
}

static void server_exited(struct server *s, const struct daemon *d)
{
	int st = s->proc.status;
	bool early = !s->ready || tm_mono_ms() - s->started_ms < START_GRACE_MS;

	bool was_serving = s->ready;
	char how[64];

	s->running = s->ready = false;
	s->restarts++;
	if (WIFSIGNALED(st))
		snprintf(how, sizeof(how), "was killed by signal %d",
			 WTERMSIG(st));
	else
		snprintf(how, sizeof(how), "exited with code %d",
			 WEXITSTATUS(st));
	log_warn("postgres %s", how);
	if (pause_active(d->cfg.backup_dir)) {
		/* maintenance: whoever stopped it keeps it stopped */
		log_warn("paused: postgres is left stopped (pgwarden resume)");
		snprintf(s->state, sizeof(s->state), "stopped");
		s->hung_kill = false;
		server_write_status(s, d);
		return;
	}
	if (was_serving && !s->hung_kill)
		alert_crash(s, how);
	s->hung_kill = false;
	s->start_failures = early ? s->start_failures + 1 : 0;
	if (s->start_failures >= d->cfg.max_start_failures) {
		if (strcmp(s->state, "failed") != 0)
			alert_emit(ALERT_CRITICAL, "server-failed",
				   "Database Server - CRITICAL",
				   "PostgreSQL fails to start; the restorer "
				   "can re-initialise the cluster from the "
				   "newest valid backup",
				   NULL);
		snprintf(s->state, sizeof(s->state), "failed");
		s->next_start_ms = tm_mono_ms() + 30000;
	} else {
		snprintf(s->state, sizeof(s->state), "restarting");
		s->next_start_ms = tm_mono_ms() + 500;
	}
	server_write_status(s, d);
}

/* The postmaster's own processes, read before it is killed: a killed
 * postmaster leaves them attached to its shared memory, and a new one
 * will not start beside them. */
static int children_of(pid_t pid, pid_t *out, int cap)
{
	char path[64], buf[4096];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f))
		for (char *t = strtok(buf, " \n"); t && n < cap;
		     t = strtok(NULL, " \n"))
			out[n++] = (pid_t)atoi(t);
	fclose(f);
	return n;
}

/* State T in /proc/<pid>/stat: stopped by a signal. */
static bool stopped(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool st = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    p[1] == ' ')
		st = p[2] == 'T';
	fclose(f);
	return st;
}

/* Not answering: SIGQUIT (immediate shutdown), then SIGKILL of it and of
 * its processes. True when its exit was reaped here; else server_tick
 * sees it. Either way it is restarted. */
static bool kill_hung(struct server *s, const char *why, int64_t silent_ms)
{
	pid_t kids[256];
	int n = children_of(s->proc.pid, kids, 256);
	int64_t deadline = tm_mono_ms() + QUIT_GRACE_MS;
	char msg[512];

	snprintf(msg, sizeof(msg),
		 "PostgreSQL has not answered for %lld s (%s): it is restarted "
		 "(SIGQUIT, then SIGKILL), and crash recovery follows",
		 (long long)(silent_ms / 1000), why);
	log_warn("%s", msg);
	alert_emit(ALERT_WARNING, "server-hung", "Database Server - WARNING",
		   msg, NULL);
	s->hung_kill = true;
	kill(s->proc.pid, SIGQUIT);
	/* a stopped process never acts on SIGQUIT: no grace for it */
	while (tm_mono_ms() < deadline && !stopped(s->proc.pid) &&
	       !child_poll(&s->proc))
		tm_sleep_ms(50);
	if (s->proc.pid > 0) {
		log_warn("postgres did not stop on SIGQUIT: SIGKILL");
		kill(s->proc.pid, SIGKILL);
	}
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	return s->proc.pid < 0; /* reaped already */
}

/* Ask a serving server SELECT 1 now and then; silence past hang_timeout
 * is a hung server. */
static void ask_running(struct server *s, const struct daemon *d)
{
	int64_t now = tm_mono_ms();
	char why[256];

	if (d->cfg.hang_timeout <= 0 || now < s->next_ask_ms)
		return;
	/* once silent, asked every second: the bound is hang_timeout */
	s->next_ask_ms = now + (s->unanswered_ms ? 1000 : ASK_EVERY_MS);
	if (server_answers(ASK_TIMEOUT_MS, why, sizeof(why)) == 0) {
		if (s->unanswered_ms)
			log_info("postgres answers again");
		s->unanswered_ms = 0;
		return;
	}
	if (!s->unanswered_ms) {
		s->unanswered_ms = now;
		log_warn("postgres does not answer: %s", why);
	}
	if (tm_mono_ms() - s->unanswered_ms >=
	    (int64_t)d->cfg.hang_timeout * 1000) {
		bool reaped =
			kill_hung(s, why, tm_mono_ms() - s->unanswered_ms);
		s->unanswered_ms = 0;
		if (reaped)
			server_exited(s, d);
	}
}

void server_tick(struct server *s, const struct daemon *d)
{
	bool paused = pause_active(d->cfg.backup_dir);

	if (!s->running) {
		if (paused && !s->pause_told)
			log_warn("paused: postgres is not started (pgwarden "
				 "resume)");
		s->pause_told = paused;
		if (!paused && tm_mono_ms() >= s->next_start_ms)
			server_start(s, d);
		return;
	}
	if (child_poll(&s->proc)) {
		server_exited(s, d);
		return;
	}
	if (s->ready && !paused)
		ask_running(s, d);
	if (!s->ready && pg_ping("postgres", 2) == PQPING_OK) {
		s->ready = true;
		s->since = time(NULL);
		snprintf(s->state, sizeof(s->state), "running");
		log_info("postgres is accepting connections");
		wal_cluster_id(d->cfg.pgdata, s->cluster_id,
			       sizeof(s->cluster_id), s->cluster_err,
			       sizeof(s->cluster_err));
		server_write_status(s, d);
	}
}

void server_stop(struct server *s, int fast_ms)
{
	static const int sigs[] = {SIGINT, SIGQUIT, SIGKILL};
	/* fast (sessions end, a checkpoint), then immediate, then kill */
	const int64_t waits[] = {fast_ms, 10000, 5000};

	for (int i = 0; i < 3 && s->running; i++) {
		int64_t deadline = tm_mono_ms() + waits[i];
		if (i == 1)
			log_warn("postgres did not stop in %d s of fast "
				 "shutdown: immediate shutdown",
				 fast_ms / 1000);
		kill(s->proc.pid, sigs[i]);
		while (tm_mono_ms() < deadline && !child_poll(&s->proc))
			tm_sleep_ms(50);
		if (s->proc.pid < 0)
			s->running = s->ready = false;
	}
	snprintf(s->state, sizeof(s->state), "stopped");
}

static void copy_conf(const char *from_dir, const char *to_dir)
{
	static const char *files[] = {"postgresql.conf", "postgresql.auto.conf",
				      "pg_hba.conf", "pg_ident.conf"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		char *data = fs_read_small(from_dir, files[i], 4 << 20, &len);
		if (!data)
			continue; /* unreadable or damaged: keep initdb's */
		if (fs_write_atomic(to_dir, files[i], data, len) == 0)
			log_info("kept '%s' from the old data directory",
				 files[i]);
		free(data);
	}
}

int server_reinit(struct server *s, const struct daemon *d, const char *why)
{
	char aside[PATH_MAX], stamp[32], err[512], msg[PATH_MAX + 256];

	log_warn("re-initialising the cluster: %s", why);
	snprintf(s->state, sizeof(s->state), "reinitializing");
	server_write_status(s, d);
	server_stop(s, 10000);
	snprintf(aside, sizeof(aside), "%s.damaged-%s", d->cfg.pgdata,
		 tm_stamp(tm_now(), stamp));
	if (rename(d->cfg.pgdata, aside) < 0 && errno != ENOENT) {
		snprintf(msg, sizeof(msg),
			 "unable to move '%s' aside to '%s': %s", d->cfg.pgdata,
			 aside, strerror(errno));
		alert_emit(ALERT_CRITICAL, "reinit-failed",
			   "Cluster Re-init - CRITICAL", msg, NULL);
		return -1;
	}
	log_info("damaged data directory kept as '%s'", aside);
	if (cluster_initdb(d, err, sizeof(err)) < 0) {
		snprintf(msg, sizeof(msg),
			 "initdb failed: %s (damaged data kept in '%s')", err,
			 aside);
		alert_emit(ALERT_CRITICAL, "reinit-failed",
			   "Cluster Re-init - CRITICAL", msg, NULL);
		return -1;
	}
	copy_conf(aside, d->cfg.pgdata);
	snprintf(s->damaged_dir, sizeof(s->damaged_dir), "%s", aside);
	s->generation++;
	s->start_failures = 0;
	s->next_start_ms = 0;
	s->last_reinit = tm_now();
	snprintf(msg, sizeof(msg),
		 "Cluster re-initialised (%s). The damaged data directory is "
		 "kept as '%s'.",
		 why, aside);
	alert_emit(ALERT_WARNING, "cluster-reinit", "Cluster Re-init - WARNING",
		   msg, NULL);
	server_start(s, d);
	return 0;
}

void server_write_status(const struct server *s, const struct daemon *d)
{
	struct server_info si = {.pid = s->running ? (int)s->proc.pid : 0,
				 .since = s->since,
				 .restarts = s->restarts,
				 .start_failures = s->start_failures,
				 .generation = s->generation,
				 .last_reinit = s->last_reinit};

	snprintf(si.state, sizeof(si.state), "%s", s->state);
	snprintf(si.damaged_dir, sizeof(si.damaged_dir), "%s", s->damaged_dir);
	snprintf(si.physical, sizeof(si.physical), "%s", s->physical);
	snprintf(si.physical_base, sizeof(si.physical_base), "%s",
		 s->physical_base);
	snprintf(si.physical_why, sizeof(si.physical_why), "%s",
		 s->physical_why);
	si.physical_generation = s->physical_generation;
	si.physical_attempts = s->physical_attempts;
	if (server_status_write(d->cfg.backup_dir, &si) < 0)
		log_warn("unable to write '%s': %s", PROTO_SERVER_STATUS,
			 strerror(errno));
}
