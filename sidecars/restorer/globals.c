/* globals.c - roles and tablespaces back (globals.h). */
#include "globals.h"

#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "dbadmin.h"
#include "log.h"

int globals_newest_valid(const struct restore_ctx *ctx, struct manifest *m)
{
	const char *dir = ctx->cfg->backup_dir;
	struct catalog_target t = {BACKUP_GLOBALS, NULL, NULL};
	struct catalog_entry *list;
	int n = catalog_scan(dir, &list), i;
	char err[512];

	i = catalog_choose(dir, list, n, 0, &t, m, err, sizeof(err));
	free(list);
	return i < 0 ? -1 : 0;
}

int restore_newest_globals(const struct restore_ctx *ctx)
{
	struct manifest m;
	char err[512];
	int rc;

	if (globals_newest_valid(ctx, &m) < 0)
		return -1;
	rc = restore_into(ctx, m.file, m.uncompressed_size, ADMIN_DB, 0, NULL,
			  err, sizeof(err));
	if (rc == 0)
		log_info("globals restored from '%s'", m.file);
	else
		log_error("restore of the globals '%s' failed: %s", m.file,
			  err);
	manifest_free(&m);
	return rc;
}
