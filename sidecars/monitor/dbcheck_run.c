#include "dbcheck_run.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "child.h"
#include "pgenv.h"

static const char *dbcheck_path(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		snprintf(path, sizeof(path), "pgwarden-dbcheck");
		return path;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, sizeof(path), "%s/pgwarden-dbcheck", self);
	return path;
}

int dbcheck_run(const struct pgw_config *c, struct dbcheck_result *r)
{
	char out[2048], why[512] = "", timeout[16];
	const char *argv[] = {dbcheck_path(),	 "check",
			      pg_target_db(c),	 timeout,
			      c->migrations_dir, c->migrations_table,
			      c->heartbeat,	 NULL};

	snprintf(timeout, sizeof(timeout), "%d", c->check_timeout);
	/* ping, connect and three queries, each bounded by check_timeout */
	if (child_run_for(argv, out, sizeof(out),
			  c->check_timeout * 5000 + 2000, why,
			  sizeof(why)) < 0 ||
	    dbcheck_result_parse(out, r) < 0) {
		dbcheck_result_clear(r);
		/* killed for time: the server did not answer within the
		 * pgwarden-dbcheck's own timeouts; anything else is pgwarden's
		 * fault */
		r->cls = strstr(why, "timed out") ? CHECK_DOWN : CHECK_PROBE;
		snprintf(r->what, sizeof(r->what), "health probe failed: %s",
			 why[0] ? why : "no result in its output");
		return -1;
	}
	return 0;
}

int dbcheck_db_name(const struct pgw_config *c, long oid, char *name,
		    size_t cap)
{
	char oid_text[32], why[256];
	const char *argv[] = {dbcheck_path(), "dbname", pg_target_db(c),
			      oid_text, NULL};

	snprintf(oid_text, sizeof(oid_text), "%ld", oid);
	if (child_run_for(argv, name, cap, 6000, why, sizeof(why)) < 0)
		return -1;
	name[strcspn(name, "\n")] = '\0';
	return name[0] ? 0 : -1;
}

int dbcheck_restored(const struct pgw_config *c, const char *backup, char *why,
		     size_t cap)
{
	char timeout[16], cwhy[256];
	const char *argv[] = {dbcheck_path(),
			      "restored",
			      pg_target_db(c),
			      timeout,
			      c->backup_dir,
			      backup,
			      NULL};

	snprintf(timeout, sizeof(timeout), "%d", c->check_timeout);
	why[0] = '\0';
	if (child_run_for(argv, why, cap, c->check_timeout * 20000 + 2000, cwhy,
			  sizeof(cwhy)) == 0)
		return 0;
	why[strcspn(why, "\n")] = '\0';
	if (!why[0])
		snprintf(why, cap, "%s", cwhy);
	return -1;
}
