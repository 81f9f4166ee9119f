/* manifest_check.c - the manifest.h functions that hash a backup file. In
 * their own object so that a process that only reads manifests (the
 * monitor's status and metrics) does not link libcrypto. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "hash.h"
#include "manifest.h"
#include "proto.h"

int manifest_check_file(const char *dir, const struct manifest *m, char *err,
			size_t errlen)
{
	char hex[HASH_HEX_LEN];
	int64_t size = -1;

	if (hash_file(dir, m->file, hex, &size) < 0) {
		snprintf(err, errlen, "unable to read '%s'", m->file);
		return -1;
	}
	if (size != m->size) {
		snprintf(err, errlen, "size is %lld bytes, manifest says %lld",
			 (long long)size, (long long)m->size);
		return -1;
	}
	if (strcmp(hex, m->sha256) != 0) {
		snprintf(err, errlen,
			 "SHA-256 mismatch (file %.12s..., manifest %.12s...)",
			 hex, m->sha256);
		return -1;
	}
	return 0;
}

int manifest_check(const char *dir, const struct manifest *m, char *err,
		   size_t errlen)
{
	if (!manifest_usable_status(m)) {
		snprintf(err, errlen, "manifest status is '%s'%s%s", m->status,
			 m->reason[0] ? ": " : "", m->reason);
		return -1;
	}
	return manifest_check_file(dir, m, err, errlen);
}

int manifest_load_checked(const char *dir, const char *file, struct manifest *m,
			  char *err, size_t errlen)
{
	struct backup_name bn;
	int fd;

	memset(m, 0, sizeof(*m));
	if (!fs_safe_name(file) || proto_backup_parse(file, &bn) < 0) {
		snprintf(err, errlen, "'%s' is not a backup file name of '%s'",
			 file, dir);
		return -1;
	}
	fd = fs_open_in_dir(dir, file);
	if (fd < 0) {
		snprintf(err, errlen, "'%s' %s", file,
			 errno == ELOOP	   ? "is a symlink, refused"
			 : errno == EINVAL ? "is not a regular file"
					   : strerror(errno));
		return -1;
	}
	close(fd);
	if (manifest_read(dir, file, m, err, errlen) < 0)
		return -1;
	if (manifest_check(dir, m, err, errlen) < 0) {
		manifest_free(m);
		return -1;
	}
	return 0;
}

int manifest_load_named(const char *dir, const char *file, struct manifest *m,
			char *err, size_t errlen)
{
	struct backup_name bn;

	if (proto_backup_parse(file, &bn) == 0 && bn.kind != BACKUP_DATABASE) {
		memset(m, 0, sizeof(*m));
		snprintf(err, errlen, "'%s' is not a backup file name of '%s'",
			 file, dir);
		return -1;
	}
	return manifest_load_checked(dir, file, m, err, errlen);
}
