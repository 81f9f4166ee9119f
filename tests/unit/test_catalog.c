/* test_catalog.c - the backups in a directory: final names only, newest
 * first; an empty or missing directory. */
#include <fcntl.h>
#include <unistd.h>

#include "catalog.h"
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

int main(void)
{
	test_empty();
	test_order();
	return unit_done();
}
