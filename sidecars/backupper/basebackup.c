/* basebackup.c - physical base backups (basebackup.h). */
#include "basebackup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "bfile.h"
#include "child.h"
#include "fs.h"
#include "log.h"
#include "lsn.h"
#include "manifest.h"
#include "pg.h"
#include "proto.h"
#include "tarscan.h"
#include "tm.h"

/* What the server says of itself before the backup. */
struct cluster_facts {
	char id[24], version[64];
	int64_t seg_size;
};

static int cluster_facts(struct cluster_facts *f, char *why, size_t whylen)
{
	char err[512];
	PGconn *conn = pg_connect("postgres", 10, 30, err, sizeof(err));
	int rc = -1;

	if (!conn) {
		snprintf(why, whylen, "unable to connect: %s", err);
		return -1;
	}
	if (pg_value(conn, "SELECT system_identifier FROM pg_control_system()",
		     f->id, sizeof(f->id), err, sizeof(err)) == 0 &&
	    pg_value(conn, "SHOW server_version", f->version,
		     sizeof(f->version), err, sizeof(err)) == 0 &&
	    pg_value_int64(conn,
			   "SELECT setting::bigint * CASE unit WHEN 'MB' THEN "
			   "1048576 WHEN 'kB' THEN 1024 ELSE 1 END FROM "
			   "pg_settings WHERE name = 'wal_segment_size'",
			   &f->seg_size, err, sizeof(err)) == 0)
		rc = 0;
	else
		snprintf(why, whylen, "unable to read the cluster's facts: %s",
			 err);
	PQfinish(conn);
	return rc;
}

int basebackup_cluster_id(char *id, size_t cap, char *why, size_t whylen)
{
	struct cluster_facts f;

	if (cluster_facts(&f, why, whylen) < 0)
		return -1;
	snprintf(id, cap, "%s", f.id);
	return 0;
}

/* The WAL range, as the tar's backup_label and backup_manifest give it. */
static int wal_range(const struct tarscan *ts, struct manifest *m,
		     int64_t seg_size, char *why, size_t whylen)
{
	uint64_t start, stop;

	if (tarscan_wal_range(ts, m->lsn_start, sizeof(m->lsn_start),
			      &m->timeline, m->lsn_stop,
			      sizeof(m->lsn_stop)) < 0 ||
	    lsn_parse(m->lsn_start, &start) < 0 ||
	    lsn_parse(m->lsn_stop, &stop) < 0 || stop < start ||
	    m->timeline == 0) {
		snprintf(why, whylen,
			 "the base backup's tar has no readable "
			 "backup_label or WAL range");
		return -1;
	}
	lsn_segment_name(m->timeline, start, (uint64_t)seg_size, m->wal_start,
			 sizeof(m->wal_start));
	/* the end point is the first byte after the backup's WAL */
	lsn_segment_name(m->timeline, stop > start ? stop - 1 : stop,
			 (uint64_t)seg_size, m->wal_stop, sizeof(m->wal_stop));
	return 0;
}

/* Copy the tar on out_fd into the writer, reading its WAL range. */
static void scan_tar(void *ts, const void *data, size_t len)
{
	tarscan_feed(ts, data, len);
}

/* pg_basebackup's tar of the whole cluster into w. */
static int run_tool(const struct backup_ctx *ctx, const char *label,
		    struct bfile_writer *w, struct tarscan *ts, char *why,
		    size_t whylen)
{
	char tool[PATH_MAX], lab[96], cwhy[512];
	const char *argv[] = {tool, "-D",   "-",  "-F", "tar", "-X", "none",
			      "-c", "fast", "-l", lab,	"-w",  NULL};
	struct child c;
	int out, rc;

	snprintf(lab, sizeof(lab), "%s", label);
	if (pg_bin(ctx->cfg, "pg_basebackup", tool, sizeof(tool)) < 0 ||
	    child_start_reading(&c, argv, -1, &out) < 0) {
		snprintf(why, whylen, "unable to start pg_basebackup: %s",
			 strerror(errno));
		return -1;
	}
	rc = bfile_write_fd(w, out, scan_tar, ts, ctx->stop, why, whylen);
	close(out);
	if (rc < 0) {
		child_kill(&c, 2000);
		return -1;
	}
	if (child_finish(&c, cwhy, sizeof(cwhy)) < 0) {
		snprintf(why, whylen, "%s", cwhy);
		return -1;
	}
	return 0;
}

static int write_manifest(const struct backup_ctx *ctx, struct manifest *m,
			  struct bfile_writer *w, time_t started, int64_t t0,
			  char *why, size_t whylen)
{
	struct bfile_facts facts;
	char t[TM_ISO_LEN];

	if (bfile_finish(w, &facts, why, whylen) < 0)
		return -1;
	snprintf(m->sha256, sizeof(m->sha256), "%s", facts.sha256);
	m->size = facts.size;
	m->uncompressed_size = facts.in_bytes;
	m->compression_pct =
		facts.in_bytes > 0
			? 100.0 * (1.0 - (double)facts.gz_bytes /
						 (double)facts.in_bytes)
			: 0;
	m->duration_ms = tm_mono_ms() - t0;
	tm_iso(started, t);
	snprintf(m->started, sizeof(m->started), "%s", t);
	tm_iso(tm_now(), t);
	snprintf(m->finished, sizeof(m->finished), "%s", t);
	snprintf(m->status, sizeof(m->status), "valid");
	if (manifest_write(ctx->cfg->backup_dir, m) < 0) {
		snprintf(why, whylen,
			 "unable to write the manifest of '%s': %s", m->file,
			 strerror(errno));
		return -1;
	}
	if (bfile_commit(w, why, whylen) < 0) {
		char mname[NAME_MAX + 1], path[PATH_MAX];
		proto_manifest_name(m->file, mname, sizeof(mname));
		unlink(fs_join(path, ctx->cfg->backup_dir, mname));
		return -1;
	}
	return 0;
}

static bool stamp_taken(const char *dir, const char *stamp)
{
	char name[NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s%s.tar.gz", PROTO_BASE_PREFIX, stamp);
	if (fs_size(dir, name) >= 0)
		return true;
	snprintf(name, sizeof(name), "%s%s.tar.gz%s", PROTO_BASE_PREFIX, stamp,
		 PROTO_ENCRYPTED_SUFFIX);
	return fs_size(dir, name) >= 0;
}

static int take(const struct backup_ctx *ctx, struct manifest *m, char *why,
		size_t whylen)
{
	struct cluster_facts f;
	struct bfile_writer *w;
	struct tarscan *ts = malloc(sizeof(*ts));
	char stamp[32], label[64];
	time_t started = tm_now();
	int64_t t0 = tm_mono_ms();
	int rc = -1;

	if (!ts || cluster_facts(&f, why, whylen) < 0) {
		free(ts);
		return -1;
	}
	tarscan_init(ts);
	/* a stamp of its own: never the name of an earlier base backup */
	for (;;) {
		tm_stamp(tm_now(), stamp);
		snprintf(m->file, sizeof(m->file), "%s%s.tar.gz%s",
			 PROTO_BASE_PREFIX, stamp,
			 ctx->key ? PROTO_ENCRYPTED_SUFFIX : "");
		if (!stamp_taken(ctx->cfg->backup_dir, stamp))
			break;
		tm_sleep_ms(200);
	}
	snprintf(m->kind, sizeof(m->kind), "base");
	snprintf(m->format, sizeof(m->format), "tar+gzip");
	snprintf(m->compressor, sizeof(m->compressor), "%s", gzw_compressor());
	m->compression_level = ctx->cfg->compression_level;
	snprintf(m->cluster_id, sizeof(m->cluster_id), "%s", f.id);
	m->wal_segment_size = f.seg_size;
	snprintf(m->server_version, sizeof(m->server_version), "%s", f.version);
	if (ctx->key) {
		snprintf(m->encryption, sizeof(m->encryption), "aes-256-gcm");
		snprintf(m->key_id, sizeof(m->key_id), "%s", ctx->key->id_hex);
	}
	snprintf(label, sizeof(label), "pgwarden %s", stamp);
	w = bfile_create(ctx->cfg->backup_dir, m->file, ctx->key,
			 ctx->cfg->compression_level,
			 ctx->cfg->compress_threads, why, whylen);
	if (w && run_tool(ctx, label, w, ts, why, whylen) == 0 &&
	    wal_range(ts, m, f.seg_size, why, whylen) == 0 &&
	    write_manifest(ctx, m, w, started, t0, why, whylen) == 0)
		rc = 0;
	bfile_discard(w);
	free(ts);
	return rc;
}

int basebackup_run(const struct backup_ctx *ctx, const char *reason)
{
	struct manifest m;
	char why[512], details[1024], sz[32];
	int lock, rc;

	lock = fs_lock(ctx->cfg->backup_dir, PROTO_LOCK_JOBS, -1,
		       (volatile const int *)ctx->stop);
	if (lock < 0)
		return -1;
	log_info("base backup starting (%s)", reason);
	memset(&m, 0, sizeof(m));
	rc = take(ctx, &m, why, sizeof(why));
	fs_unlock(lock);
	if (rc < 0) {
		log_error("base backup failed: %s", why);
		if (!*ctx->stop)
			alert_emit(ALERT_ERROR, "basebackup-failed",
				   "Base Backup", "Base backup failed", why);
		manifest_free(&m);
		return -1;
	}
	log_info("base backup '%s' done: %.1f MiB, WAL %s..%s, %.1f s", m.file,
		 (double)m.size / 1048576.0, m.wal_start, m.wal_stop,
		 (double)m.duration_ms / 1000.0);
	snprintf(details, sizeof(details),
		 "• File: %s\n• Size: %s\n• Timeline: %u\n• WAL needed from: "
		 "%s (LSN %s)\n• Consistent at: LSN %s\n",
		 m.file, fs_human_size(m.size, sz, sizeof(sz)), m.timeline,
		 m.wal_start, m.lsn_start, m.lsn_stop);
	alert_emit(ALERT_SUCCESS, "basebackup", "Base Backup",
		   "Base backup completed successfully!", details);
	manifest_free(&m);
	return 0;
}
