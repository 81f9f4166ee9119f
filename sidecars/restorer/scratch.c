#include "scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baselay.h"
#include "catalog.h"
#include "daemon.h"
#include "fs.h"
#include "globals.h"
#include "log.h"
#include "manifest.h"
#include "pg.h"
#include "tm.h"

const char *scratch_parent(const struct pgw_config *c)
{
	const char *t = getenv("TMPDIR");

	if (c->verify_cluster_dir[0])
		return c->verify_cluster_dir;
	return t && *t ? t : "/tmp";
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void env_point(struct scratch *s, int port)
{
	const char *h = getenv("PGHOST"), *p = getenv("PGPORT");
	char ps[16];

	s->had_host = h != NULL;
	s->had_port = p != NULL;
	snprintf(s->saved_host, sizeof(s->saved_host), "%s", h ? h : "");
	snprintf(s->saved_port, sizeof(s->saved_port), "%s", p ? p : "");
	snprintf(ps, sizeof(ps), "%d", port);
	setenv("PGHOST", s->dir, 1);
	setenv("PGPORT", ps, 1);
}

static void env_restore(struct scratch *s)
{
	if (s->had_host)
		setenv("PGHOST", s->saved_host, 1);
	else
		unsetenv("PGHOST");
	if (s->had_port)
		setenv("PGPORT", s->saved_port, 1);
	else
		unsetenv("PGPORT");
}

static int run_initdb(const struct pgw_config *c, const char *data, char *err,
		      size_t errlen)
{
	char initdb[PATH_MAX], why[512];
	const char *user = getenv("PGUSER");
	const char *argv[] = {initdb,
			      "-D",
			      data,
			      "-A",
			      "trust",
			      "-U",
			      user && *user ? user : "postgres",
			      "-E",
			      "UTF8",
			      "--no-sync",
			      NULL};

	if (pg_bin(c, "initdb", initdb, sizeof(initdb)) < 0) {
		snprintf(err, errlen, "initdb not found");
		return -1;
	}
	if (child_run(argv, NULL, 0, why, sizeof(why)) < 0) {
		snprintf(err, errlen,
			 "initdb of the throwaway cluster failed: %s", why);
		return -1;
	}
	return 0;
}

/* extra: more "-c" "name=value" pairs, NULL-terminated (or NULL) */
static int start_postmaster(const struct pgw_config *c, struct scratch *s,
			    const char *const *extra, char *err, size_t errlen)
{
	char postgres[PATH_MAX], data[PATH_MAX], sock[PATH_MAX + 32], port[32],
		log[PATH_MAX];
	const char *argv[40] = {postgres,
				"-D",
				data,
				"-c",
				"listen_addresses=",
				"-c",
				sock,
				"-c",
				port,
				"-c",
				"fsync=off",
				"-c",
				"max_connections=20",
				NULL};
	int fd, n = 13;

	for (; extra && *extra && n < 38; extra++) {
		argv[n++] = "-c";
		argv[n++] = *extra;
	}
	argv[n] = NULL;

	if (pg_bin(c, "postgres", postgres, sizeof(postgres)) < 0) {
		snprintf(err, errlen, "postgres not found");
		return -1;
	}
	fs_join(data, s->dir, "data");
	snprintf(sock, sizeof(sock), "unix_socket_directories=%s", s->dir);
	snprintf(port, sizeof(port), "port=%d", c->verify_cluster_port);
	fd = open(fs_join(log, s->dir, "postgres.log"),
		  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || child_start_io(&s->postmaster, argv, -1, fd, fd) < 0) {
		snprintf(err, errlen,
			 "unable to start the throwaway cluster: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	s->running = true;
	return 0;
}

/* s zeroed, and its own directory in scratch_parent (the prefix is what
 * scratch_cleanup() looks for after a crash). */
static int make_dir(const struct pgw_config *c, struct scratch *s, char *err,
		    size_t errlen)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s/%sXXXXXX", scratch_parent(c),
		 SCRATCH_DIR_PREFIX);
	if (!mkdtemp(s->dir)) {
		snprintf(err, errlen, "unable to create '%s': %s", s->dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int scratch_up(const struct restore_ctx *ctx, struct scratch *s, char *err,
	       size_t errlen)
{
	char data[PATH_MAX];
	int64_t deadline;

	if (make_dir(ctx->cfg, s, err, errlen) < 0)
		return -1;
	if (run_initdb(ctx->cfg, fs_join(data, s->dir, "data"), err, errlen) <
		    0 ||
	    start_postmaster(ctx->cfg, s, NULL, err, errlen) < 0) {
		scratch_down(s);
		return -1;
	}
	env_point(s, ctx->cfg->verify_cluster_port);
	deadline = tm_mono_ms() + 60000;
	while (pg_ping(ADMIN_DB, 2) != PQPING_OK) {
		if (tm_mono_ms() > deadline || child_poll(&s->postmaster) ||
		    restore_stopped(ctx)) {
			snprintf(err, errlen,
				 "the throwaway cluster did not start (see "
				 "%s/postgres.log)",
				 s->dir);
			s->running = s->postmaster.pid > 0;
			scratch_down(s);
			return -1;
		}
		tm_sleep_ms(100);
	}
	restore_newest_globals(ctx); /* roles first: OWNER TO needs them */
	log_msg(LOG_AUX, LOG_INFO, "throwaway cluster up in '%s'", s->dir);
	return 0;
}

/* pg_verifybackup -n: the files against the backup's own backup_manifest
 * (the WAL is not in it: the archive has it, and the replay reads it).
 * -1 it refuses them, -2 it is not there. */
static int verify_files(const struct pgw_config *c, const char *data, char *err,
			size_t errlen)
{
	char tool[PATH_MAX], why[512];
	const char *argv[] = {tool, "-n", "-q", data, NULL};

	if (pg_bin(c, "pg_verifybackup", tool, sizeof(tool)) < 0) {
		snprintf(err, errlen, "pg_verifybackup not found");
		return -2;
	}
	if (child_run(argv, NULL, 0, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "pg_verifybackup refuses it: %s", why);
		return -1;
	}
	return 0;
}

/* What the server needs to start from a copy of production: its own
 * pg_hba (trust, on the private socket only) and a postgresql.conf when
 * the production one lived outside PGDATA. */
static int drill_files(struct scratch *s, const char *data, char *hba_opt,
		       size_t cap)
{
	char path[PATH_MAX + 32];
	struct stat st;
	const char *hba = "local all all trust\n";

	snprintf(hba_opt, cap, "hba_file=%s/pg_hba.drill.conf", s->dir);
	if (fs_write_atomic(s->dir, "pg_hba.drill.conf", hba, strlen(hba)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/postgresql.conf", data);
	if (stat(path, &st) < 0 &&
	    fs_write_atomic(data, "postgresql.conf", "", 0) < 0)
		return -1;
	return 0;
}

/* Up once it accepts connections, which it does only after the replay
 * and the promotion (hot_standby off). */
static int wait_promoted(const struct restore_ctx *ctx, struct scratch *s,
			 char *err, size_t errlen)
{
	char log[PATH_MAX];
	int64_t seen = -1, moved = tm_mono_ms();

	fs_join(log, s->dir, "postgres.log");
	while (pg_ping(ADMIN_DB, 2) != PQPING_OK) {
		int64_t size = fs_size(s->dir, "postgres.log");
		if (size != seen) {
			seen = size;
			moved = tm_mono_ms();
		}
		if (tm_mono_ms() - moved > ctx->cfg->server_wait * 1000LL ||
		    child_poll(&s->postmaster) || restore_stopped(ctx)) {
			snprintf(err, errlen,
				 "the base backup did not recover to a running "
				 "server (see %s)",
				 log);
			return -1;
		}
		tm_sleep_ms(200);
	}
	return 0;
}

int scratch_up_from_base(const struct restore_ctx *ctx, struct scratch *s,
			 const struct base_entry *b, bool *damaged, char *err,
			 size_t errlen)
{
	char data[PATH_MAX], fetch[2 * PATH_MAX + 96], hba[PATH_MAX + 64];
	const char *extra[] = {"archive_mode=off",
			       "hot_standby=off",
			       hba,
			       "shared_buffers=32MB",
			       "logging_collector=off",
			       "log_destination=stderr",
			       NULL};
	int rc;

	*damaged = false;
	if (make_dir(ctx->cfg, s, err, errlen) < 0)
		return -1;
	fs_join(data, s->dir, "data");
	rc = baselay_extract(ctx->cfg->backup_dir, b->file, ctx->key, data,
			     NULL, NULL, err, errlen);
	if (rc == 0)
		rc = verify_files(ctx->cfg, data, err, errlen);
	if (rc < 0) {
		*damaged = rc == -1; /* -2: the disk's or a tool's fault */
		scratch_down(s);
		return -1;
	}
	if (daemon_tool_command(ctx->daemon, "wal-fetch %f %p", fetch,
				sizeof(fetch)) < 0 ||
	    baselay_recovery_settings(data, fetch, err, errlen) < 0 ||
	    drill_files(s, data, hba, sizeof(hba)) < 0 ||
	    start_postmaster(ctx->cfg, s, extra, err, errlen) < 0) {
		if (!err[0])
			snprintf(err, errlen, "unable to prepare the drill: %s",
				 strerror(errno));
		scratch_down(s);
		return -1;
	}
	env_point(s, ctx->cfg->verify_cluster_port);
	if (wait_promoted(ctx, s, err, errlen) < 0) {
		s->running = s->postmaster.pid > 0;
		scratch_down(s);
		return -1;
	}
	log_msg(LOG_AUX, LOG_INFO,
		"base backup '%s' recovered in the throwaway cluster '%s'",
		b->file, s->dir);
	return 0;
}

void scratch_down(struct scratch *s)
{
	if (s->running) {
		env_restore(s);
		child_kill(&s->postmaster, 10000);
		s->running = false;
	}
	if (s->dir[0]) {
		rm_tree(s->dir);
		s->dir[0] = '\0';
	}
}

void scratch_cleanup(const struct pgw_config *c)
{
	const char *parent = scratch_parent(c);
	DIR *d = opendir(parent);
	struct dirent *e;
	char path[PATH_MAX], *pid;
	bool was_running;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, SCRATCH_DIR_PREFIX,
			    strlen(SCRATCH_DIR_PREFIX)) != 0)
			continue;
		fs_join(path, parent, e->d_name);
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
			 "/data");
		pid = fs_read_small(path, "postmaster.pid", 64, NULL);
		was_running =
			pid && atoi(pid) > 0 && kill(atoi(pid), SIGQUIT) == 0;
		free(pid); /* SIGQUIT: its data is throwaway */
		fs_join(path, parent, e->d_name);
		tm_sleep_ms(was_running ? 500 : 0);
		rm_tree(path);
		log_msg(LOG_AUX, LOG_WARNING,
			"removed '%s' left by an interrupted drill", path);
	}
	closedir(d);
}
