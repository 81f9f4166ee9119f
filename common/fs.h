/*
 * fs.h - files that are never half-written, locks that die with their owner,
 * and safe opening of names that come from outside.
 *
 * Contract:
 *  - fs_write_atomic(): the content appears under its final name completely or
 *    not at all (temp ".name.tmp.<pid>" in the same directory, fsync, rename,
 *    fsync of the directory). Files are created 0600.
 *  - fs_safe_name(): a single path component without '/', "..", leading '.',
 *    or control characters. Every name read from a request file or argv goes
 *    through it before use.
 *  - fs_open_in_dir(): opens dir/name (one component) with O_NOFOLLOW,
 *    refusing symlinks and anything that is not a regular file.
 *  - fs_lock_*(): flock-based locks, released by the kernel when the holder
 *    dies, so a lock left by a killed process is never stale.
 */
#ifndef PGW_FS_H
#define PGW_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int fs_write_atomic(const char *dir, const char *name, const void *data,
		    size_t len);
/* As fs_write_atomic(), but never replaces: -1 with errno EEXIST (and no
 * log line) when name exists, so racing writers each keep their file. */
int fs_write_new(const char *dir, const char *name, const void *data,
		 size_t len);
/* write() all of data, retrying on EINTR and short writes. 0 or -1. */
int fs_write_all(int fd, const void *data, size_t len);
/* fsync a directory so a rename/creation/unlink in it is durable. */
int fs_fsync_dir(const char *dir);
/* rename within dir and fsync dir. */
int fs_rename_durable(const char *dir, const char *from, const char *to);

bool fs_safe_name(const char *name);
/* Returns an fd (O_RDONLY|O_CLOEXEC|O_NOFOLLOW) or -1 with errno set;
 * errno EINVAL when not a regular file. */
int fs_open_in_dir(const char *dir, const char *name);
/* Read a whole small file (<= max bytes, NUL terminated, caller frees). */
char *fs_read_small(const char *dir, const char *name, size_t max, size_t *len);

/* Create (if needed) and check the backups directory: a directory (the
 * configured path may be a symlink to one: it is the operator's choice),
 * writable by us, not world-writable, owned by us or by root (a volume
 * shared through its group, as Kubernetes' fsGroup does), never by another
 * user. -1 with a reason in err. */
int fs_check_backup_dir(const char *dir, char *err, size_t errlen);
/* Which directory a path names now (after symlinks). */
struct fs_dir_id {
	dev_t dev;
	ino_t ino;
};
/* The checks of fs_check_backup_dir() on an existing directory that say
 * whom it belongs to (not whether it is writable now: a read-only volume
 * is an error to report, not a reason to stop); id (may be NULL) receives
 * its identity. */
int fs_check_dir_safe(const char *dir, struct fs_dir_id *id, char *err,
		      size_t errlen);

/* Take an exclusive lock on dir/name. wait_ms < 0: wait forever; 0: try
 * once; >0: poll until then (stops early on *stop set). Returns fd or -1. */
int fs_lock(const char *dir, const char *name, int wait_ms,
	    volatile const int *stop);
void fs_unlock(int fd);
/* True when someone holds the lock on dir/name right now. */
bool fs_lock_held(const char *dir, const char *name);

/* Free bytes on the filesystem of dir; -1 on error. */
int64_t fs_free_bytes(const char *dir);
/* A size people read: "812 B", "3.4 KiB", "12.0 MiB", "1.25 GiB". */
const char *fs_human_size(int64_t bytes, char *out, size_t cap);
/* Size of a file in dir; -1 when missing. */
int64_t fs_size(const char *dir, const char *name);
/* Seconds since the file's mtime; -1 when missing. */
long fs_age(const char *dir, const char *name);

/* Join dir and name into out (PATH_MAX); returns out. */
char *fs_join(char *out, const char *dir, const char *name);

#endif
