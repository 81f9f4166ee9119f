#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "bfile.h"
#include "child.h"
#include "dumpscan.h"
#include "fs.h"
#include "gz.h"
#include "hash.h"
#include "lockwait.h"
#include "log.h"
#include "manifest.h"
#include "progress.h"
#include "pg.h"
#include "proto.h"
#include "tm.h"

#define READ_CHUNK (128 * 1024)
/* How often a quiet pg_dump is looked at: a recovery waiting, a lock */
#define TICK_MS 500

/* Everything one streaming backup needs while it runs. */
struct stream {
	struct bfile_writer *out; /* compressed, checked, hashed (bfile.h) */
	int64_t in_bytes;
	int64_t t0_ms, last_progress_ms;
	struct dumpscan scan;
	const char *appname;  /* pg_dump's session; NULL for the globals */
	struct progress prog; /* job-progress, for pgwarden status */
	int64_t last_data_ms; /* when pg_dump last wrote */
	int64_t next_lock_look_ms;
	bool lock_told;	       /* the lock wait was alerted */
	char lock_holder[512]; /* as alerted */
};

static void progress(const struct backup_ctx *ctx, struct stream *st,
		     const char *file)
{
	int64_t now = tm_mono_ms();
	double secs;

	if (now - st->last_progress_ms <
	    (int64_t)ctx->cfg->progress_interval * 1000)
		return;
	st->last_progress_ms = now;
	secs = (double)(now - st->t0_ms) / 1000.0;
	log_info("%s: %.1f MiB dumped, %.1f MiB written, %.1f MiB/s", file,
		 (double)st->in_bytes / 1048576.0,
		 (double)bfile_written(st->out) / 1048576.0,
		 secs > 0 ? (double)st->in_bytes / 1048576.0 / secs : 0.0);
}

/* pg_dump has been quiet for a tick: a recovery that waits for the jobs
 * lock cancels the backup (it never waits behind one); a lock wait past
 * lock_wait_alert is a WARNING naming the holder, once. */
static int quiet_tick(const struct backup_ctx *ctx, struct stream *st,
		      const char *file, char *why, size_t whylen)
{
	int64_t now = tm_mono_ms();
	char holder[512];

	if (proto_recovery_active(ctx->cfg->backup_dir)) {
		snprintf(why, whylen,
			 "cancelled: a recovery pre-empts the backup");
		return -1;
	}
	if (!st->appname || st->lock_told || now < st->next_lock_look_ms ||
	    now - st->last_data_ms < (int64_t)ctx->cfg->lock_wait_alert * 1000)
		return 0;
	st->next_lock_look_ms = now + 1000;
	if (lockwait_describe(st->appname, holder, sizeof(holder)) != 1)
		return 0;
	st->lock_told = true;
	snprintf(st->lock_holder, sizeof(st->lock_holder), "%s", holder);
	log_warn("%s: %s (the backup fails after %d s)", file, holder,
		 ctx->cfg->lock_wait_timeout);
	alert_emit(ALERT_WARNING, "backup-lock-wait", "Database Backup",
		   "A backup is waiting on a lock another session holds",
		   holder);
	return 0;
}

/* Pump pg_dump's stdout through the scanner and the compressor. */
static int pump(const struct backup_ctx *ctx, int in_fd, struct stream *st,
		const char *file, char *why, size_t whylen)
{
	char *buf = malloc(READ_CHUNK);

	if (!buf) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	st->last_data_ms = tm_mono_ms();
	for (;;) {
		struct pollfd pfd = {.fd = in_fd, .events = POLLIN};
		int ready = poll(&pfd, 1, TICK_MS);
		ssize_t n;
		if (*ctx->stop) {
			snprintf(why, whylen, "interrupted by shutdown");
			break;
		}
		if (ready == 0 || (ready < 0 && errno == EINTR)) {
			if (ready == 0 &&
			    quiet_tick(ctx, st, file, why, whylen) < 0)
				break;
			continue;
		}
		n = read(in_fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "read from pg_dump: %s",
				 strerror(errno));
			break;
		}
		if (n == 0) {
			free(buf);
			return 0;
		}
		if (st->lock_told && !st->in_bytes)
			log_info("%s: the lock was released, the dump goes on",
				 file);
		st->last_data_ms = tm_mono_ms();
		st->in_bytes += n;
		progress_add(&st->prog, n);
		dumpscan_feed(&st->scan, buf, (size_t)n);
		if (bfile_write(st->out, buf, (size_t)n, why, whylen) < 0)
			break;
		progress(ctx, st, file);
	}
	free(buf);
	return -1;
}

/* Facts about the database, read in the snapshot pg_dump will use. */
struct db_facts {
	PGconn *conn;
	char snapshot[128];
	int tables;
	int64_t size;
	char version[64];
};

static const char *const count_tables_sql =
	"SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
	"c.relnamespace "
	"WHERE c.relkind IN ('r', 'p') "
	"AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
	"AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE "
	"'pg\\_temp\\_%' "
	"AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = "
	"'pg_class'::regclass "
	"AND d.objid = c.oid AND d.deptype = 'e')";

static int facts_open(const char *db, struct db_facts *f, char *why,
		      size_t whylen)
{
	char err[512];

	memset(f, 0, sizeof(*f));
	f->conn = pg_connect(db, 10, 0, err, sizeof(err));
	if (!f->conn) {
		snprintf(why, whylen, "unable to connect to '%s': %s", db, err);
		return -1;
	}
	if (pg_exec(f->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
		    err, sizeof(err)) < 0 ||
	    pg_value(f->conn, "SELECT pg_export_snapshot()", f->snapshot,
		     sizeof(f->snapshot), err, sizeof(err)) < 0 ||
	    pg_value(f->conn, "SHOW server_version", f->version,
		     sizeof(f->version), err, sizeof(err)) < 0 ||
	    pg_value_int64(f->conn,
			   "SELECT pg_database_size(current_database())",
			   &f->size, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "unable to read '%s': %s", db, err);
		PQfinish(f->conn);
		f->conn = NULL;
		return -1;
	}
	int64_t t = 0;
	if (pg_value_int64(f->conn, count_tables_sql, &t, err, sizeof(err)) <
	    0) {
		snprintf(why, whylen, "unable to count tables of '%s': %s", db,
			 err);
		PQfinish(f->conn);
		f->conn = NULL;
		return -1;
	}
	f->tables = (int)t;
	return 0;
}

/* Every extension with its version and schema, in pg_dump's snapshot: a
 * restore creates the ones that need a procedure at exactly this version
 * (docs/EXTENSIONS.md). */
static int record_extensions(PGconn *conn, struct manifest *m, char *why,
			     size_t whylen)
{
	char err[512];
	PGresult *res = pg_query(
		conn,
		"SELECT e.extname, e.extversion, n.nspname FROM "
		"pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON "
		"n.oid = e.extnamespace ORDER BY 1",
		0, NULL, err, sizeof(err));
	int rc = 0;

	if (!res) {
		snprintf(why, whylen, "unable to list extensions: %s", err);
		return -1;
	}
	for (int i = 0; i < PQntuples(res) && rc == 0; i++)
		if ((rc = manifest_add_extension(m, PQgetvalue(res, i, 0),
						 PQgetvalue(res, i, 1),
						 PQgetvalue(res, i, 2))) < 0)
			snprintf(why, whylen,
				 "the database has more than %d extensions (or "
				 "a name too long): the manifest cannot record "
				 "them",
				 MANIFEST_MAX_EXTENSIONS);
	PQclear(res);
	return rc;
}

static void facts_close(struct db_facts *f)
{
	if (f->conn)
		PQfinish(f->conn);
	f->conn = NULL;
}

static void tool_version(const struct pgw_config *cfg, const char *tool,
			 char *out, size_t cap)
{
	char path[PATH_MAX], why[128];
	const char *argv[] = {path, "--version", NULL};

	out[0] = '\0';
	if (pg_bin(cfg, tool, path, sizeof(path)) == 0 &&
	    child_run(argv, out, cap, why, sizeof(why)) == 0)
		out[strcspn(out, "\n")] = '\0';
}

struct job {
	const struct backup_ctx *ctx;
	const char *file;
	struct stream st;
	struct manifest m;
	int64_t t0_wall_ms;
	time_t started;
};

/* Run argv with stdout into the backup file (job->st.out). */
static int stream_tool(struct job *j, const char *const argv[], char *why,
		       size_t whylen)
{
	const struct pgw_config *cfg = j->ctx->cfg;
	struct child c;
	int out, rc;
	char cwhy[512];

	if (child_start_reading(&c, argv, -1, &out) < 0) {
		snprintf(why, whylen, "unable to start %s: %s", argv[0],
			 strerror(errno));
		return -1;
	}
	rc = pump(j->ctx, out, &j->st, j->file, why, whylen);
	close(out);
	if (rc < 0) {
		child_kill(&c, 2000);
		return -1;
	}
	if (child_finish(&c, cwhy, sizeof(cwhy)) < 0) {
		/* pg_dump's lock wait ends as a statement timeout */
		if (j->st.appname && strstr(cwhy, "statement timeout"))
			snprintf(why, whylen,
				 "a table stayed locked longer than "
				 "lock_wait_timeout (%d s)%s%s: %s",
				 cfg->lock_wait_timeout,
				 j->st.lock_told ? "; " : "", j->st.lock_holder,
				 cwhy);
		else
			snprintf(why, whylen, "%s", cwhy);
		return -1;
	}
	return 0;
}

static int job_open(struct job *j, const struct backup_ctx *ctx,
		    const char *file, char *why, size_t whylen)
{
	memset(j, 0, sizeof(*j));
	j->ctx = ctx;
	j->file = file;
	j->st.out = bfile_create(ctx->cfg->backup_dir, file, ctx->key,
				 ctx->cfg->compression_level,
				 ctx->cfg->compress_threads, why, whylen);
	if (!j->st.out)
		return -1;
	j->st.t0_ms = j->st.last_progress_ms = tm_mono_ms();
	j->started = tm_now();
	dumpscan_init(&j->st.scan, &j->m);
	snprintf(j->m.file, sizeof(j->m.file), "%s", file);
	snprintf(j->m.format, sizeof(j->m.format), "plain-sql+gzip");
	snprintf(j->m.compressor, sizeof(j->m.compressor), "%s",
		 gzw_compressor());
	j->m.compression_level = ctx->cfg->compression_level;
	if (ctx->key) {
		snprintf(j->m.encryption, sizeof(j->m.encryption),
			 "aes-256-gcm");
		snprintf(j->m.key_id, sizeof(j->m.key_id), "%s",
			 ctx->key->id_hex);
	}
	return 0;
}

/* Close, verify, write the manifest, rename: in that order, so a manifest
 * never describes a partial file (README "What each sidecar does today"). */
static int job_commit(struct job *j, char *why, size_t whylen)
{
	const char *dir = j->ctx->cfg->backup_dir;
	struct bfile_facts facts;
	char t[TM_ISO_LEN];

	if (bfile_finish(j->st.out, &facts, why, whylen) < 0)
		return -1;
	snprintf(j->m.sha256, sizeof(j->m.sha256), "%s", facts.sha256);
	j->m.size = facts.size;
	j->m.uncompressed_size = facts.in_bytes;
	j->m.compression_pct =
		facts.in_bytes > 0
			? 100.0 * (1.0 - (double)facts.gz_bytes /
						 (double)facts.in_bytes)
			: 0;
	j->m.duration_ms = tm_mono_ms() - j->st.t0_ms;
	snprintf(j->m.started, sizeof(j->m.started), "%s",
		 tm_iso(j->started, t));
	snprintf(j->m.finished, sizeof(j->m.finished), "%s",
		 tm_iso(tm_now(), t));
	snprintf(j->m.status, sizeof(j->m.status), "valid");
	for (int i = 0; i < j->m.ntables; i++)
		j->m.rows_total += j->m.table_rows[i].rows;
	if (manifest_write(dir, &j->m) < 0) {
		snprintf(why, whylen,
			 "unable to write the manifest of '%s': %s", j->file,
			 strerror(errno));
		return -1;
	}
	if (bfile_commit(j->st.out, why, whylen) < 0) {
		char mname[NAME_MAX + 1], path[PATH_MAX];
		proto_manifest_name(j->file, mname, sizeof(mname));
		unlink(fs_join(path, dir, mname));
		return -1;
	}
	return 0;
}

/* ok or not: what is not committed is removed */
static void job_close(struct job *j)
{
	bfile_discard(j->st.out);
	j->st.out = NULL;
	progress_end(&j->st.prog);
	manifest_free(&j->m);
}

static void job_result(struct job *j, struct backup_result *r, bool ok)
{
	snprintf(r->file, sizeof(r->file), "%s", j->file);
	r->ok = ok;
	r->size = j->m.size;
	r->uncompressed = j->m.uncompressed_size;
	r->database_size = j->m.database_size;
	r->tables = j->m.tables;
	r->compression_pct = j->m.compression_pct;
	r->duration_ms = j->m.duration_ms;
}

static int check_dump(const struct job *j, const struct db_facts *f, char *why,
		      size_t whylen)
{
	if (j->st.scan.oom) {
		snprintf(why, whylen, "out of memory while reading the dump");
		return -1;
	}
	if (!j->st.scan.complete) {
		snprintf(why, whylen,
			 "the dump has no completion marker (pg_dump stopped "
			 "early)");
		return -1;
	}
	if (f && j->st.scan.tables != f->tables) {
		snprintf(why, whylen,
			 "the dump defines %d tables, the catalogue has %d",
			 j->st.scan.tables, f->tables);
		return -1;
	}
	return 0;
}

int backup_database(const struct backup_ctx *ctx, const char *db,
		    const char *stamp, struct backup_result *r)
{
	struct backup_name bn = {.kind = BACKUP_DATABASE,
				 .encrypted = ctx->key != NULL};
	char file[NAME_MAX + 1], pgdump[PATH_MAX], conninfo[640], snap[160],
		lockwait[48], appname[64];
	/* pgwarden's own schema (the monitor's heartbeat) keeps its
	 * definition and owner, so a least-privilege monitor finds it after
	 * a restore, but never its rows: an old heartbeat must not come back.
	 * A lock is never waited for forever. */
	const char *argv[] = {pgdump,
			      "--no-password",
			      "--exclude-table-data=" PGW_OWN_SCHEMA ".*",
			      snap,
			      lockwait,
			      "-d",
			      conninfo,
			      NULL};
	size_t o;
	struct db_facts f;
	struct job j;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	snprintf(bn.stamp, sizeof(bn.stamp), "%s", stamp);
	snprintf(bn.database, sizeof(bn.database), "%s", db);
	if (proto_backup_filename(&bn, file, sizeof(file)) < 0) {
		snprintf(r->error, sizeof(r->error),
			 "database name '%s' is too long", db);
		return -1;
	}
	snprintf(r->file, sizeof(r->file), "%s", file);
	if (pg_bin(ctx->cfg, "pg_dump", pgdump, sizeof(pgdump)) < 0) {
		snprintf(r->error, sizeof(r->error), "pg_dump not found: %s",
			 strerror(errno));
		return -1;
	}
	if (facts_open(db, &f, r->error, sizeof(r->error)) < 0)
		return -1;
	snprintf(snap, sizeof(snap), "--snapshot=%s", f.snapshot);
	snprintf(lockwait, sizeof(lockwait), "--lock-wait-timeout=%ds",
		 ctx->cfg->lock_wait_timeout);
	lockwait_appname(appname, sizeof(appname));
	pg_conninfo_dbname(db, conninfo, sizeof(conninfo));
	o = strlen(conninfo);
	snprintf(conninfo + o, sizeof(conninfo) - o, " application_name='%s'",
		 appname);
	if (job_open(&j, ctx, file, r->error, sizeof(r->error)) == 0) {
		j.st.appname = appname;
		/* the database's size: about what pg_dump will write */
		progress_begin(&j.st.prog, ctx->cfg->backup_dir, "backup", file,
			       f.size);
		snprintf(j.m.kind, sizeof(j.m.kind), "database");
		snprintf(j.m.database, sizeof(j.m.database), "%s", db);
		snprintf(j.m.server_version, sizeof(j.m.server_version), "%s",
			 f.version);
		tool_version(ctx->cfg, "pg_dump", j.m.pg_dump_version,
			     sizeof(j.m.pg_dump_version));
		j.m.database_size = f.size;
		if (record_extensions(f.conn, &j.m, r->error,
				      sizeof(r->error)) == 0 &&
		    stream_tool(&j, argv, r->error, sizeof(r->error)) == 0) {
			dumpscan_finish(&j.st.scan);
			j.m.tables = j.st.scan.tables;
			if (check_dump(&j, &f, r->error, sizeof(r->error)) ==
				    0 &&
			    job_commit(&j, r->error, sizeof(r->error)) == 0)
				rc = 0;
		}
	}
	facts_close(&f);
	job_result(&j, r, rc == 0);
	job_close(&j);
	return rc;
}

int backup_globals(const struct backup_ctx *ctx, const char *stamp,
		   struct backup_result *r)
{
	struct backup_name bn = {.kind = BACKUP_GLOBALS,
				 .encrypted = ctx->key != NULL};
	char file[NAME_MAX + 1], tool[PATH_MAX];
	const char *argv[] = {tool, "--globals-only", "--no-password", NULL};
	struct job j;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	snprintf(bn.stamp, sizeof(bn.stamp), "%s", stamp);
	proto_backup_filename(&bn, file, sizeof(file));
	snprintf(r->file, sizeof(r->file), "%s", file);
	if (pg_bin(ctx->cfg, "pg_dumpall", tool, sizeof(tool)) < 0) {
		snprintf(r->error, sizeof(r->error), "pg_dumpall not found");
		return -1;
	}
	if (job_open(&j, ctx, file, r->error, sizeof(r->error)) == 0) {
		snprintf(j.m.kind, sizeof(j.m.kind), "globals");
		tool_version(ctx->cfg, "pg_dumpall", j.m.pg_dump_version,
			     sizeof(j.m.pg_dump_version));
		if (stream_tool(&j, argv, r->error, sizeof(r->error)) == 0) {
			dumpscan_finish(&j.st.scan);
			if (check_dump(&j, NULL, r->error, sizeof(r->error)) ==
				    0 &&
			    job_commit(&j, r->error, sizeof(r->error)) == 0)
				rc = 0;
		}
	}
	job_result(&j, r, rc == 0);
	job_close(&j);
	return rc;
}

void backup_cleanup_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX], backup[NAME_MAX + 1];
	size_t n, ps = strlen(PROTO_PARTIAL_SUFFIX),
		  ms = strlen(PROTO_MANIFEST_SUFFIX);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n > ps &&
		    strcmp(e->d_name + n - ps, PROTO_PARTIAL_SUFFIX) == 0) {
			log_warn("removing '%s' left by an interrupted backup",
				 e->d_name);
			unlink(fs_join(path, dir, e->d_name));
		} else if (n > ms && strcmp(e->d_name + n - ms,
					    PROTO_MANIFEST_SUFFIX) == 0) {
			snprintf(backup, sizeof(backup), "%.*s", (int)(n - ms),
				 e->d_name);
			if (fs_size(dir, backup) < 0) {
				log_warn("removing manifest '%s': its backup "
					 "does not exist",
					 e->d_name);
				unlink(fs_join(path, dir, e->d_name));
			}
		}
	}
	closedir(d);
	fs_fsync_dir(dir);
}
