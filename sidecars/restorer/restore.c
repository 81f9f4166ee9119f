#include "restore.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "extproc.h"
#include "bfile.h"
#include "fs.h"
#include "gz.h"
#include "log.h"
#include "pg.h"
#include "progress.h"
#include "proto.h"
#include "tm.h"

/* Asked at every chunk a restore feeds psql: the request file is looked
 * at five times a second at most, which is soon enough to give way. */
#define YIELD_LOOK_MS 200

bool restore_stopped(const struct restore_ctx *ctx)
{
	static int64_t next_look;
	static bool asked;
	int64_t now;

	if (*ctx->stop)
		return true;
	if (!ctx->yield_to)
		return false;
	now = tm_mono_ms();
	if (now >= next_look) {
		asked = fs_size(ctx->cfg->backup_dir, ctx->yield_to) >= 0;
		next_look = now + YIELD_LOOK_MS;
	}
	return asked;
}

struct feed {
	int fd;
	const struct restore_ctx *ctx;
	bool psql_gone; /* psql closed its input: its exit says why */
	struct progress prog;
};

static int feed_psql(void *arg, const void *data, size_t len)
{
	struct feed *f = arg;
	const char *p = data;

	while (len > 0) {
		ssize_t n;
		if (restore_stopped(f->ctx))
			return -1;
		n = write(f->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			f->psql_gone = errno == EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		progress_add(&f->prog, n);
	}
	return 0;
}

/* psql's standard output, read as it comes by a thread, so psql never
 * blocks on it while the main thread feeds its input. */
struct tag_reader {
	pthread_t thread;
	int fd;
	struct copy_tags *tags;
};

static void *read_tags(void *arg)
{
	struct tag_reader *r = arg;

	copy_tags_drain(r->tags, r->fd);
	return NULL;
}

/* out_fd receives the write end for psql, or -1 when no tags are wanted. */
static int tag_reader_start(struct tag_reader *r, struct copy_tags *tags,
			    int *out_fd)
{
	int p[2];

	r->tags = tags;
	r->fd = *out_fd = -1;
	if (!tags)
		return 0;
	copy_tags_free(tags); /* from a clean slate whatever came before */
	copy_tags_init(tags);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	r->fd = p[0];
	*out_fd = p[1];
	if (pthread_create(&r->thread, NULL, read_tags, r) != 0) {
		close(p[0]);
		close(p[1]);
		r->fd = *out_fd = -1;
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

/* After psql has ended (or was never started: out_fd closed first). */
static void tag_reader_join(struct tag_reader *r)
{
	if (r->fd < 0)
		return;
	pthread_join(r->thread, NULL);
	close(r->fd);
	r->fd = -1;
}

static void psql_argv(const char *argv[], const char *psql,
		      const char *conninfo, int on_error_stop, bool tags)
{
	int a = 0;

	argv[a++] = psql;
	argv[a++] = "-X";
	argv[a++] = "--no-password";
	if (!tags)
		argv[a++] =
			"-q"; /* with tags wanted, they are the row counts */
	argv[a++] = "-v";
	argv[a++] = on_error_stop ? "ON_ERROR_STOP=1" : "ON_ERROR_STOP=0";
	/* "ERROR:  42704: ...": the SQLSTATE tells whose fault it was */
	argv[a++] = "-v";
	argv[a++] = "VERBOSITY=verbose";
	/* No --single-transaction: one transaction locks every table and
	 * index it creates, and a few thousand tables exceed the lock table
	 * (max_locks_per_transaction). The restore goes into a temporary
	 * database that is swapped in only once verified, and dropped on any
	 * error, which is what makes it all-or-nothing for the live one. */
	argv[a++] = "-d";
	argv[a++] = conninfo;
	argv[a] = NULL;
}

int restore_into(const struct restore_ctx *ctx, const char *file, int64_t total,
		 const char *db, int on_error_stop, struct copy_tags *tags,
		 char *err, size_t errlen)
{
	char psql[PATH_MAX], conninfo[512], gzerr[256], cerr[512];
	const char *argv[14];
	struct child c;
	struct feed f = {.fd = -1, .ctx = ctx};
	struct tag_reader reader;
	int rc, out;

	if (pg_bin(ctx->cfg, "psql", psql, sizeof(psql)) < 0) {
		snprintf(err, errlen, "psql not found");
		return -1;
	}
	pg_conninfo_dbname(db, conninfo, sizeof(conninfo));
	psql_argv(argv, psql, conninfo, on_error_stop, tags != NULL);
	if (tag_reader_start(&reader, tags, &out) < 0) {
		snprintf(err, errlen, "unable to read psql's output: %s",
			 strerror(errno));
		return -1;
	}
	rc = child_start_writing(&c, argv, &f.fd, out);
	if (out >= 0)
		close(out); /* psql holds it now: its exit ends the reader */
	if (rc < 0) {
		snprintf(err, errlen, "unable to start psql: %s",
			 strerror(errno));
		tag_reader_join(&reader);
		return -1;
	}
	progress_begin(&f.prog, ctx->cfg->backup_dir,
		       ctx->yield_to ? "drill" : "recovery", file, total);
	rc = bfile_read(ctx->cfg->backup_dir, file, ctx->key, feed_psql, &f,
			NULL, gzerr, sizeof(gzerr));
	/* psql must not commit what it got of a bad file; when psql stopped
	 * by itself, its exit says why */
	if (rc < 0 && !f.psql_gone)
		child_kill(&c, 2000);
	close(f.fd);
	if ((rc == 0 || f.psql_gone) &&
	    child_finish(&c, cerr, sizeof(cerr)) < 0) {
		snprintf(err, errlen, "restore of '%s' failed: %s", file, cerr);
		rc = -1;
	} else if (rc < 0) {
		snprintf(err, errlen, "%s while reading '%s': %s",
			 restore_stopped(ctx) ? "interrupted" : "error", file,
			 gzerr);
	}
	tag_reader_join(&reader);
	progress_end(&f.prog);
	return rc;
}

/* SQLSTATE classes that mean the dump itself is wrong: data the table
 * cannot take, SQL that does not parse or names what the dump never made.
 * Everything else (a missing role or extension, a procedure's refusal, an
 * internal error, a lost connection) is the server's or pgwarden's. */
static bool file_fault(const char *err)
{
	static const char *const codes[] = {"22",    "23",    "42601",
					    "42P01", "42703", "42883"};
	const char *e = strstr(err, "ERROR:  ");

	if (strstr(err, "connection to server") ||
	    strstr(err, "server closed the connection"))
		return false;
	if (!e) /* no SQL error: the file did not read back, or psql died */
		return true;
	e += strlen("ERROR:  ");
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strncmp(e, codes[i], strlen(codes[i])) == 0)
			return true;
	return false;
}

int restore_database(const struct restore_ctx *ctx, const struct manifest *m,
		     const char *db, struct copy_tags *tags, bool *server_fault,
		     char *err, size_t errlen)
{
	struct ext_session s;
	char e2[512];
	bool fault = false;
	int rc = -1;

	if (ext_prepare(ctx->cfg, db, m, &s, &fault, err, errlen) == 0) {
		if (restore_into(ctx, m->file, m->uncompressed_size, db, 1,
				 tags, err, errlen) < 0) {
			fault = !file_fault(err);
			ext_finish(&s, e2, sizeof(e2));
		} else if (ext_finish(&s, err, errlen) < 0) {
			fault = true;
		} else {
			rc = 0;
		}
	}
	if (server_fault)
		*server_fault = fault;
	return rc;
}

/* The rows the server reported loading, against the manifest. 1 when they
 * match, 0 when they cannot be lined up (counted instead), -1 when a table
 * got another number of rows than the backup had. */
static int check_copy_tags(const struct manifest *m,
			   const struct copy_tags *tags, char *err,
			   size_t errlen)
{
	if (!tags || tags->lost || tags->n != m->ntables) {
		if (tags)
			log_info("psql reported %d COPY results%s for %d "
				 "tables: counting rows instead",
				 tags->n, tags->lost ? " (some lost)" : "",
				 m->ntables);
		return 0;
	}
	for (int i = 0; i < m->ntables; i++)
		if (tags->rows[i] != m->table_rows[i].rows) {
			snprintf(err, errlen,
				 "table %s: the server loaded %lld rows, the "
				 "backup had %lld",
				 m->table_rows[i].name,
				 (long long)tags->rows[i],
				 (long long)m->table_rows[i].rows);
			return -1;
		}
	return 1;
}

/* Every table of the manifest read back: counted whole, or (when the
 * server's own COPY counts were already checked) one row read back, or none
 * when the backup had none. */
static int read_tables(PGconn *conn, const struct manifest *m, bool count,
		       char *err, size_t errlen)
{
	char e[512], sql[1400], ref[1100];
	int64_t n;

	for (int i = 0; i < m->ntables; i++) {
		const char *t = m->table_rows[i].name;
		int64_t want = m->table_rows[i].rows;
		/* the manifest is not trusted to be SQL: the server resolves
		 * the name as a parameter (docs/THREATS.md) */
		int found =
			pg_table_ref(conn, t, ref, sizeof(ref), e, sizeof(e));
		if (found <= 0) {
			snprintf(err, errlen, "table %s: %s", t,
				 found == 0 ? "not in the restored database"
					    : e);
			return -1;
		}
		snprintf(sql, sizeof(sql),
			 count ? "SELECT count(*) FROM %s"
			       : "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT "
				 "1) s",
			 ref);
		if (pg_value_int64(conn, sql, &n, e, sizeof(e)) < 0) {
			snprintf(err, errlen, "table %s: %s", t, e);
			return -1;
		}
		if (count && n != want) {
			snprintf(err, errlen,
				 "table %s has %lld rows, the backup had %lld",
				 t, (long long)n, (long long)want);
			return -1;
		}
		if (!count && n != (want > 0)) {
			snprintf(err, errlen, "table %s reads back %s", t,
				 n ? "rows, the backup had none" : "no rows");
			return -1;
		}
	}
	return 0;
}

int restore_verify(const struct restore_ctx *ctx, const char *db,
		   const struct manifest *m, const struct copy_tags *tags,
		   char *err, size_t errlen)
{
	char e[512];
	PGconn *conn;
	int64_t n;
	int rc = check_copy_tags(m, tags, err, errlen);

	(void)ctx;
	if (rc < 0)
		return -1;
	conn = pg_connect(db, 10, 0, e, sizeof(e));
	if (!conn) {
		snprintf(err, errlen,
			 "unable to connect to the restored database: %s", e);
		return -1;
	}
	rc = read_tables(conn, m, rc == 0, err, errlen);
	if (rc == 0 &&
	    pg_value_int64(conn,
			   "SELECT count(*) FROM pg_class c JOIN pg_namespace "
			   "s ON s.oid = c.relnamespace "
			   "WHERE c.relkind IN ('r','p') AND s.nspname NOT IN "
			   "('pg_catalog','information_schema') "
			   "AND s.nspname NOT LIKE 'pg\\_toast%'",
			   &n, e, sizeof(e)) == 0 &&
	    n < m->tables) {
		snprintf(err, errlen, "%lld tables restored, the backup had %d",
			 (long long)n, m->tables);
		rc = -1;
	}
	PQfinish(conn);
	return rc;
}
