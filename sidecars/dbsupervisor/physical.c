/* physical.c - request-physical-restore (physical.h). */
#include "physical.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert.h"
#include "basecat.h"
#include "baselay.h"
#include "bfile.h"
#include "child.h"
#include "fs.h"
#include "log.h"
#include "lsn.h"
#include "manifest_auth.h"
#include "tm.h"
#include "walarchive.h"

struct restore_job {
	struct server *s;
	const struct daemon *d;
	struct crypt_key key; /* loaded for this restore only */
	const struct crypt_key *k;
	struct base_entry base;
	char last[32];	      /* the newest archived segment */
	char aside[PATH_MAX]; /* where the damaged PGDATA went */
	char why[512];
	char cluster[32];
	int wal_copied;
};

static void set_outcome(struct restore_job *j, const char *outcome)
{
	struct server *s = j->s;

	snprintf(s->physical, sizeof(s->physical), "%s", outcome);
	snprintf(s->physical_base, sizeof(s->physical_base), "%s",
		 j->base.file);
	snprintf(s->physical_why, sizeof(s->physical_why), "%s", j->why);
	server_write_status(s, j->d);
}

/* The cluster to restore: the last one that ran under this pgwarden-db,
 * or else the one PGDATA's pg_control names. pg_control may be the very
 * thing that is damaged: a wrong id can only find no base backup. */
static int cluster_of(struct restore_job *j, char *id, size_t cap)
{
	char err[256];

	if (j->s->cluster_id[0]) {
		snprintf(id, cap, "%s", j->s->cluster_id);
		return 0;
	}
	if (wal_cluster_id(j->d->cfg.pgdata, id, cap, err, sizeof(err)) == 0)
		return 0;
	snprintf(j->why, sizeof(j->why),
		 "which cluster to restore is not known: %s", err);
	return -1;
}

/* A new PGDATA needs the base backup's size, and a tenth more. */
static int check_space(struct restore_job *j)
{
	char parent[PATH_MAX];
	int64_t free_b, need = j->base.uncompressed_size / 10 * 11;

	snprintf(parent, sizeof(parent), "%s", j->d->cfg.pgdata);
	free_b = fs_free_bytes(dirname(parent));
	if (free_b >= 0 && free_b < need) {
		snprintf(j->why, sizeof(j->why),
			 "not enough space beside PGDATA: %lld MiB free, %lld "
			 "MiB needed",
			 (long long)(free_b >> 20), (long long)(need >> 20));
		return -1;
	}
	return 0;
}

/* server.status keeps its heartbeat while a large base backup is laid
 * down, or the pod's liveness probe would restart us mid-way. */
static void beat(void *arg)
{
	struct restore_job *j = arg;

	server_write_status(j->s, j->d);
}

/* The base backup's tar into the new, empty PGDATA. */
static int lay_down(struct restore_job *j, const struct crypt_key *key)
{
	return baselay_extract(j->d->cfg.backup_dir, j->base.file, key,
			       j->d->cfg.pgdata, beat, j, j->why,
			       sizeof(j->why));
}

static int copy_file(const char *from, const char *to)
{
	static char buf[256 * 1024];
	int in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), out;
	ssize_t n = 0;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (fs_write_all(out, buf, (size_t)n) < 0) {
			n = -1;
			break;
		}
	close(in);
	if (out < 0 || n < 0 || fsync(out) < 0) {
		if (out >= 0) {
			close(out);
			unlink(to);
		}
		return -1;
	}
	return close(out);
}

/* A segment the old server really wrote at this place: its first page's
 * long header names this place, this cluster and this timeline (or an
 * older one). Segments
 * recycled ahead of the end still hold an older place's WAL. */
static bool segment_written_here(const char *path, const char *name,
				 const struct restore_job *j)
{
	unsigned char h[40];
	uint64_t addr, sysid, seg = (uint64_t)j->base.wal_segment_size;
	uint32_t tli;
	unsigned t;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : pread(fd, h, sizeof(h), 0);

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(h) || sscanf(name, "%8X", &t) != 1)
		return false;
	memcpy(&tli, h + 4, 4);
	memcpy(&addr, h + 8, 8);
	memcpy(&sysid, h + 24, 8);
	/* a new timeline's first segment begins with its parent's pages */
	return tli <= t && tli > 0 &&
	       addr == lsn_segment_number(name, seg) * seg &&
	       sysid == strtoull(j->cluster, NULL, 10);
}

/* The old pg_wal's segments from the base backup's start on: the server
 * reads them where the archive has nothing more, and checks every record
 * (CRC, the previous record's link, the system identifier) as it does.
 * They go into the archive too (unless it has them already): a server
 * archives only what it writes itself, and without them the old timeline
 * would keep a hole that no base backup before the recovery could cross. */
static void copy_old_wal(struct restore_job *j)
{
	char from[PATH_MAX], to[PATH_MAX], a[PATH_MAX + 300], b[PATH_MAX + 300];
	DIR *d;
	struct dirent *e;

	snprintf(from, sizeof(from), "%s/pg_wal", j->aside);
	snprintf(to, sizeof(to), "%s/pg_wal", j->d->cfg.pgdata);
	mkdir(to, 0700);
	d = opendir(from);
	while (d && (e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 24 || !wal_name_valid(e->d_name) ||
		    basecat_segment_cmp(e->d_name, j->base.wal_start) < 0)
			continue;
		snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
		if (!segment_written_here(a, e->d_name, j))
			continue;
		snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
		if (copy_file(a, b) == 0) {
			char err[512];
			j->wal_copied++;
			if (wal_push(j->d->cfg.backup_dir, j->cluster, j->k, a,
				     e->d_name, err, sizeof(err)) < 0)
				log_warn("the old pg_wal's '%s' is not "
					 "archived: "
					 "%s",
					 e->d_name, err);
		} else
			log_warn(
				"the old pg_wal's '%s' could not be copied: %s",
				e->d_name, strerror(errno));
	}
	if (d)
		closedir(d);
}

/* Archive recovery to the end of the WAL, then promotion (no target). */
static int recovery_settings(struct restore_job *j)
{
	char fetch[2 * PATH_MAX + 96];

	if (daemon_tool_command(j->d, "wal-fetch %f %p", fetch, sizeof(fetch)) <
	    0) {
		snprintf(j->why, sizeof(j->why), "unable to find pgwarden");
		return -1;
	}
	return baselay_recovery_settings(j->d->cfg.pgdata, fetch, j->why,
					 sizeof(j->why));
}

/* Put things back as they were: the new directory aside as well, the
 * damaged one where it was. */
static void undo(struct restore_job *j)
{
	char failed[PATH_MAX], stamp[32];

	snprintf(failed, sizeof(failed), "%s.failed-restore-%s",
		 j->d->cfg.pgdata, tm_stamp(tm_now(), stamp));
	if (rename(j->d->cfg.pgdata, failed) == 0)
		log_warn("the unfinished data directory is kept as '%s'",
			 failed);
	if (rename(j->aside, j->d->cfg.pgdata) < 0)
		log_error("unable to move '%s' back to '%s': %s", j->aside,
			  j->d->cfg.pgdata, strerror(errno));
}

/* The backups' key is read here, for this restore only: a bad key file
 * must not stop pgwarden-db from serving the database. */
static int load_key(struct restore_job *j)
{
	char err[256];
	int have = crypt_key_configured(j->d->cfg.encryption_key_file, &j->key,
					err, sizeof(err));

	if (have < 0) {
		snprintf(j->why, sizeof(j->why), "%s", err);
		return -1;
	}
	j->k = have ? &j->key : NULL;
	manifest_auth_key(j->k);
	return 0;
}

static int prepare(struct restore_job *j)
{
	char id[32], stamp[32];

	if (load_key(j) < 0 || cluster_of(j, id, sizeof(id)) < 0 ||
	    (snprintf(j->cluster, sizeof(j->cluster), "%s", id),
	     basecat_choose(j->d->cfg.backup_dir, id, j->k, &j->base, j->last,
			    sizeof(j->last), j->why, sizeof(j->why))) < 0 ||
	    check_space(j) < 0)
		return -1;
	snprintf(j->aside, sizeof(j->aside), "%s.damaged-%s", j->d->cfg.pgdata,
		 tm_stamp(tm_now(), stamp));
	return 0;
}

static void finish(struct restore_job *j)
{
	manifest_auth_key(NULL);
	crypt_key_wipe(&j->key);
}

void physical_restore(struct server *s, const struct daemon *d,
		      const char *reason)
{
	struct restore_job j = {.s = s, .d = d};
	char msg[PATH_MAX + 600];

	log_warn("physical restore requested: %s", reason);
	s->physical_attempts++;
	if (prepare(&j) < 0) {
		log_error("physical restore refused: %s", j.why);
		set_outcome(&j, "failed");
		finish(&j);
		return;
	}
	snprintf(s->state, sizeof(s->state), "restoring");
	server_write_status(s, d);
	server_stop(s, 10000);
	if (rename(d->cfg.pgdata, j.aside) < 0) {
		snprintf(j.why, sizeof(j.why), "unable to move '%s' aside: %s",
			 d->cfg.pgdata, strerror(errno));
		log_error("physical restore failed: %s", j.why);
		set_outcome(&j, "failed");
		s->next_start_ms = 0;
		finish(&j);
		return;
	}
	log_info("damaged data directory kept as '%s'", j.aside);
	if (lay_down(&j, j.k) < 0 ||
	    (copy_old_wal(&j), recovery_settings(&j)) < 0) {
		log_error("physical restore failed: %s", j.why);
		undo(&j);
		set_outcome(&j, "failed");
		s->next_start_ms = 0;
		finish(&j);
		return;
	}
	snprintf(s->damaged_dir, sizeof(s->damaged_dir), "%s", j.aside);
	s->generation++;
	s->physical_generation = s->generation;
	s->start_failures = 0;
	s->next_start_ms = 0;
	snprintf(j.why, sizeof(j.why),
		 "base backup %s, archive up to %s, %d segments of the old "
		 "pg_wal",
		 j.base.file, j.last, j.wal_copied);
	set_outcome(&j, "started");
	snprintf(
		msg, sizeof(msg),
		"Physical restore started (%s): %s. The damaged data directory "
		"is kept as '%s'.",
		reason, j.why, j.aside);
	log_info("%s", msg);
	alert_emit(ALERT_WARNING, "physical-restore", "Physical Restore", msg,
		   NULL);
	finish(&j);
}
