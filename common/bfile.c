#include "bfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

static ssize_t decrypt_source(void *arg, void *buf, size_t cap)
{
	return cryptr_read(arg, buf, cap);
}

static int read_encrypted(int fd, const struct crypt_key *key, gz_chunk_fn fn,
			  void *arg, uint64_t *out_bytes, char *err,
			  size_t errlen)
{
	struct cryptr *r;
	char why[256];
	int rc;

	if (!key) {
		snprintf(err, errlen,
			 "the backup is encrypted and no "
			 "encryption_key_file is configured");
		return -2;
	}
	r = cryptr_open(fd, key, why, sizeof(why));
	if (!r) {
		snprintf(err, errlen, "%s", why);
		return errno == EKEYREJECTED ? -2 : -1;
	}
	rc = gz_read_source(decrypt_source, r, fn, arg, out_bytes, err, errlen);
	if (rc < 0 && cryptr_error(r)[0])
		snprintf(err, errlen, "%s", cryptr_error(r));
	cryptr_close(r);
	return rc;
}

int bfile_read(const char *dir, const char *file, const struct crypt_key *key,
	       gz_chunk_fn fn, void *arg, uint64_t *out_bytes, char *err,
	       size_t errlen)
{
	char head[CRYPT_HEADER_LEN];
	int fd = fs_open_in_dir(dir, file), rc;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "unable to open '%s': %s", file,
			 strerror(errno));
		return -1;
	}
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0) {
		snprintf(err, errlen, "unable to read '%s': %s", file,
			 strerror(errno));
		close(fd);
		return -1;
	}
	if (crypt_is_encrypted(head, (size_t)n))
		rc = read_encrypted(fd, key, fn, arg, out_bytes, err, errlen);
	else
		rc = gz_read_fd(fd, fn, arg, out_bytes, err, errlen);
	close(fd);
	return rc;
}
