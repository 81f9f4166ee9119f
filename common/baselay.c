#include "baselay.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bfile.h"
#include "child.h"
#include "fs.h"
#include "tm.h"

#define BEAT_MS 5000

/* tar is run by path (child.h runs nothing through a shell or PATH) */
static const char *tar_path(void)
{
	static const char *const paths[] = {"/usr/bin/tar", "/bin/tar"};

	for (size_t i = 0; i < 2; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return paths[0];
}

struct untar {
	int fd;
	bool write_failed;
	baselay_beat_fn beat;
	void *arg;
	int64_t beat_ms;
};

static int untar_chunk(void *arg, const void *data, size_t len)
{
	struct untar *u = arg;

	if (u->beat && tm_mono_ms() - u->beat_ms >= BEAT_MS) {
		u->beat(u->arg);
		u->beat_ms = tm_mono_ms();
	}
	if (fs_write_all(u->fd, data, len) < 0) {
		u->write_failed = true;
		return -1;
	}
	return 0;
}

int baselay_extract(const char *backup_dir, const char *file,
		    const struct crypt_key *key, const char *dest,
		    baselay_beat_fn beat, void *beat_arg, char *why,
		    size_t whylen)
{
	const char *argv[] = {tar_path(), "-x", "-f", "-", "-C", dest, NULL};
	char err[512], cwhy[512];
	struct child c;
	struct untar u = {-1, false, beat, beat_arg, tm_mono_ms()};
	int rc, tar_rc;

	if (mkdir(dest, 0700) < 0) {
		snprintf(why, whylen, "unable to create '%s': %s", dest,
			 strerror(errno));
		return -2;
	}
	if (child_start_writing(&c, argv, &u.fd, -1) < 0) {
		snprintf(why, whylen, "unable to start tar: %s",
			 strerror(errno));
		return -2;
	}
	rc = bfile_read(backup_dir, file, key, untar_chunk, &u, NULL, err,
			sizeof(err));
	close(u.fd);
	tar_rc = child_finish(&c, cwhy, sizeof(cwhy));
	if (rc == 0 && tar_rc == 0)
		return 0;
	/* tar's own words say more than a write that failed; a file that
	 * did not read is said by bfile_read */
	if (tar_rc < 0 && (u.write_failed || rc == 0))
		snprintf(err, sizeof(err), "%s", cwhy);
	snprintf(why, whylen, "unable to lay down '%s': %s", file, err);
	/* the file's fault only when it did not read back whole; a sound
	 * file (its members and CRC checked) that tar or the disk could not
	 * take, or one we lack the key of (bfile_read's -2), is ours */
	return u.write_failed || rc == -2 || rc == 0 ? -2 : -1;
}

/* A value inside '...' of a configuration file: quotes are doubled. */
static void conf_quote(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in && o + 3 < cap; in++) {
		if (*in == '\'')
			out[o++] = '\'';
		out[o++] = *in;
	}
	out[o] = '\0';
}

int baselay_recovery_settings(const char *pgdata, const char *restore_command,
			      char *why, size_t whylen)
{
	char quoted[4 * 4096 + 200];
	size_t len = 0, cap;
	char *old =
		fs_read_small(pgdata, "postgresql.auto.conf", 4 << 20, &len);
	char *conf;
	int rc = -1;

	conf_quote(restore_command, quoted, sizeof(quoted));
	cap = len + strlen(quoted) + 200;
	conf = malloc(cap);
	if (conf) {
		snprintf(conf, cap,
			 "%s\n# pgwarden physical recovery (docs/WAL.md)\n"
			 "restore_command = '%s'\n"
			 "recovery_target_timeline = 'latest'\n",
			 old ? old : "", quoted);
		rc = fs_write_atomic(pgdata, "postgresql.auto.conf", conf,
				     strlen(conf));
	}
	if (rc == 0)
		rc = fs_write_atomic(pgdata, "recovery.signal", "", 0);
	if (rc < 0)
		snprintf(why, whylen,
			 "unable to write the recovery settings: %s",
			 strerror(errno));
	free(old);
	free(conf);
	return rc;
}
