/* test_catalog.c - the backups in a directory: final names only, newest
 * first; an empty or missing directory. */
#include <fcntl.h>
#include <unistd.h>

#include "catalog.h"
#include "hash.h"
#include "manifest.h"
#include "unit.h"

static void put(const char *dir, const char *name, const char *data)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		perror(path);
	if (fd >= 0)
		close(fd);
}

static void test_empty(void)
{
	struct catalog_entry *list = (void *)1;
	char *dir = unit_tmpdir();

	CHECK(catalog_scan(dir, &list) == 0 && list == NULL,
	      "an empty directory: no entries, nothing to free");
	CHECK(catalog_scan("/nonexistent/pgw", &list) == -1 && list == NULL,
	      "a missing directory: -1");
}

static void test_order(void)
{
	struct catalog_entry *list = NULL;
	char *dir = unit_tmpdir();
	int n;

	put(dir, "backup_20250101_060000_app.sql.gz", "old");
	put(dir, "backup_20250102_180000_app.sql.gz", "newest");
	put(dir, "backup_20250103_060000_app.sql.gz.partial", "in flight");
	put(dir, "globals_20250102_060000.sql.gz", "g");
	put(dir, "notes.txt", "x");
	n = catalog_scan(dir, &list);
	CHECK(n == 3, "final names only: no .partial, no stranger");
	CHECK(n == 3 &&
		      strcmp(list[0].file,
			     "backup_20250102_180000_app.sql.gz") == 0 &&
		      list[0].size == 6 && !list[0].has_manifest &&
		      list[0].status[0] == '\0' &&
		      strcmp(list[1].file, "globals_20250102_060000.sql.gz") ==
			      0 &&
		      strcmp(list[2].file,
			     "backup_20250101_060000_app.sql.gz") == 0,
	      "newest first, with sizes; no manifest, no status");
	free(list);
}

#define SHA "0000000000000000000000000000000000000000000000000000000000000000"

/* "newest" is what the manifest records, and the future comes last */
static void test_manifest_time_and_future(void)
{
	struct catalog_entry *list = NULL;
	char *dir = unit_tmpdir();
	int n;

	put(dir, "backup_20250101_060000_app.sql.gz", "a");
	put(dir, "backup_20250101_060000_app.sql.gz.manifest",
	    "[backup]\nfile = backup_20250101_060000_app.sql.gz\n"
	    "status = valid\nsha256 = " SHA
	    "\nfinished = 2025-01-01T06:00:05Z\n");
	/* a copy of it under a later name: as old as its manifest says */
	put(dir, "backup_20250105_060000_app.sql.gz", "a");
	put(dir, "backup_20250105_060000_app.sql.gz.manifest",
	    "[backup]\nfile = backup_20250105_060000_app.sql.gz\n"
	    "status = valid\nsha256 = " SHA
	    "\nfinished = 2025-01-01T06:00:05Z\n");
	put(dir, "backup_20250102_060000_app.sql.gz", "b");
	put(dir, "backup_20250102_060000_app.sql.gz.manifest",
	    "[backup]\nfile = backup_20250102_060000_app.sql.gz\n"
	    "status = valid\nsha256 = " SHA
	    "\nfinished = 2025-01-02T06:00:05Z\n");
	put(dir, "backup_29990101_060000_app.sql.gz", "f");
	n = catalog_scan(dir, &list);
	CHECK(n == 4 &&
		      strcmp(list[0].file,
			     "backup_20250102_060000_app.sql.gz") == 0 &&
		      !list[0].future,
	      "the newest by manifest, not by name");
	CHECK(n == 4 && list[3].future &&
		      strcmp(list[3].file,
			     "backup_29990101_060000_app.sql.gz") == 0,
	      "a stamp in the future is flagged and sorted last");
	CHECK(n == 4 && list[1].taken == list[2].taken,
	      "a renamed copy keeps its manifest's time");
	free(list);
}

/* a backup with a manifest that tells the truth about it */
static void put_backup(const char *dir, const char *name, const char *db,
		       const char *data, const char *finished)
{
	struct manifest m;

	put(dir, name, data);
	memset(&m, 0, sizeof(m));
	snprintf(m.file, sizeof(m.file), "%s", name);
	snprintf(m.kind, sizeof(m.kind), "%s", db ? "database" : "globals");
	snprintf(m.status, sizeof(m.status), "valid");
	snprintf(m.database, sizeof(m.database), "%s", db ? db : "");
	snprintf(m.finished, sizeof(m.finished), "%s", finished);
	hash_file(dir, name, m.sha256, &m.size);
	manifest_write(dir, &m);
}

/* The file catalog_choose() takes for t, "" when none (err says why). */
static const char *chosen(const char *dir, const struct catalog_entry *list,
			  int n, const struct catalog_target *t, char *err,
			  size_t errlen)
{
	static char file[256];
	struct manifest m;
	int i = catalog_choose(dir, list, n, 0, t, &m, err, errlen);

	file[0] = '\0';
	if (i >= 0) {
		snprintf(file, sizeof(file), "%s", list[i].file);
		manifest_free(&m);
	}
	return file;
}

/* Which backup for a target: the newest of that database or the globals
 * whose file holds, the future-stamped one last. */
static void test_choose(void)
{
	struct catalog_entry *list = NULL;
	struct catalog_target app = {BACKUP_DATABASE, "app", NULL},
			      glob = {BACKUP_GLOBALS, NULL, NULL};
	char *dir = unit_tmpdir(), err[256], path[600];
	int n;

	put_backup(dir, "backup_20250101_060000_app.sql.gz", "app", "old",
		   "2025-01-01T06:00:05Z");
	put_backup(dir, "backup_20250102_060000_app.sql.gz", "app", "newer",
		   "2025-01-02T06:00:05Z");
	put_backup(dir, "backup_20250103_060000_other.sql.gz", "other", "x",
		   "2025-01-03T06:00:05Z");
	put_backup(dir, "globals_20250102_060000.sql.gz", NULL, "roles",
		   "2025-01-02T06:00:06Z");
	put_backup(dir, "backup_29990101_060000_app.sql.gz", "app", "future",
		   "2999-01-01T06:00:05Z");
	n = catalog_scan(dir, &list);
	CHECK_STR(chosen(dir, list, n, &app, err, sizeof(err)),
		  "backup_20250102_060000_app.sql.gz",
		  "the newest of the database, not another database's");
	CHECK_STR(chosen(dir, list, n, &glob, err, sizeof(err)),
		  "globals_20250102_060000.sql.gz", "the globals");
	/* the newest is truncated: the next older one, never the future */
	snprintf(path, sizeof(path), "%s/backup_20250102_060000_app.sql.gz",
		 dir);
	CHECK(truncate(path, 2) == 0, "truncated");
	CHECK_STR(chosen(dir, list, n, &app, err, sizeof(err)),
		  "backup_20250101_060000_app.sql.gz",
		  "a truncated newest is passed over for the next older");
	snprintf(path, sizeof(path), "%s/backup_20250101_060000_app.sql.gz",
		 dir);
	CHECK(unlink(path) == 0 &&
		      symlink("backup_29990101_060000_app.sql.gz", path) == 0,
	      "the older one is now a symlink");
	CHECK_STR(chosen(dir, list, n, &app, err, sizeof(err)),
		  "backup_29990101_060000_app.sql.gz",
		  "a symlink is refused; the future-stamped one comes last");
	app.only = "backup_20250102_060000_app.sql.gz";
	CHECK(!*chosen(dir, list, n, &app, err, sizeof(err)) &&
		      strstr(err, "size is 2 bytes"),
	      "only one file: refused with why");
	free(list);
}

int main(void)
{
	test_empty();
	test_order();
	test_manifest_time_and_future();
	test_choose();
	return unit_done();
}
