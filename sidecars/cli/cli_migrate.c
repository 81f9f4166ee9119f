#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "migrate.h"
#include "pg.h"

int cli_migrate(int argc, char **argv)
{
	struct pgw_config c;
	char err[1024];
	PGconn *conn;
	int init = 0, n = 0, applied;

	cli_load_config(&argc, argv, &c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--init") == 0) {
			init = 1;
		} else {
			fprintf(stderr,
				"pgwarden migrate: unknown option '%s'\n",
				argv[i]);
			return PGW_EXIT_USAGE;
		}
	}
	conn = pg_connect(pg_target_db(&c), 10, 0, err, sizeof(err));
	if (!conn) {
		fprintf(stderr, "pgwarden migrate: unable to connect: %s\n",
			err);
		pg_auth_cleanup();
		return PGW_EXIT_DATABASE;
	}
	if (init &&
	    (n = migrate_run_init(conn, c.init_dir, err, sizeof(err))) < 0) {
		fprintf(stderr, "pgwarden migrate: %s\n", err);
		PQfinish(conn);
		pg_auth_cleanup();
		return PGW_EXIT_FAILURE;
	}
	applied = migrate_apply(conn, c.migrations_dir, c.migrations_table, err,
				sizeof(err));
	PQfinish(conn);
	pg_auth_cleanup();
	if (applied < 0) {
		fprintf(stderr, "pgwarden migrate: %s\n", err);
		return PGW_EXIT_FAILURE;
	}
	printf("%d init script(s), %d migration(s) applied to '%s'\n", n,
	       applied, pg_target_db(&c));
	return PGW_EXIT_OK;
}
