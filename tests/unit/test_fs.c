#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "unit.h"

int main(void)
{
	char *dir = unit_tmpdir(), path[PATH_MAX], err[256];
	char *data;
	size_t len;
	int fd, fd2;
	struct stat st;

	CHECK(fs_write_atomic(dir, "a.txt", "hello", 5) == 0, "atomic write");
	data = fs_read_small(dir, "a.txt", 100, &len);
	CHECK(data && len == 5 && strcmp(data, "hello") == 0, "content back");
	free(data);
	stat(fs_join(path, dir, "a.txt"), &st);
	CHECK((st.st_mode & 0777) == 0600, "created 0600");
	CHECK(fs_write_atomic(dir, "a.txt", "bye", 3) == 0, "overwrite");
	data = fs_read_small(dir, "a.txt", 100, &len);
	CHECK(data && strcmp(data, "bye") == 0, "overwritten whole");
	free(data);
	CHECK(access(fs_join(path, dir, ".a.txt.tmp"), F_OK) < 0,
	      "no temp left");
	CHECK(fs_write_atomic("/nonexistent", "x", "y", 1) < 0,
	      "missing dir fails");

	CHECK(fs_safe_name("backup_20250613_180002_app.sql.gz"),
	      "plain name ok");
	CHECK(!fs_safe_name("../../etc/passwd"), "traversal refused");
	CHECK(!fs_safe_name(".."), "dotdot refused");
	CHECK(!fs_safe_name(".hidden"), "hidden refused");
	CHECK(!fs_safe_name("a/b"), "slash refused");
	CHECK(!fs_safe_name(""), "empty refused");
	CHECK(!fs_safe_name("a\nb"), "control char refused");

	symlink("/etc/passwd", fs_join(path, dir, "link"));
	CHECK(fs_open_in_dir(dir, "link") < 0, "symlink refused by open");
	mkdir(fs_join(path, dir, "sub"), 0700);
	CHECK(fs_open_in_dir(dir, "sub") < 0, "directory refused by open");
	fd = fs_open_in_dir(dir, "a.txt");
	CHECK(fd >= 0, "regular file opens");
	close(fd);

	fd = fs_lock(dir, ".lock-x", 0, NULL);
	CHECK(fd >= 0, "lock taken");
	CHECK(fs_lock_held(dir, ".lock-x"), "lock seen as held");
	fd2 = fs_lock(dir, ".lock-x", 200, NULL);
	CHECK(fd2 < 0, "second lock times out");
	fs_unlock(fd);
	CHECK(!fs_lock_held(dir, ".lock-x"), "released");
	fd2 = fs_lock(dir, ".lock-x", 0, NULL);
	CHECK(fd2 >= 0, "lock taken again after release");
	fs_unlock(fd2);

	CHECK(fs_check_backup_dir(dir, err, sizeof(err)) == 0, "dir ok");
	chmod(dir, 0777);
	CHECK(fs_check_backup_dir(dir, err, sizeof(err)) < 0 &&
		      strstr(err, "world-writable"),
	      "world-writable refused");
	chmod(dir, 0700);
	CHECK(fs_check_backup_dir(fs_join(path, dir, "a.txt"), err,
				  sizeof(err)) < 0,
	      "file refused as dir");
	CHECK(fs_free_bytes(dir) > 0, "free bytes");
	CHECK(fs_size(dir, "a.txt") == 3, "size");
	CHECK(fs_write_new(dir, "a.txt", "other", 5) < 0 && errno == EEXIST,
	      "exclusive write refuses an existing name");
	CHECK(fs_size(dir, "a.txt") == 3, "and leaves it untouched");
	CHECK(fs_write_new(dir, "n.txt", "new", 3) == 0 &&
		      fs_size(dir, "n.txt") == 3,
	      "exclusive write creates");
	CHECK(fs_size(dir, ".n.txt.tmp.0") < 0, "no temporary left");
	return unit_done();
}
