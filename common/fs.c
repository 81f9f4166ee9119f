#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"
#include "tm.h"

char *fs_join(char *out, const char *dir, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, name);
	return out;
}

int fs_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write a private temporary, fsync it, then move it to name: replacing
 * whatever is there, or (exclusive) failing with EEXIST. */
static int write_then_move(const char *dir, const char *name, const void *data,
			   size_t len, bool exclusive)
{
	char tmp[PATH_MAX], final[PATH_MAX], tname[NAME_MAX + 1];
	int fd, e, rc;

	snprintf(tname, sizeof(tname), ".%s.tmp.%d", name, (int)getpid());
	fs_join(tmp, dir, tname);
	fs_join(final, dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		e = errno;
		log_error("unable to create '%s': %s", tmp, strerror(e));
		errno = e;
		return -1;
	}
	if (fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		e = errno;
		log_error("unable to write '%s': %s", tmp, strerror(e));
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	rc = close(fd);
	if (rc == 0 && exclusive) {
		/* link() never replaces, even where RENAME_NOREPLACE fails */
		rc = link(tmp, final);
		e = errno;
		unlink(tmp);
		errno = e;
	} else if (rc == 0) {
		rc = rename(tmp, final);
	}
	if (rc < 0) {
		e = errno;
		if (!(exclusive && e == EEXIST))
			log_error("unable to rename '%s' to '%s': %s", tmp,
				  final, strerror(e));
		unlink(tmp);
		errno = e;
		return -1;
	}
	fs_fsync_dir(dir);
	return 0;
}

int fs_write_atomic(const char *dir, const char *name, const void *data,
		    size_t len)
{
	return write_then_move(dir, name, data, len, false);
}

int fs_write_new(const char *dir, const char *name, const void *data,
		 size_t len)
{
	return write_then_move(dir, name, data, len, true);
}

int fs_rename_durable(const char *dir, const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (rename(fs_join(a, dir, from), fs_join(b, dir, to)) < 0)
		return -1;
	return fs_fsync_dir(dir);
}

bool fs_safe_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || (unsigned char)name[i] < 0x20 ||
		    name[i] == 0x7f)
			return false;
	return true;
}

int fs_open_in_dir(const char *dir, const char *name)
{
	int dfd, fd;
	struct stat st;

	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	close(dfd);
	if (fd < 0)
		return -1; /* ELOOP for a symlink */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	/* back to blocking reads now that a FIFO cannot hang the open */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

char *fs_read_small(const char *dir, const char *name, size_t max, size_t *len)
{
	int fd = fs_open_in_dir(dir, name);
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fd < 0)
		return NULL;
	/* what the file holds, not max: a large limit costs nothing */
	if (fstat(fd, &st) == 0 && st.st_size >= 0 && (size_t)st.st_size < max)
		max = (size_t)st.st_size;
	buf = malloc(max + 1);
	while (buf && got < max) {
		ssize_t n = read(fd, buf + got, max - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (buf) {
		buf[got] = '\0';
		if (len)
			*len = got;
	}
	return buf;
}

int fs_check_backup_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen,
			 "unable to create backups directory '%s': %s", dir,
			 strerror(errno));
		return -1;
	}
	if (fs_check_dir_safe(dir, NULL, err, errlen) < 0)
		return -1;
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen,
			 "backups directory '%s' is not writable: %s", dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int fs_check_dir_safe(const char *dir, struct fs_dir_id *id, char *err,
		      size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		snprintf(err, errlen, "unable to stat '%s': %s", dir,
			 strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode) && stat(dir, &st) < 0) {
		snprintf(err, errlen,
			 "backups directory '%s' is a dangling symlink", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen,
			 "backups directory '%s' is not a directory", dir);
		return -1;
	}
	/* anyone could plant requests or fake backups: even with the sticky
	 * bit this is no place for them */
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen,
			 "backups directory '%s' is world-writable (mode %04o)",
			 dir, st.st_mode & 07777);
		return -1;
	}
	/* ours, or root's with group access (a Kubernetes volume with
	 * fsGroup): never another user's */
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen,
			 "backups directory '%s' is owned by uid %d, not by us "
			 "(uid %d) or root",
			 dir, (int)st.st_uid, (int)geteuid());
		return -1;
	}
	if (id) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
	return 0;
}

int fs_lock(const char *dir, const char *name, int wait_ms,
	    volatile const int *stop)
{
	char path[PATH_MAX], pid[32];
	int64_t deadline = tm_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	int fd = open(fs_join(path, dir, name),
		      O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return -1;
		}
		if (wait_ms == 0 || (stop && *stop) ||
		    (wait_ms > 0 && tm_mono_ms() >= deadline)) {
			close(fd);
			errno = EWOULDBLOCK;
			return -1;
		}
		tm_sleep_ms(100);
	}
	/* the pid is for people reading the file; the flock is the lock */
	if (ftruncate(fd, 0) == 0) {
		int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
		if (pwrite(fd, pid, (size_t)n, 0) < 0) {
		}
	}
	return fd;
}

void fs_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

bool fs_lock_held(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd = open(fs_join(path, dir, name),
		      O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

int64_t fs_free_bytes(const char *dir)
{
	struct statvfs sv;

	if (statvfs(dir, &sv) < 0)
		return -1;
	return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
}

int64_t fs_size(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (lstat(fs_join(path, dir, name), &st) < 0)
		return -1;
	return (int64_t)st.st_size;
}

long fs_age(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (lstat(fs_join(path, dir, name), &st) < 0)
		return -1;
	return (long)(time(NULL) - st.st_mtime);
}

const char *fs_human_size(int64_t bytes, char *out, size_t cap)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%lld B", (long long)bytes);
	else
		snprintf(out, cap, u >= 3 ? "%.2f %s" : "%.1f %s", v, unit[u]);
	return out;
}
