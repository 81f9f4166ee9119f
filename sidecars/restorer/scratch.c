#include "scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "fs.h"
#include "globals.h"
#include "log.h"
#include "manifest.h"
#include "pg.h"
#include "tm.h"

static const char *parent_dir(const struct pgw_config *c)
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

static int start_postmaster(const struct pgw_config *c, struct scratch *s,
			    char *err, size_t errlen)
{
	char postgres[PATH_MAX], data[PATH_MAX], sock[PATH_MAX + 32], port[32],
		log[PATH_MAX];
	const char *argv[] = {postgres,
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
	int fd;

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

int scratch_up(const struct restore_ctx *ctx, struct scratch *s, char *err,
	       size_t errlen)
{
	char data[PATH_MAX];
	int64_t deadline;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s/%sXXXXXX", parent_dir(ctx->cfg),
		 SCRATCH_DIR_PREFIX);
	if (!mkdtemp(s->dir)) {
		snprintf(err, errlen, "unable to create '%s': %s", s->dir,
			 strerror(errno));
		return -1;
	}
	if (run_initdb(ctx->cfg, fs_join(data, s->dir, "data"), err, errlen) <
		    0 ||
	    start_postmaster(ctx->cfg, s, err, errlen) < 0) {
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
	const char *parent = parent_dir(c);
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
