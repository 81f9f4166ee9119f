/* pgwarden list-backups / pgwarden restore: operator commands that only
 * read the backups directory and write a request file; the restorer does
 * the work. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basecat.h"
#include "bfile.h"
#include "catalog.h"
#include "cli.h"
#include "exitcode.h"
#include "fs.h"
#include "manifest.h"
#include "pg.h"
#include "proto.h"
#include "tm.h"
#include "walarchive.h"

static const char *db_of(const struct catalog_entry *e)
{
	return e->name.kind == BACKUP_GLOBALS ? "(globals)" : e->name.database;
}

static void list_table(const char *dir, const struct catalog_entry *list, int n)
{
	char when[TM_ISO_LEN], sz[32];

	printf("# backups in %s, newest first\n", dir);
	printf("%-52s %-20s %-10s %10s %s\n", "FILE", "TAKEN (UTC)", "STATUS",
	       "SIZE", "DATABASE");
	for (int i = 0; i < n; i++)
		printf("%-52s %-20s %-10s %10s %s%s\n", list[i].file,
		       tm_iso(list[i].taken, when),
		       list[i].has_manifest ? list[i].status : "no-manifest",
		       fs_human_size(list[i].size, sz, sizeof(sz)),
		       db_of(&list[i]),
		       list[i].future ? "  (future-dated)" : "");
}

/* Names are [A-Za-z0-9_.%-] (proto.h): nothing in them needs escaping. */
static void list_json(const struct catalog_entry *list, int n)
{
	char when[TM_ISO_LEN];

	printf("[");
	for (int i = 0; i < n; i++)
		printf("%s{\"file\":\"%s\",\"taken\":\"%s\",\"status\":"
		       "\"%s\",\"size\":%lld,\"kind\":\"%s\",\"database\":"
		       "\"%s\",\"future\":%s}",
		       i ? "," : "", list[i].file, tm_iso(list[i].taken, when),
		       list[i].has_manifest ? list[i].status : "no-manifest",
		       (long long)list[i].size,
		       list[i].name.kind == BACKUP_GLOBALS ? "globals"
							   : "database",
		       list[i].name.kind == BACKUP_GLOBALS
			       ? ""
			       : list[i].name.database,
		       list[i].future ? "true" : "false");
}

/* What a base backup can recover to: the end of its unbroken chain in the
 * archive (basecat_chain, the recovery's own rule), or why not. */
static void base_reach(const char *dir, const struct base_entry *b, char *out,
		       size_t cap)
{
	char archive[PATH_MAX], last[32], why[256];

	wal_archive_dir(archive, dir, b->cluster_id);
	if (!b->usable)
		snprintf(out, cap, "not usable");
	else if (basecat_chain(archive, b, cli_key(), last, sizeof(last), why,
			       sizeof(why)) == 0)
		snprintf(out, cap, "its end to segment %s and pg_wal", last);
	else
		snprintf(out, cap, "broken chain: %s", why);
}

static const char *rto_text(int64_t ms, char *out, size_t cap)
{
	if (ms > 0)
		snprintf(out, cap, "%.1fs", (double)ms / 1000);
	else
		snprintf(out, cap, "-");
	return out;
}

static void list_bases(const char *dir, bool json, bool first_json)
{
	struct base_entry *l;
	int n = basecat_scan(dir, &l);
	char when[TM_ISO_LEN], sz[32], reach[400], rto[16];

	if (!json && n > 0) {
		printf("\n# base backups (physical, docs/WAL.md), newest "
		       "first\n");
		printf("%-34s %-20s %-8s %10s %-9s %7s %s\n", "FILE",
		       "FINISHED (UTC)", "TIMELINE", "SIZE", "STATUS", "RTO",
		       "RECOVERS TO");
	}
	for (int i = 0; i < n; i++) {
		base_reach(dir, &l[i], reach, sizeof(reach));
		if (json)
			printf("%s{\"file\":\"%s\",\"taken\":\"%s\","
			       "\"status\":\"%s\",\"size\":%lld,\"kind\":"
			       "\"base\",\"timeline\":%u,\"wal_start\":\"%s\","
			       "\"restore_ms\":%lld,\"chain\":%s}",
			       i || !first_json ? "," : "", l[i].file,
			       tm_iso(l[i].finished, when),
			       l[i].usable ? l[i].status : "unusable",
			       (long long)l[i].size, l[i].timeline,
			       l[i].wal_start, (long long)l[i].restore_ms,
			       strncmp(reach, "its end", 7) == 0 ? "true"
								 : "false");
		else
			printf("%-34s %-20s %-8u %10s %-9s %7s %s\n", l[i].file,
			       tm_iso(l[i].finished, when), l[i].timeline,
			       fs_human_size(l[i].size, sz, sizeof(sz)),
			       l[i].usable ? l[i].status : "unusable",
			       rto_text(l[i].restore_ms, rto, sizeof(rto)),
			       reach);
	}
	free(l);
}

int cli_list_backups(int argc, char **argv)
{
	struct pgw_config c;
	struct catalog_entry *list;
	bool json = false;
	int n;

	cli_load_config(&argc, argv, &c);
	cli_require_backup_dir(&c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			fprintf(stderr,
				"pgwarden list-backups: unknown option "
				"'%s'\n",
				argv[i]);
			return PGW_EXIT_USAGE;
		}
	}
	n = catalog_scan(c.backup_dir, &list);
	if (n < 0) {
		fprintf(stderr, "pgwarden: unable to read '%s': %s\n",
			c.backup_dir, strerror(errno));
		return PGW_EXIT_FAILURE;
	}
	if (json)
		list_json(list, n);
	else
		list_table(c.backup_dir, list, n);
	list_bases(c.backup_dir, json, n == 0);
	if (json)
		printf("]\n");
	free(list);
	return PGW_EXIT_OK;
}

/* The restorer's own choice (catalog_choose), so that a dry run names
 * what a recovery would restore. */
static const char *newest_valid(const struct pgw_config *c,
				struct catalog_entry *list, int n,
				struct manifest *m)
{
	struct catalog_target t = {BACKUP_DATABASE, pg_target_db(c), NULL};
	char err[512];
	int i = catalog_choose(c->backup_dir, list, n, 0, &t, m, err,
			       sizeof(err));

	return i < 0 ? NULL : list[i].file;
}

/* On a terminal, a restore replaces the live database: ask first. */
static bool confirmed(void)
{
	char line[32];

	fprintf(stderr, "The live database is replaced (and kept aside as "
			"<db>_before_restore_<stamp>). Type 'yes' to go on: ");
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "yes") == 0;
}

int cli_restore(int argc, char **argv)
{
	struct pgw_config c;
	struct manifest m = {0};
	struct catalog_entry *list = NULL;
	const char *file = NULL;
	char err[512], req[512];
	int dry = 0, yes = 0, n;

	cli_load_config(&argc, argv, &c);
	cli_require_backup_dir(&c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry = 1;
		else if (strcmp(argv[i], "--yes") == 0)
			yes = 1;
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
	printf("plan: restore database '%s' (backups in %s) from %s\n",
	       pg_target_db(&c), c.backup_dir,
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
	} else if (!yes && isatty(STDIN_FILENO) && !confirmed()) {
		fprintf(stderr, "pgwarden restore: not confirmed; nothing was "
				"requested\n");
		manifest_free(&m);
		free(list);
		return PGW_EXIT_FAILURE;
	} else {
		proto_restore_request(req, sizeof(req), file,
				      "manual (pgwarden restore)");
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
	cli_require_backup_dir(&c);
	if (argc != 2) {
		fprintf(stderr, "usage: pgwarden cat-backup FILE  (a backup's "
				"name in the backups directory)\n");
		return PGW_EXIT_USAGE;
	}
	if (proto_backup_parse(argv[1], &bn) < 0) {
		fprintf(stderr,
			"pgwarden cat-backup: refused: '%s' is not a backup's "
			"name (backup_<stamp>_<db>.sql.gz[.enc] or "
			"globals_<stamp>.sql.gz[.enc], in '%s'; see pgwarden "
			"list-backups)\n",
			argv[1], c.backup_dir);
		return PGW_EXIT_FAILURE;
	}
	rc = bfile_read(c.backup_dir, argv[1], cli_key(), write_stdout, NULL,
			NULL, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "pgwarden: '%s': %s\n", argv[1], err);
		return PGW_EXIT_FAILURE;
	}
	return PGW_EXIT_OK;
}
