/* walarchive.c - the WAL archive's writer and reader (walarchive.h). */
#include "walarchive.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bfile.h"
#include "fs.h"
#include "hash.h"
#include "proto.h"

static bool hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    islower((unsigned char)s[i]))
			return false;
	return true;
}

bool wal_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 24)
		return hex_run(name, 24);
	if (n == 16 && strcmp(name + 8, ".history") == 0)
		return hex_run(name, 8);
	if (n == 40 && name[24] == '.' && strcmp(name + 33, ".backup") == 0)
		return hex_run(name, 24) && hex_run(name + 25, 8);
	/* the old timeline's last segment, archived at a promotion */
	if (n == 32 && strcmp(name + 24, ".partial") == 0)
		return hex_run(name, 24);
	return false;
}

/* What the archive adds to a WAL file's name: plain, then encrypted. */
static const char *const archive_suffixes[] = {".gz",
					       ".gz" PROTO_ENCRYPTED_SUFFIX};

char *wal_archive_dir(char *out, const char *backup_dir, const char *cluster)
{
	char top[PATH_MAX];

	return fs_join(out, fs_join(top, backup_dir, PROTO_WAL_DIR), cluster);
}

bool wal_archived_name(const char *file, char *name, size_t cap)
{
	size_t n = strlen(file);

	for (size_t i = 0; i < 2; i++) {
		size_t s = strlen(archive_suffixes[i]);
		if (n > s && strcmp(file + n - s, archive_suffixes[i]) == 0 &&
		    n - s < cap) {
			snprintf(name, cap, "%.*s", (int)(n - s), file);
			return wal_name_valid(name);
		}
	}
	return false;
}

static bool is_segment(const char *name)
{
	return strlen(name) == 24;
}

int wal_cluster_id(const char *pgdata, char *id, size_t cap, char *err,
		   size_t errlen)
{
	char path[PATH_MAX];
	uint64_t sysid = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/global/pg_control", pgdata);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : pread(fd, &sysid, sizeof(sysid), 0);
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(sysid) || sysid == 0) {
		snprintf(err, errlen,
			 "unable to read the system identifier "
			 "from '%s': %s",
			 path, n < 0 ? strerror(errno) : "too short");
		return -1;
	}
	snprintf(id, cap, "%llu", (unsigned long long)sysid);
	return 0;
}

static int make_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "unable to create '%s': %s", dir,
			 strerror(errno));
		return -1;
	}
	return fs_check_dir_safe(dir, NULL, err, errlen);
}

/* <backup_dir>/wal/<cluster>: created when missing, never a symlink. */
static int wal_dir(const char *backup_dir, const char *cluster, bool create,
		   char *dir, char *err, size_t errlen)
{
	char top[PATH_MAX];

	fs_join(top, backup_dir, PROTO_WAL_DIR);
	wal_archive_dir(dir, backup_dir, cluster);
	if (!*cluster || strchr(cluster, '/') || cluster[0] == '.') {
		snprintf(err, errlen, "'%s' is not a cluster id", cluster);
		return -1;
	}
	if (!create)
		return 0;
	return make_dir(top, err, errlen) < 0 ? -1 : make_dir(dir, err, errlen);
}

/* The archived file of name, plain or encrypted: its file name in the
 * archive, or "" when there is none. */
static void find_archived(const char *dir, const char *name, char *file,
			  size_t cap)
{
	struct stat st;
	char path[PATH_MAX];

	for (size_t i = 0; i < 2; i++) {
		snprintf(file, cap, "%s%s", name, archive_suffixes[i]);
		if (lstat(fs_join(path, dir, file), &st) == 0 &&
		    S_ISREG(st.st_mode))
			return;
	}
	file[0] = '\0';
}

/* SHA-256 of the file at path (the server's %p has a directory in it). */
static int hash_path(const char *path, char *hex)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = hash_fd(fd, hex, NULL);
	close(fd);
	return rc;
}

static int hash_chunk(void *arg, const void *data, size_t len)
{
	hash_update(arg, data, len);
	return 0;
}

/* Same content as the archived file? 1 yes, 0 no, -1 unreadable. */
static int same_as_archived(const char *dir, const char *file,
			    const struct crypt_key *key, const char *path,
			    char *err, size_t errlen)
{
	char want[HASH_HEX_LEN], have[HASH_HEX_LEN], why[256];
	struct hash_ctx *h;
	int rc;

	if (hash_path(path, want) < 0) {
		snprintf(err, errlen, "unable to read '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	h = hash_new();
	rc = bfile_read(dir, file, key, hash_chunk, h, NULL, why, sizeof(why));
	hash_final(h, have);
	if (rc < 0) {
		snprintf(err, errlen, "archived '%s' is unreadable: %s", file,
			 why);
		return -1;
	}
	return strcmp(want, have) == 0;
}

static int archive_new(const char *dir, const struct crypt_key *key,
		       const char *path, const char *name, char *err,
		       size_t errlen)
{
	char file[NAME_MAX + 1];
	struct bfile_facts facts;
	struct bfile_writer *w;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

	if (fd < 0) {
		snprintf(err, errlen, "unable to open '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	snprintf(file, sizeof(file), "%s.gz%s", name,
		 key ? PROTO_ENCRYPTED_SUFFIX : "");
	w = bfile_create(dir, file, key, WAL_COMPRESSION_LEVEL, 1, err, errlen);
	if (w && bfile_write_fd(w, fd, NULL, NULL, NULL, err, errlen) == 0 &&
	    bfile_finish(w, &facts, err, errlen) == 0 &&
	    bfile_commit(w, err, errlen) == 0)
		rc = 0;
	bfile_discard(w);
	close(fd);
	return rc;
}

int wal_push(const char *backup_dir, const char *cluster,
	     const struct crypt_key *key, const char *path, const char *name,
	     char *err, size_t errlen)
{
	char dir[PATH_MAX], file[NAME_MAX + 1];
	int same;

	if (!wal_name_valid(name)) {
		snprintf(err, errlen, "'%s' is not a WAL file name", name);
		return -1;
	}
	if (wal_dir(backup_dir, cluster, true, dir, err, errlen) < 0)
		return -1;
	find_archived(dir, name, file, sizeof(file));
	if (!file[0])
		return archive_new(dir, key, path, name, err, errlen);
	/* archived before (a retry after a crash): fine only if identical */
	same = same_as_archived(dir, file, key, path, err, errlen);
	if (same == 0)
		snprintf(err, errlen,
			 "the archive already holds a different '%s'; it is "
			 "kept, and this one is not archived",
			 name);
	return same == 1 ? 0 : -1;
}

struct fetch_out {
	int fd;
	uint64_t bytes;
};

static int write_chunk(void *arg, const void *data, size_t len)
{
	struct fetch_out *o = arg;

	o->bytes += len;
	return fs_write_all(o->fd, data, len);
}

/* A segment is a power of two from 1 MiB to 1 GiB (initdb's range). */
static bool segment_size_ok(uint64_t n)
{
	return n >= (1u << 20) && n <= (1u << 30) && (n & (n - 1)) == 0;
}

enum wal_fetch_result wal_fetch(const char *backup_dir, const char *cluster,
				const struct crypt_key *key, const char *name,
				const char *dest, char *err, size_t errlen)
{
	char dir[PATH_MAX], file[NAME_MAX + 1], tmp[PATH_MAX];
	struct fetch_out o = {-1, 0};
	int rc;

	if (!wal_name_valid(name)) {
		snprintf(err, errlen, "'%s' is not a WAL file name", name);
		return WAL_BROKEN;
	}
	if (wal_dir(backup_dir, cluster, false, dir, err, errlen) < 0)
		return WAL_BROKEN;
	find_archived(dir, name, file, sizeof(file));
	if (!file[0])
		return WAL_ABSENT;
	snprintf(tmp, sizeof(tmp), "%s%s", dest, PROTO_PARTIAL_SUFFIX);
	o.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o.fd < 0) {
		snprintf(err, errlen, "unable to create '%s': %s", tmp,
			 strerror(errno));
		return WAL_BROKEN;
	}
	rc = bfile_read(dir, file, key, write_chunk, &o, NULL, err, errlen);
	if (rc == 0 && is_segment(name) && !segment_size_ok(o.bytes)) {
		snprintf(err, errlen,
			 "archived '%s' holds %llu bytes, not a "
			 "segment",
			 file, (unsigned long long)o.bytes);
		rc = -1;
	}
	if (rc == 0 && (fsync(o.fd) < 0 || rename(tmp, dest) < 0)) {
		snprintf(err, errlen, "unable to write '%s': %s", dest,
			 strerror(errno));
		rc = -1;
	}
	close(o.fd);
	if (rc < 0)
		unlink(tmp);
	return rc == 0 ? WAL_FETCHED : WAL_BROKEN;
}

static int count_chunk(void *arg, const void *data, size_t len)
{
	(void)data;
	*(uint64_t *)arg += len;
	return 0;
}

enum wal_check_result wal_archived_check(const char *dir, const char *file,
					 const struct crypt_key *key, char *err,
					 size_t errlen)
{
	char name[NAME_MAX + 1], path[PATH_MAX];
	uint64_t bytes = 0;
	struct stat st;
	int rc;

	if (!wal_archived_name(file, name, sizeof(name))) {
		snprintf(err, errlen, "'%s' is not an archived WAL file", file);
		return WAL_CHECK_SKIPPED;
	}
	rc = bfile_read(dir, file, key, count_chunk, &bytes, NULL, err, errlen);
	if (rc == -2)
		return WAL_CHECK_SKIPPED;
	if (rc == 0 && is_segment(name) && !segment_size_ok(bytes)) {
		snprintf(err, errlen, "it holds %llu bytes, not a segment",
			 (unsigned long long)bytes);
		rc = -1;
	}
	if (rc < 0 && lstat(fs_join(path, dir, file), &st) < 0)
		return WAL_CHECK_SKIPPED; /* removed meanwhile (retention) */
	return rc == 0 ? WAL_CHECK_WHOLE : WAL_CHECK_DAMAGED;
}

int wal_quarantine(const char *dir, const char *file, char *aside, size_t cap,
		   char *err, size_t errlen)
{
	snprintf(aside, cap, "%s%s", file, WAL_DAMAGED_SUFFIX);
	if (fs_rename_durable(dir, file, aside) < 0) {
		snprintf(err, errlen, "unable to move '%s' aside: %s", file,
			 strerror(errno));
		return -1;
	}
	return 0;
}
