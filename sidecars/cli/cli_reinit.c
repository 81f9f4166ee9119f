/* pgwarden reinit: ask pgwarden-db to move PGDATA aside and initialise a
 * new cluster. pgwarden-db refuses a re-init while the server runs and
 * answers, unless the request says force=yes; this command is the one that
 * writes it, and only after the operator typed the confirmation. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "proto.h"
#include "server_status.h"

#define CONFIRM_WORD "reinit"

static int usage(void)
{
	fprintf(stderr, "usage: pgwarden reinit [--force [--yes]] [--reason "
			"TEXT]\n");
	return PGW_EXIT_USAGE;
}

/* "reinit <pgdata>" typed on stdin; --yes is for scripts that already
 * asked. */
static bool confirmed(const struct pgw_config *c)
{
	char want[PATH_MAX + 16], line[PATH_MAX + 16];

	snprintf(want, sizeof(want), CONFIRM_WORD " %s", c->pgdata);
	fprintf(stderr,
		"The server is asked to stop; PGDATA (%s) is moved aside, "
		"kept, "
		"and an empty cluster is initialised. The restorer then brings "
		"back what the backups hold: anything committed since the "
		"last backup is only in the moved-aside directory.\n"
		"Type '%s' to go on: ",
		c->pgdata, want);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, want) == 0;
}

/* A reason goes into a key=value line: one line of plain text. */
static bool reason_ok(const char *r)
{
	return strlen(r) < 200 && !strpbrk(r, "\r\n=");
}

int cli_reinit(int argc, char **argv)
{
	struct pgw_config c;
	const char *reason = "manual (pgwarden reinit)";
	bool force = false, yes = false;
	char req[512];
	struct server_info si;

	cli_load_config(&argc, argv, &c);
	cli_require_backup_dir(&c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = true;
		else if (strcmp(argv[i], "--yes") == 0)
			yes = true;
		else if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc &&
			 reason_ok(argv[i + 1]))
			reason = argv[++i];
		else
			return usage();
	}
	if (yes && !force)
		return usage();
	server_status_read(c.backup_dir, &si);
	printf("server state: %s\n", si.state[0] ? si.state : "unknown");
	if (force && !yes && !confirmed(&c)) {
		fprintf(stderr, "pgwarden reinit: not confirmed; nothing was "
				"requested\n");
		return PGW_EXIT_FAILURE;
	}
	snprintf(req, sizeof(req), "reason=%s\n%s", reason,
		 force ? "force=yes\n" : "");
	if (proto_request_write(c.backup_dir, PROTO_REQ_REINIT, req) < 0) {
		fprintf(stderr,
			"pgwarden reinit: unable to write the request: %s\n",
			strerror(errno));
		return PGW_EXIT_FAILURE;
	}
	printf("requested%s: follow %s/db-supervisor.log\n",
	       force ? " (force: even while the server answers)"
		     : " (refused while the server runs and answers)",
	       c.backup_dir);
	return PGW_EXIT_OK;
}
