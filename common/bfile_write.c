/* bfile_write.c - the writer twin of bfile_read (bfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bfile.h"
#include "fs.h"
#include "proto.h"

struct bfile_writer {
	char dir[PATH_MAX];
	char file[NAME_MAX + 1], partial[NAME_MAX + 1];
	int fd;
	struct gzw *gz;
	struct cryptw *enc; /* NULL unless a key was given */
	struct hash_ctx *hash;
	char check_err[256]; /* what the writer's own check found */
	int64_t in_bytes, gz_bytes, out_bytes;
	bool committed;
};

/* What reaches the disk: hashed as it is written. */
static int disk_write(void *arg, const void *data, size_t len)
{
	struct bfile_writer *w = arg;

	hash_update(w->hash, data, len);
	if (fs_write_all(w->fd, data, len) < 0)
		return -1;
	w->out_bytes += (int64_t)len;
	return 0;
}

/* The gzip stream, each member checked by gzw already: encrypted or
 * written. */
static int gz_sink(void *arg, const void *data, size_t len)
{
	struct bfile_writer *w = arg;

	w->gz_bytes += (int64_t)len;
	return w->enc ? cryptw_write(w->enc, data, len)
		      : disk_write(w, data, len);
}

static void write_error(const struct bfile_writer *w, char *err, size_t errlen)
{
	if (w->check_err[0])
		snprintf(err, errlen, "data written to '%s' did not verify: %s",
			 w->partial, w->check_err);
	else
		snprintf(err, errlen, "unable to write '%s': %s", w->partial,
			 strerror(errno));
}

struct bfile_writer *bfile_create(const char *dir, const char *file,
				  const struct crypt_key *key, int level,
				  int threads, char *err, size_t errlen)
{
	struct bfile_writer *w = calloc(1, sizeof(*w));
	char path[PATH_MAX];

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	snprintf(w->file, sizeof(w->file), "%s", file);
	snprintf(w->partial, sizeof(w->partial), "%s%s", file,
		 PROTO_PARTIAL_SUFFIX);
	fs_join(path, dir, w->partial);
	unlink(path);
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		     0600);
	w->hash = hash_new();
	w->enc = key ? cryptw_open(key, disk_write, w) : NULL;
	w->gz = gzw_open(level, threads, gz_sink, w);
	if (w->fd < 0 || !w->hash || (key && !w->enc) || !w->gz) {
		snprintf(err, errlen, "unable to create '%s': %s", path,
			 strerror(errno));
		bfile_discard(w);
		return NULL;
	}
	return w;
}

int bfile_write(struct bfile_writer *w, const void *data, size_t len, char *err,
		size_t errlen)
{
	w->in_bytes += (int64_t)len;
	if (gzw_write(w->gz, data, len) < 0) {
		snprintf(w->check_err, sizeof(w->check_err), "%s",
			 gzw_why(w->gz));
		write_error(w, err, errlen);
		return -1;
	}
	return 0;
}

int bfile_write_fd(struct bfile_writer *w, int fd, bfile_tap_fn tap,
		   void *tap_arg, volatile sig_atomic_t *stop, char *err,
		   size_t errlen)
{
	static unsigned char buf[256 * 1024]; /* one thread writes */
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (stop && *stop) {
			snprintf(err, errlen, "interrupted by shutdown");
			return -1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "read error: %s",
				 strerror(errno));
			return -1;
		}
		if (tap)
			tap(tap_arg, buf, (size_t)n);
		if (bfile_write(w, buf, (size_t)n, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int64_t bfile_written(const struct bfile_writer *w)
{
	return w->out_bytes;
}

/* Each member decompressed to its block and the members add up to the
 * input (gzw_close); the file on disk must still hash to the SHA-256
 * computed on the way out. */
static int verify_on_disk(struct bfile_writer *w, const char *sha, char *err,
			  size_t errlen)
{
	char hex[HASH_HEX_LEN];

	if (hash_file(w->dir, w->partial, hex, NULL) < 0) {
		snprintf(err, errlen, "unable to re-read '%s': %s", w->partial,
			 strerror(errno));
		return -1;
	}
	if (strcmp(hex, sha) != 0) {
		snprintf(err, errlen, "written file's SHA-256 changed on disk");
		return -1;
	}
	return 0;
}

int bfile_finish(struct bfile_writer *w, struct bfile_facts *out, char *err,
		 size_t errlen)
{
	int rc = gzw_close(w->gz, w->check_err, sizeof(w->check_err));

	w->gz = NULL;
	if (rc < 0 || (w->enc && cryptw_close(w->enc) < 0)) {
		w->enc = NULL;
		write_error(w, err, errlen);
		return -1;
	}
	w->enc = NULL;
	if (fsync(w->fd) < 0 || close(w->fd) < 0) {
		w->fd = -1;
		snprintf(err, errlen, "unable to flush '%s': %s", w->partial,
			 strerror(errno));
		return -1;
	}
	w->fd = -1;
	memset(out, 0, sizeof(*out));
	hash_final(w->hash, out->sha256);
	w->hash = NULL;
	if (verify_on_disk(w, out->sha256, err, errlen) < 0)
		return -1;
	out->size = w->out_bytes;
	out->in_bytes = w->in_bytes;
	out->gz_bytes = w->gz_bytes;
	return 0;
}

int bfile_commit(struct bfile_writer *w, char *err, size_t errlen)
{
	if (fs_rename_durable(w->dir, w->partial, w->file) < 0) {
		snprintf(err, errlen, "unable to rename '%s': %s", w->partial,
			 strerror(errno));
		return -1;
	}
	w->committed = true;
	return 0;
}

void bfile_discard(struct bfile_writer *w)
{
	char path[PATH_MAX], hex[HASH_HEX_LEN];

	if (!w)
		return;
	gzw_abort(w->gz);
	cryptw_abort(w->enc);
	if (w->fd >= 0)
		close(w->fd);
	if (w->hash)
		hash_final(w->hash, hex);
	if (!w->committed)
		unlink(fs_join(path, w->dir, w->partial));
	free(w);
}
