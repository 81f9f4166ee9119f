/* cli.h - the pgwarden commands; each returns an exit code of exitcode.h. */
#ifndef PGW_CLI_H
#define PGW_CLI_H

#include "cfg.h"
#include "crypt.h"

struct cli_command {
	const char *name;
	const char *help;
	int (*run)(int argc, char **argv);
};

/* Load config like the sidecars (--config FILE among argv); exits 2. */
void cli_load_config(int *argc, char **argv, struct pgw_config *c);
/* The backups' key cli_load_config loaded, NULL when none is configured. */
const struct crypt_key *cli_key(void);
/* For the commands that read or write the backups directory: it must be
 * one (else exit 4, naming the variable that sets it). Run as root on a
 * directory another user owns (kubectl exec as root, the sidecars as
 * postgres), the CLI becomes that user, so what it writes, requests and
 * alerts, the sidecars can read. */
void cli_require_backup_dir(const struct pgw_config *c);

int cli_migrate(int argc, char **argv);
int cli_list_backups(int argc, char **argv);
int cli_cat_backup(int argc, char **argv);
int cli_restore(int argc, char **argv);
int cli_alert(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_reinit(int argc, char **argv);
int cli_pause(int argc, char **argv);
/* The pod's probes (cli_probes.c): exit 0 or PGW_EXIT_UNHEALTHY. */
int cli_probe_alive(const struct pgw_config *c, const char *sidecar);
int cli_probe_ready(const struct pgw_config *c);
int cli_resume(int argc, char **argv);
/* The server's archive_command and restore_command (cli_wal.c). */
int cli_wal_push(int argc, char **argv);
int cli_wal_fetch(int argc, char **argv);

#endif
