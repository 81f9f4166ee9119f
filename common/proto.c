#include "proto.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <iniparser/iniparser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini.h"
#include "fs.h"
#include "log.h"
#include "tm.h"

static bool db_char_plain(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-';
}

int proto_backup_filename(const struct backup_name *b, char *out, size_t cap)
{
	size_t n;

	if (b->kind == BACKUP_GLOBALS) {
		snprintf(out, cap, "globals_%s.sql.gz%s", b->stamp,
			 b->encrypted ? PROTO_ENCRYPTED_SUFFIX : "");
		return 0;
	}
	n = (size_t)snprintf(out, cap, "backup_%s_", b->stamp);
	for (const unsigned char *p = (const unsigned char *)b->database; *p;
	     p++) {
		if (n + 4 >= cap)
			return -1;
		if (db_char_plain(*p))
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, cap - n, "%%%02X", *p);
	}
	if (n + 12 >= cap || b->database[0] == '\0')
		return -1;
	snprintf(out + n, cap - n, ".sql.gz%s",
		 b->encrypted ? PROTO_ENCRYPTED_SUFFIX : "");
	return 0;
}

static int decode_db(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned int v;
		if (o + 1 >= cap)
			return -1;
		if (s[i] == '%') {
			if (i + 2 >= len || sscanf(s + i + 1, "%2X", &v) != 1 ||
			    !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]) || v == 0)
				return -1;
			out[o++] = (char)v;
			i += 2;
		} else if (db_char_plain((unsigned char)s[i])) {
			out[o++] = s[i];
		} else {
			return -1;
		}
	}
	out[o] = '\0';
	return o > 0 ? 0 : -1;
}

int proto_backup_parse(const char *name, struct backup_name *out)
{
	size_t len = strlen(name);
	const char *stamp;

	memset(out, 0, sizeof(*out));
	if (len > 11 && strcmp(name + len - 4, PROTO_ENCRYPTED_SUFFIX) == 0) {
		out->encrypted = true;
		len -= 4;
	}
	if (len < 7 || strncmp(name + len - 7, ".sql.gz", 7) != 0)
		return -1;
	if (strncmp(name, PROTO_GLOBALS_PREFIX, 8) == 0 && len == 8 + 15 + 7) {
		out->kind = BACKUP_GLOBALS;
		stamp = name + 8;
	} else if (strncmp(name, PROTO_BACKUP_PREFIX, 7) == 0 &&
		   len > 7 + 16 + 7 && name[7 + 15] == '_') {
		out->kind = BACKUP_DATABASE;
		stamp = name + 7;
		if (decode_db(name + 23, len - 23 - 7, out->database,
			      sizeof(out->database)) < 0)
			return -1;
	} else {
		return -1;
	}
	memcpy(out->stamp, stamp, 15);
	out->stamp[15] = '\0';
	return tm_parse_stamp(out->stamp, &out->when);
}

void proto_manifest_name(const char *backup_file, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s", backup_file, PROTO_MANIFEST_SUFFIX);
}

/* Move a non-file request out of the way without deleting anything. */
static void request_set_aside(const char *dir, const char *name,
			      const struct stat *st, char *why, size_t cap)
{
	char aside[NAME_MAX + 1], path[PATH_MAX], ts[TM_ISO_LEN];

	if (S_ISLNK(st->st_mode)) {
		/* unlinking a symlink never touches its target */
		unlink(fs_join(path, dir, name));
		snprintf(why, cap,
			 "'%s' is a symlink; removed it, target untouched",
			 name);
		return;
	}
	snprintf(aside, sizeof(aside), "rejected-%s-%s", name,
		 tm_stamp(tm_now(), ts));
	if (S_ISDIR(st->st_mode) && rmdir(fs_join(path, dir, name)) == 0) {
		snprintf(why, cap,
			 "'%s' is a directory, not a file; removed the empty "
			 "directory",
			 name);
		return;
	}
	fs_rename_durable(dir, name, aside);
	snprintf(why, cap, "'%s' is not a regular file; moved it to '%s'", name,
		 aside);
}

enum request_state proto_request_claim(const char *dir, const char *name,
				       int settle_ms, char *content, size_t cap,
				       int *wait_ms)
{
	char path[PATH_MAX], claimed[NAME_MAX + 1];
	struct stat st;
	struct timespec now;
	int64_t age_ms;
	size_t len = 0;
	char *data;

	content[0] = '\0';
	if (lstat(fs_join(path, dir, name), &st) < 0)
		return REQ_NONE;
	if (!S_ISREG(st.st_mode)) {
		request_set_aside(dir, name, &st, content, cap);
		return REQ_REJECTED;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	age_ms = (int64_t)(now.tv_sec - st.st_mtim.tv_sec) * 1000 +
		 (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
	if (age_ms >= 0 && age_ms < settle_ms) {
		*wait_ms = (int)(settle_ms - age_ms) + 5;
		return REQ_SETTLING;
	}
	snprintf(claimed, sizeof(claimed), ".claimed-%s.%d", name,
		 (int)getpid());
	if (fs_rename_durable(dir, name, claimed) < 0)
		return REQ_NONE; /* another consumer won the race */
	/* one byte more than allowed: a longer request is refused, never cut */
	data = fs_read_small(dir, claimed, PROTO_REQUEST_MAX + 1, &len);
	unlink(fs_join(path, dir, claimed));
	fs_fsync_dir(dir);
	if (!data) {
		snprintf(content, cap, "unable to read '%s': %s", name,
			 strerror(errno));
		return REQ_REJECTED;
	}
	if (len > PROTO_REQUEST_MAX) {
		free(data);
		snprintf(content, cap,
			 "'%s' is larger than %d bytes: not a request", name,
			 PROTO_REQUEST_MAX);
		return REQ_REJECTED;
	}
	if (memchr(data, '\0', len)) /* binary: make the parser reject it */
		snprintf(content, cap, "%s", "\x01");
	else
		snprintf(content, cap, "%s", data);
	free(data);
	return REQ_CLAIMED;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool key_allowed(const char *key, const char *const *allowed)
{
	for (; allowed && *allowed; allowed++)
		if (strcmp(key, *allowed) == 0)
			return true;
	return false;
}

static int parse_line(char *line, int lineno, const char *const *allowed,
		      const char *bare_key, struct request_kv *kv, char *err,
		      size_t errlen)
{
	char *eq = strchr(line, '='), *key, *val;

	if (!eq && lineno == 0 && bare_key) {
		key = (char *)bare_key;
		val = line;
	} else if (!eq) {
		snprintf(err, errlen, "line %d is not key=value", lineno + 1);
		return -1;
	} else {
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
	}
	if (!key_allowed(key, allowed)) {
		snprintf(err, errlen, "unknown key '%.31s' on line %d", key,
			 lineno + 1);
		return -1;
	}
	if (strlen(val) >= sizeof(kv->value)) {
		snprintf(err, errlen, "value of '%s' is too long", key);
		return -1;
	}
	snprintf(kv->key, sizeof(kv->key), "%s", key);
	snprintf(kv->value, sizeof(kv->value), "%s", val);
	return 0;
}

int proto_request_parse(const char *content, const char *const *allowed,
			const char *bare_key, struct request_kv *out, int max,
			char *err, size_t errlen)
{
	char buf[PROTO_REQUEST_MAX + 1], *save = NULL, *line;
	int n = 0, lineno = 0;

	for (const unsigned char *p = (const unsigned char *)content; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') ||
		    *p == 0x7f) {
			snprintf(err, errlen, "request holds binary data");
			return -1;
		}
	snprintf(buf, sizeof(buf), "%s", content);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), lineno++) {
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if (n == max) {
			snprintf(err, errlen, "too many lines");
			return -1;
		}
		if (parse_line(line, n, allowed, bare_key, &out[n], err,
			       errlen) < 0)
			return -1;
		n++;
	}
	return n;
}

const char *proto_request_get(const struct request_kv *kv, int n,
			      const char *key)
{
	for (int i = n - 1; i >= 0; i--)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

int proto_request_write(const char *dir, const char *name, const char *content)
{
	return fs_write_atomic(dir, name, content, strlen(content));
}

bool proto_request_pending(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	fs_join(path, dir, name);
	return lstat(path, &st) == 0;
}

int proto_recovery_update(int fd, const char *content)
{
	size_t len = strlen(content);

	if (ftruncate(fd, 0) < 0 ||
	    pwrite(fd, content, len, 0) != (ssize_t)len || fsync(fd) < 0)
		return -1;
	return 0;
}

int proto_recovery_begin(const char *dir, const char *content, char *stale,
			 size_t stalecap)
{
	char path[PATH_MAX];
	int fd;
	char *old;

	fs_join(path, dir, PROTO_RECOVERY);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) < 0 ||
		    proto_recovery_update(fd, content) < 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		fs_fsync_dir(dir);
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	if (fs_lock_held(dir, PROTO_RECOVERY))
		return -2;
	old = fs_read_small(dir, PROTO_RECOVERY, PROTO_REQUEST_MAX, NULL);
	snprintf(stale, stalecap, "%s", old ? old : "");
	free(old);
	return -3;
}

void proto_recovery_end(const char *dir, int fd)
{
	char path[PATH_MAX];

	unlink(fs_join(path, dir, PROTO_RECOVERY));
	fs_fsync_dir(dir);
	if (fd >= 0)
		close(fd);
}

int proto_recovery_clear_stale(const char *dir)
{
	char path[PATH_MAX];

	if (fs_lock_held(dir, PROTO_RECOVERY))
		return -1;
	if (unlink(fs_join(path, dir, PROTO_RECOVERY)) < 0 && errno != ENOENT)
		return -1;
	return fs_fsync_dir(dir);
}

bool proto_recovery_active(const char *dir)
{
	return fs_lock_held(dir, PROTO_RECOVERY);
}

bool proto_recovery_exists(const char *dir)
{
	return fs_size(dir, PROTO_RECOVERY) >= 0;
}

#define INSTANCE_STOPPED_TEXT "stopped\n"

void proto_instance_mark_stopped(int lock_fd)
{
	size_t n = strlen(INSTANCE_STOPPED_TEXT);

	if (lock_fd < 0 || ftruncate(lock_fd, 0) < 0 ||
	    pwrite(lock_fd, INSTANCE_STOPPED_TEXT, n, 0) != (ssize_t)n)
		log_warn("unable to mark the instance lock stopped: %s",
			 strerror(errno));
}

enum instance_state proto_instance_state(const char *dir, const char *name)
{
	char lock[64], *text;
	bool stopped;

	snprintf(lock, sizeof(lock), "%s%s", PROTO_LOCK_PREFIX, name);
	if (fs_size(dir, lock) < 0)
		return INSTANCE_NEVER;
	if (fs_lock_held(dir, lock))
		return INSTANCE_UP;
	text = fs_read_small(dir, lock, 64, NULL);
	stopped = text && strcmp(text, INSTANCE_STOPPED_TEXT) == 0;
	free(text);
	return stopped ? INSTANCE_STOPPED : INSTANCE_DOWN;
}

const char *const proto_file_names[] = {
	PROTO_BACKUP_PREFIX,
	PROTO_GLOBALS_PREFIX,
	PROTO_ENCRYPTED_SUFFIX,
	PROTO_MANIFEST_SUFFIX,
	PROTO_PARTIAL_SUFFIX,
	PROTO_REQ_BACKUP,
	PROTO_REQ_RESTORE,
	PROTO_REQ_VERIFY,
	PROTO_REQ_REINIT,
	PROTO_REQ_BASEBACKUP,
	PROTO_REQ_PHYSICAL,
	PROTO_BASE_PREFIX,
	PROTO_JOB_PROGRESS,
	PROTO_PAUSE,
	PROTO_RECOVERY,
	PROTO_ALERT_PREFIX,
	PROTO_RESTORER_STATUS,
	PROTO_METRICS,
	PROTO_MONITOR_STATE,
	PROTO_MONITOR_STATUS,
	PROTO_SERVER_STATUS,
	PROTO_ARCHIVE_STATUS,
	PROTO_SERVER_LOG,
	PROTO_LOCK_PREFIX,
	PROTO_LOCK_JOBS,
	PROTO_WAL_DIR "/",
	LOG_BACKUP,
	LOG_RETENTION,
	LOG_HEALTH,
	LOG_RECOVERY,
	LOG_VERIFICATION,
	LOG_SERVER,
	NULL,
};

const char *const proto_restore_keys[] = {"backup", "reason", NULL};

void proto_restore_request(char *buf, size_t cap, const char *backup,
			   const char *reason)
{
	int n = snprintf(buf, cap, "%s%s%sreason=", backup ? "backup=" : "",
			 backup ? backup : "", backup ? "\n" : "");
	size_t o = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;

	for (const char *p = reason ? reason : ""; *p && o + 2 < cap; p++)
		buf[o++] = *p == '\n' || *p == '\r' ? ' ' : *p;
	if (o + 1 < cap)
		buf[o++] = '\n';
	buf[o] = '\0';
}
