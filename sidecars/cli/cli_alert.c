/* pgwarden alert: write an alert file by hand (a drill for the delivery
 * path: the monitor sends it like any other). */
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "cli.h"
#include "exitcode.h"

int cli_alert(int argc, char **argv)
{
	struct pgw_config c;
	const char *details = NULL;
	int sev, i = 1;

	cli_load_config(&argc, argv, &c);
	cli_require_backup_dir(&c);
	if (argc > 2 && strcmp(argv[1], "--details") == 0) {
		details = argv[2];
		i = 3;
	}
	if (argc - i != 3 || (sev = alert_severity_parse(argv[i])) < 0 ||
	    !argv[i + 1][0] ||
	    strspn(argv[i + 1], "abcdefghijklmnopqrstuvwxyz0123456789-") !=
		    strlen(argv[i + 1])) {
		fprintf(stderr,
			"usage: pgwarden alert [--details TEXT] SEVERITY EVENT "
			"MESSAGE\n  SEVERITY: critical|error|warning|success|"
			"info; EVENT: [a-z0-9-]+\n");
		return PGW_EXIT_USAGE;
	}
	struct alert_ctx ac = {c.backup_dir, "PostgreSQL Backup System",
			       c.environment, "cli"};
	alert_init(&ac);
	if (alert_emit((enum alert_severity)sev, argv[i + 1], "Manual Alert",
		       argv[i + 2], details) < 0)
		return PGW_EXIT_FAILURE;
	return PGW_EXIT_OK;
}
