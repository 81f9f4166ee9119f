/* pgwarden pause [--for DURATION] [--reason TEXT] / pgwarden resume: the
 * maintenance mode of common/pause.h. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "pause.h"
#include "tm.h"

static int usage(void)
{
	fprintf(stderr, "usage: pgwarden pause [--for DURATION] [--reason "
			"TEXT]\n       pgwarden resume\n");
	return PGW_EXIT_USAGE;
}

int cli_pause(int argc, char **argv)
{
	struct pgw_config c;
	const char *reason = "maintenance";
	long secs = 3600;
	char h[TM_ISO_LEN];

	cli_load_config(&argc, argv, &c);
	cli_require_backup_dir(&c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--for") == 0 && i + 1 < argc)
			secs = tm_parse_duration(argv[++i]);
		else if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc &&
			 strlen(argv[i + 1]) < 190 &&
			 !strpbrk(argv[i + 1], "\r\n"))
			reason = argv[++i];
		else
			return usage();
	}
	if (secs <= 0)
		return usage();
	if (pause_write(c.backup_dir, tm_now() + secs, reason) < 0) {
		perror("pgwarden pause");
		return PGW_EXIT_FAILURE;
	}
	printf("paused until %s: no server restarts, no recoveries, no "
	       "scheduled backups or drills.\nThe pause does not end by "
	       "itself: run 'pgwarden resume' (an alert fires when it is "
	       "overdue).\n",
	       tm_human(tm_now() + secs, h));
	return PGW_EXIT_OK;
}

int cli_resume(int argc, char **argv)
{
	struct pgw_config c;

	cli_load_config(&argc, argv, &c);
	cli_require_backup_dir(&c);
	if (argc != 1)
		return usage();
	if (!pause_active(c.backup_dir)) {
		printf("not paused\n");
		return PGW_EXIT_OK;
	}
	if (pause_clear(c.backup_dir) < 0) {
		perror("pgwarden resume");
		return PGW_EXIT_FAILURE;
	}
	printf("resumed: pgwarden acts on its own again\n");
	return PGW_EXIT_OK;
}
