/* pgwarden-dbcheck: the monitor's libpq work in a short-lived process (see
 * check.h). Not for people: the monitor runs it.
 *   pgwarden-dbcheck check DB TIMEOUT_S MIGRATIONS_DIR MIGRATIONS_TABLE
 *                        HEARTBEAT (database | off)
 *   pgwarden-dbcheck dbname DB OID      the name of database OID (via DB)
 *   pgwarden-dbcheck restored DB TIMEOUT_S DIR BACKUP
 *                        DB holds what BACKUP's manifest promised
 *                        (restored.h); the reason on stdout when not
 * Exit 0 when it could answer, 1 when not, 3 on bad arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "restored.h"
#include "exitcode.h"
#include "pg.h"

static int db_name(const char *via, const char *oid_text)
{
	char sql[96], name[128], err[512];
	char *end;
	long oid = strtol(oid_text, &end, 10);
	PGconn *c;
	int rc;

	if (*end || oid <= 0)
		return PGW_EXIT_USAGE;
	c = pg_connect(via, 2, 2, err, sizeof(err));
	if (!c)
		return PGW_EXIT_FAILURE;
	snprintf(sql, sizeof(sql),
		 "SELECT datname FROM pg_database WHERE oid = %ld", oid);
	rc = pg_value(c, sql, name, sizeof(name), err, sizeof(err));
	PQfinish(c);
	if (rc < 0 || !name[0])
		return PGW_EXIT_FAILURE;
	printf("%s\n", name);
	return PGW_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "check") == 0) {
		struct check_args a = {argv[2], atoi(argv[3]), argv[4], argv[5],
				       argv[6]};
		struct dbcheck_result o;
		if (a.timeout_s <= 0 || (strcmp(a.heartbeat, "database") != 0 &&
					 strcmp(a.heartbeat, "off") != 0))
			return PGW_EXIT_USAGE;
		check_run(&a, &o);
		dbcheck_result_print(&o, stdout);
		return PGW_EXIT_OK;
	}
	if (argc == 6 && strcmp(argv[1], "restored") == 0) {
		char why[512];
		if (atoi(argv[3]) <= 0)
			return PGW_EXIT_USAGE;
		if (restored_check(argv[2], atoi(argv[3]), argv[4], argv[5],
				   why, sizeof(why)) == 0)
			return PGW_EXIT_OK;
		printf("%s\n", why);
		return PGW_EXIT_FAILURE;
	}
	if (argc == 4 && strcmp(argv[1], "dbname") == 0)
		return db_name(argv[2], argv[3]);
	fprintf(stderr, "usage: pgwarden-dbcheck check DB TIMEOUT_S "
			"MIGRATIONS_DIR MIGRATIONS_TABLE HEARTBEAT | dbname DB "
			"OID\n");
	return PGW_EXIT_USAGE;
}
