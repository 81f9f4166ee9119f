#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "crypt.h"
#include "exitcode.h"
#include "log.h"
#include "manifest_auth.h"
#include "pg.h"

/* The CLI checks manifests' signatures with the backups' key: held here
 * for the life of the command, wiped at exit. */
static struct crypt_key key;
static bool have_key;

static void wipe_key(void)
{
	crypt_key_wipe(&key);
}

const struct crypt_key *cli_key(void)
{
	return have_key ? &key : NULL;
}

void cli_load_config(int *argc, char **argv, struct pgw_config *c)
{
	const char *path = NULL;
	int have;
	char err[CFG_ERR_MAX];
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < *argc)
			path = argv[++i];
		else
			argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
	if (cfg_load(path, c, NULL, err, sizeof(err)) < 0 ||
	    (have = crypt_key_configured(c->encryption_key_file, &key, err,
					 sizeof(err))) < 0)
		fatalx(PGW_EXIT_CONFIG, "configuration error: %s", err);
	have_key = have == 1;
	atexit(wipe_key);
	manifest_auth_key(cli_key());
	log_set_level(LOG_WARNING);
	if (pg_auth_setup(c, err, sizeof(err)) < 0)
		fatalx(PGW_EXIT_CONFIG, "configuration error: %s", err);
}

void cli_require_backup_dir(const struct pgw_config *c)
{
	struct stat st;
	const char *why = NULL;

	if (stat(c->backup_dir, &st) < 0)
		why = errno == ENOENT ? "does not exist" : strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "is not a directory";
	if (why)
		fatalx(PGW_EXIT_BACKUP_DIR,
		       "backups directory '%s' %s (set PGWARDEN_BACKUP_DIR or "
		       "backup_dir in the config; locally, source run/env)",
		       c->backup_dir, why);
	if (geteuid() != 0 || st.st_uid == 0)
		return;
	if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 ||
	    setuid(st.st_uid) < 0)
		fatalx(PGW_EXIT_BACKUP_DIR,
		       "unable to act as uid %d, the owner of '%s': %s",
		       (int)st.st_uid, c->backup_dir, strerror(errno));
}
