#include "bootstrap.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alert.h"
#include "child.h"
#include "fs.h"
#include "log.h"
#include "pgenv.h"

/* Nothing in it but what a fresh volume brings. */
static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return errno == ENOENT;
	while (empty && (de = readdir(d)) != NULL)
		empty = strcmp(de->d_name, ".") == 0 ||
			strcmp(de->d_name, "..") == 0 ||
			strcmp(de->d_name, "lost+found") == 0;
	closedir(d);
	return empty;
}

static bool has_auth_option(const char *opts)
{
	return strstr(opts, "-A ") || strstr(opts, "-A") == opts ||
	       strstr(opts, "--auth");
}

int cluster_initdb(const struct daemon *d, char *why, size_t whylen)
{
	char initdb[PATH_MAX], opts[CFG_STR_MAX], pwfile[PATH_MAX + 16];
	const char *argv[64];
	bool secured = d->cfg.password_file[0] &&
		       !has_auth_option(d->cfg.initdb_options);
	int n = 0;

	if (pg_bin(&d->cfg, "initdb", initdb, sizeof(initdb)) < 0) {
		snprintf(why, whylen, "initdb not found");
		return -1;
	}
	argv[n++] = initdb;
	argv[n++] = "-D";
	argv[n++] = d->cfg.pgdata;
	snprintf(opts, sizeof(opts), "%s", d->cfg.initdb_options);
	/* room for the three options of ours below */
	if (child_split_words(opts, argv, &n, 60) < 0) {
		snprintf(why, whylen, "initdb_options has too many words");
		return -1;
	}
	if (secured) {
		argv[n++] = "--auth-local=peer";
		argv[n++] = "--auth-host=scram-sha-256";
	}
	if (d->cfg.password_file[0]) {
		/* initdb reads the password from the file: never in argv */
		snprintf(pwfile, sizeof(pwfile), "--pwfile=%s",
			 d->cfg.password_file);
		argv[n++] = pwfile;
	}
	argv[n] = NULL;
	if (child_run(argv, NULL, 0, why, whylen) < 0)
		return -1;
	return secured ? cluster_open_to_network(d, why, whylen) : 0;
}

/* Every address, by password only: what an application pod needs, and
 * what it must not get without the password. */
int cluster_open_to_network(const struct daemon *d, char *why, size_t whylen)
{
	static const char hba[] = "\n# pgwarden: other pods, by password\n"
				  "host all all all scram-sha-256\n";
	static const char conf[] = "\n# pgwarden: reachable from other pods "
				   "(pg_hba.conf: scram-sha-256 only)\n"
				   "listen_addresses = '*'\n";
	char path[PATH_MAX];
	FILE *f;

	if (!(f = fopen(fs_join(path, d->cfg.pgdata, "pg_hba.conf"), "a")) ||
	    fputs(hba, f) < 0 || fclose(f) != 0 ||
	    !(f = fopen(fs_join(path, d->cfg.pgdata, "postgresql.conf"),
			"a")) ||
	    fputs(conf, f) < 0 || fclose(f) != 0) {
		snprintf(why, whylen, "unable to write '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* 0700, or 0750 kept: postgres refuses anything wider. */
static void fix_mode(const char *pgdata)
{
	struct stat st;
	mode_t want;

	if (stat(pgdata, &st) < 0 || (st.st_mode & 027) == 0)
		return;
	want = st.st_mode & 0750;
	if (chmod(pgdata, want) == 0)
		log_info("'%s' was mode %04o: set to %04o so that postgres "
			 "starts",
			 pgdata, st.st_mode & 07777, want);
	else
		log_error("unable to chmod '%s': %s", pgdata, strerror(errno));
}

static int first_start(const struct daemon *d)
{
	char why[512], msg[PATH_MAX + 128];

	log_info("'%s' is empty: a first start, initialising a new cluster",
		 d->cfg.pgdata);
	if (mkdir(d->cfg.pgdata, 0700) < 0 && errno != EEXIST) {
		log_error("unable to create '%s': %s", d->cfg.pgdata,
			  strerror(errno));
		return -1;
	}
	if (cluster_initdb(d, why, sizeof(why)) < 0) {
		log_error("initdb of a new cluster failed: %s", why);
		alert_emit(ALERT_CRITICAL, "bootstrap-failed",
			   "Database Server - CRITICAL",
			   "A new cluster could not be initialised", why);
		return -1;
	}
	snprintf(msg, sizeof(msg),
		 "A new cluster was initialised in '%s' (first start)%s",
		 d->cfg.pgdata,
		 d->cfg.password_file[0] ? ""
					 : "; no password_file: local trust "
					   "as initdb_options say");
	alert_emit(ALERT_INFO, "cluster-bootstrap", "Database Server", msg,
		   NULL);
	return 0;
}

/* The major version postgres says it is ("postgres (PostgreSQL) 17.2"):
 * 0 when it cannot be told. */
static int server_major(const struct daemon *d)
{
	char postgres[PATH_MAX], out[256], why[256];
	const char *argv[] = {postgres, "--version", NULL};
	const char *p;

	if (pg_bin(&d->cfg, "postgres", postgres, sizeof(postgres)) < 0 ||
	    child_run(argv, out, sizeof(out), why, sizeof(why)) < 0 ||
	    !(p = strstr(out, ") ")))
		return 0;
	return atoi(p + 2);
}

/* A data directory of another major version is somebody's database, not
 * damage: postgres cannot start it, and re-initialising it (what a
 * failing start leads to) would lose it. pgwarden-db refuses to start it
 * instead, once told, until the image matches (docs/KUBERNETES.md). */
static int check_major(const struct daemon *d)
{
	static int binary;
	static bool told;
	char msg[PATH_MAX + 256];
	char *text = fs_read_small(d->cfg.pgdata, "PG_VERSION", 16, NULL);
	int data = text ? atoi(text) : 0;

	free(text);
	if (data && !binary)
		binary = server_major(d);
	if (!data || !binary || data == binary) {
		told = false;
		return 0;
	}
	if (!told) {
		snprintf(msg, sizeof(msg),
			 "The data directory '%s' is PostgreSQL %d and this "
			 "image's server is PostgreSQL %d: it is not started "
			 "and never re-initialised. Run an image of major %d, "
			 "or upgrade the data (pg_upgrade)",
			 d->cfg.pgdata, data, binary, data);
		log_error("%s", msg);
		alert_emit(ALERT_CRITICAL, "server-major-mismatch",
			   "Database Server - CRITICAL", msg, NULL);
		told = true;
	}
	return -1;
}

int cluster_prepare(const struct daemon *d)
{
	if (fs_size(d->cfg.pgdata, "PG_VERSION") < 0 &&
	    dir_empty(d->cfg.pgdata) && first_start(d) < 0)
		return -1;
	if (check_major(d) < 0)
		return -1;
	fix_mode(d->cfg.pgdata);
	return 0;
}
