/* pgwarden: the operator's command line, meant for kubectl exec. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "exitcode.h"
#include "log.h"

static const struct cli_command commands[] = {
	{"status",
	 "[--json] [--check] [--alive SIDECAR]  health, backups, recovery, "
	 "alerts, space; --check exits 7 when something needs attention",
	 cli_status},
	{"migrate",
	 "[--init]  apply init scripts (--init) and pending migrations",
	 cli_migrate},
	{"list-backups",
	 "[--json]  list backups with their manifest status, newest first",
	 cli_list_backups},
	{"cat-backup",
	 "FILE      a backup's SQL on stdout, decrypted and decompressed",
	 cli_cat_backup},
	{"restore",
	 "[--backup FILE] [--dry-run] [--yes]  check, then request a recovery "
	 "(asks first on a terminal)",
	 cli_restore},
	{"alert",
	 "[--details TEXT] SEVERITY EVENT MESSAGE  write an alert file (the "
	 "monitor delivers it)",
	 cli_alert},
	{"pause",
	 "[--for DURATION] [--reason TEXT]  maintenance: no restarts, "
	 "recoveries or scheduled jobs until resume (alert past DURATION, "
	 "1h)",
	 cli_pause},
	{"resume", "    end a pause", cli_resume},
	{"reinit",
	 "[--force [--yes]] [--reason TEXT]  ask pgwarden-db to move PGDATA "
	 "aside and initialise a new cluster; --force (with a typed "
	 "confirmation) even while the server answers",
	 cli_reinit},
	{"wal-push",
	 "PATH [NAME]  archive one WAL file (the server's archive_command, "
	 "set by pgwarden-db)",
	 cli_wal_push},
	{"wal-fetch",
	 "NAME DEST  restore one archived WAL file (restore_command); exit 1 "
	 "when absent, 126 when damaged",
	 cli_wal_fetch},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: pgwarden COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nconfiguration: as the sidecars (--config FILE, "
		   "$PGWARDEN_CONFIG, environment)\n");
}

int main(int argc, char **argv)
{
	log_init("pgwarden");
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("pgwarden %s\n", PGW_VERSION);
		return PGW_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? PGW_EXIT_USAGE : PGW_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "pgwarden: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return PGW_EXIT_USAGE;
}
