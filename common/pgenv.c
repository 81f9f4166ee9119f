#include "pgenv.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "child.h"
#include "fs.h"
#include "log.h"
#include "secret.h"

static char pgpass_dir[PATH_MAX];

/* pgpass escaping: ':' and '\' are backslash-escaped */
static void pgpass_escape(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in && o + 2 < cap; in++) {
		if (*in == ':' || *in == '\\')
			out[o++] = '\\';
		out[o++] = *in;
	}
	out[o] = '\0';
}

static int write_pgpass(const char *password, char *err, size_t errlen)
{
	char line[2048], esc[1024], tmpl[] = "/tmp/pgwarden-auth-XXXXXX";
	const char *tmpdir = getenv("TMPDIR");

	if (tmpdir && *tmpdir)
		snprintf(pgpass_dir, sizeof(pgpass_dir),
			 "%s/pgwarden-auth-XXXXXX", tmpdir);
	else
		snprintf(pgpass_dir, sizeof(pgpass_dir), "%s", tmpl);
	if (!mkdtemp(pgpass_dir)) {
		snprintf(err, errlen,
			 "unable to create a private directory for the pgpass "
			 "file: %s",
			 strerror(errno));
		pgpass_dir[0] = '\0';
		return -1;
	}
	pgpass_escape(password, esc, sizeof(esc));
	snprintf(line, sizeof(line), "*:*:*:*:%s\n", esc);
	if (fs_write_atomic(pgpass_dir, "pgpass", line, strlen(line)) < 0) {
		snprintf(err, errlen, "unable to write the pgpass file");
		return -1;
	}
	snprintf(line, sizeof(line), "%s/pgpass", pgpass_dir);
	setenv("PGPASSFILE", line, 1);
	return 0;
}

int pg_auth_setup(const struct pgw_config *c, char *err, size_t errlen)
{
	char pw[1024];
	int rc = 0;

	if (secret_read(c->password_file, "PGPASSWORD", "password file", 0, pw,
			sizeof(pw), err, errlen) < 0)
		return -1;
	if (pw[0]) {
		rc = write_pgpass(pw, err, errlen);
		unsetenv("PGPASSWORD");
	}
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

void pg_auth_cleanup(void)
{
	char path[PATH_MAX];

	if (!pgpass_dir[0])
		return;
	unlink(fs_join(path, pgpass_dir, "pgpass"));
	rmdir(pgpass_dir);
	pgpass_dir[0] = '\0';
}

const char *pg_target_db(const struct pgw_config *c)
{
	const char *e;

	if (c->database[0])
		return c->database;
	if ((e = getenv("PGDATABASE")) && *e)
		return e;
	if ((e = getenv("PGUSER")) && *e)
		return e;
	return "postgres";
}

void pg_conninfo_dbname(const char *db, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "dbname='");

	for (; *db && o + 3 < cap; db++) {
		if (*db == '\'' || *db == '\\')
			out[o++] = '\\';
		out[o++] = *db;
	}
	snprintf(out + o, cap - o, "'");
}

static int newest_lib_bindir(char *out, size_t cap)
{
	DIR *d = opendir("/usr/lib/postgresql");
	struct dirent *e;
	long best = -1;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (end != e->d_name && *end == '\0' && v > best)
			best = v;
	}
	closedir(d);
	if (best < 0)
		return -1;
	snprintf(out, cap, "/usr/lib/postgresql/%ld/bin", best);
	return 0;
}

static int find_bindir(const struct pgw_config *c, char *out, size_t cap)
{
	static char cached[PATH_MAX];
	char why[256];
	const char *argv[] = {"/usr/bin/pg_config", "--bindir", NULL};

	if (c && c->pg_bindir[0]) {
		snprintf(out, cap, "%s", c->pg_bindir);
		return 0;
	}
	if (!cached[0]) {
		if (access(argv[0], X_OK) == 0 &&
		    child_run(argv, cached, sizeof(cached), why, sizeof(why)) ==
			    0)
			cached[strcspn(cached, "\n")] = '\0';
		else
			cached[0] = '\0';
		if (!cached[0] && newest_lib_bindir(cached, sizeof(cached)) < 0)
			snprintf(cached, sizeof(cached), "/usr/bin");
	}
	snprintf(out, cap, "%s", cached);
	return 0;
}

int pg_bin(const struct pgw_config *c, const char *prog, char *out, size_t cap)
{
	char dir[PATH_MAX];

	find_bindir(c, dir, sizeof(dir));
	snprintf(out, cap, "%s/%s", dir, prog);
	if (access(out, X_OK) < 0) {
		int e = errno;
		log_error("unable to find '%s' in '%s': %s", prog, dir,
			  strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}
