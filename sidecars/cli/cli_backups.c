/* pgwarden list-backups / pgwarden restore: operator commands that only
 * read the backups directory and write a request file; the restorer does
 * the work. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bfile.h"
#include "catalog.h"
#include "cli.h"
#include "exitcode.h"
#include "fs.h"
#include "manifest.h"
#include "pg.h"
#include "proto.h"
#include "tm.h"

int cli_list_backups(int argc, char **argv)
{
	struct pgw_config c;
	struct catalog_entry *list;
	char when[TM_ISO_LEN];
	int n;

	cli_load_config(&argc, argv, &c);
	n = catalog_scan(c.backup_dir, &list);
	if (n < 0) {
		fprintf(stderr, "pgwarden: unable to read '%s': %s\n",
			c.backup_dir, strerror(errno));
		return PGW_EXIT_FAILURE;
	}
	printf("%-52s %-20s %-10s %10s %s\n", "FILE", "TAKEN (UTC)", "STATUS",
	       "SIZE_MIB", "DATABASE");
	for (int i = 0; i < n; i++)
		printf("%-52s %-20s %-10s %10.1f %s\n", list[i].file,
		       tm_iso(list[i].name.when, when),
		       list[i].has_manifest ? list[i].status : "no-manifest",
		       (double)list[i].size / 1048576.0,
		       list[i].name.kind == BACKUP_GLOBALS
			       ? "(globals)"
			       : list[i].name.database);
	free(list);
	return PGW_EXIT_OK;
}

static const char *newest_valid(const struct pgw_config *c,
				struct catalog_entry *list, int n,
				struct manifest *m)
{
	char err[512];

	for (int i = 0; i < n; i++)
		if (list[i].name.kind == BACKUP_DATABASE &&
		    strcmp(list[i].name.database, pg_target_db(c)) == 0 &&
		    manifest_load_named(c->backup_dir, list[i].file, m, err,
					sizeof(err)) == 0)
			return list[i].file;
	return NULL;
}

int cli_restore(int argc, char **argv)
{
	struct pgw_config c;
	struct manifest m = {0};
	struct catalog_entry *list = NULL;
	const char *file = NULL;
	char err[512], req[512];
	int dry = 0, n;

	cli_load_config(&argc, argv, &c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry = 1;
		else if (strcmp(argv[i], "--backup") == 0 && i + 1 < argc)
			file = argv[++i];
		else {
			fprintf(stderr,
				"pgwarden restore: unknown option '%s'\n",
				argv[i]);
			return PGW_EXIT_USAGE;
		}
	}
	if (file &&
	    manifest_load_named(c.backup_dir, file, &m, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"pgwarden restore: refused: %s; nothing was touched\n",
			err);
		return PGW_EXIT_FAILURE;
	}
	if (!file) {
		n = catalog_scan(c.backup_dir, &list);
		file = n > 0 ? newest_valid(&c, list, n, &m) : NULL;
	}
	printf("plan: restore database '%s' from %s\n", pg_target_db(&c),
	       file ? file
		    : "(no valid backup: fresh schema from init scripts + "
		      "migrations)");
	if (file)
		printf("  backup: %d tables, %lld rows, taken %s, sha256 "
		       "%.16s... verified now\n",
		       m.tables, (long long)m.rows_total, m.finished, m.sha256);
	printf("  steps: recovery-in-progress, temporary database, restore, "
	       "verify against the\n"
	       "         manifest, rename '%s' aside (kept), swap in, "
	       "re-enable connections\n",
	       pg_target_db(&c));
	if (dry) {
		printf("dry run: nothing requested\n");
	} else {
		snprintf(req, sizeof(req),
			 "%s%s%sreason=manual (pgwarden restore)\n",
			 file ? "backup=" : "", file ? file : "",
			 file ? "\n" : "");
		if (proto_request_write(c.backup_dir, PROTO_REQ_RESTORE, req) <
		    0) {
			fprintf(stderr,
				"pgwarden restore: unable to write the "
				"request: %s\n",
				strerror(errno));
			manifest_free(&m);
			free(list);
			return PGW_EXIT_FAILURE;
		}
		printf("requested: follow %s/recovery.log\n", c.backup_dir);
	}
	manifest_free(&m);
	free(list);
	return PGW_EXIT_OK;
}

static int write_stdout(void *arg, const void *data, size_t len)
{
	(void)arg;
	return fs_write_all(STDOUT_FILENO, data, len);
}

/* The SQL of one backup on stdout, decrypted and decompressed, for an
 * operator's own `| psql`. Only names inside the backups directory. */
int cli_cat_backup(int argc, char **argv)
{
	struct pgw_config c;
	struct backup_name bn;
	char err[512];
	int rc;

	cli_load_config(&argc, argv, &c);
	if (argc != 2 || proto_backup_parse(argv[1], &bn) < 0) {
		fprintf(stderr, "usage: pgwarden cat-backup FILE  (a backup's "
				"name in the backups directory)\n");
		return PGW_EXIT_USAGE;
	}
	rc = bfile_read(c.backup_dir, argv[1], c.encrypt ? &c.key : NULL,
			write_stdout, NULL, NULL, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "pgwarden: '%s': %s\n", argv[1], err);
		return PGW_EXIT_FAILURE;
	}
	return PGW_EXIT_OK;
}
