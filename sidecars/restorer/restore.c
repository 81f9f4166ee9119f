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

#include "catalog.h"
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

static int q_ident(PGconn *c, const char *s, char *out, size_t cap, char *err,
		   size_t errlen)
{
	if (pg_quote_ident(c, s, out, cap) == 0)
		return 0;
	snprintf(err, errlen, "unable to quote '%s'", s);
	return -1;
}

int db_exists(PGconn *admin, const char *name)
{
	char q[300], sql[400], v[16], err[256];

	if (pg_quote_literal(admin, name, q, sizeof(q)) < 0)
		return -1;
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM pg_database WHERE datname = %s", q);
	if (pg_value(admin, sql, v, sizeof(v), err, sizeof(err)) < 0)
		return -1;
	return strcmp(v, "0") != 0;
}

int db_create_like(PGconn *admin, const char *name, const char *like_db,
		   char *err, size_t errlen)
{
	char qn[300], ql[300], sql[1024];
	PGresult *res;

	if (q_ident(admin, name, qn, sizeof(qn), err, errlen) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", qn);
	if (like_db && pg_quote_literal(admin, like_db, ql, sizeof(ql)) == 0) {
		char q2[1024];
		snprintf(q2, sizeof(q2),
			 "SELECT pg_encoding_to_char(encoding), datcollate, "
			 "datctype, "
			 "pg_get_userbyid(datdba) FROM pg_database WHERE "
			 "datname = %s",
			 ql);
		res = PQexec(admin, q2);
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    PQntuples(res) == 1) {
			char e[100], c[300], t[300], o[300];
			if (pg_quote_literal(admin, PQgetvalue(res, 0, 0), e,
					     sizeof(e)) == 0 &&
			    pg_quote_literal(admin, PQgetvalue(res, 0, 1), c,
					     sizeof(c)) == 0 &&
			    pg_quote_literal(admin, PQgetvalue(res, 0, 2), t,
					     sizeof(t)) == 0 &&
			    pg_quote_ident(admin, PQgetvalue(res, 0, 3), o,
					   sizeof(o)) == 0)
				snprintf(sql, sizeof(sql),
					 "CREATE DATABASE %s TEMPLATE "
					 "template0 ENCODING %s "
					 "LC_COLLATE %s LC_CTYPE %s OWNER %s",
					 qn, e, c, t, o);
		}
		PQclear(res);
	}
	return pg_exec(admin, sql, err, errlen);
}

int db_drop(PGconn *admin, const char *name, char *err, size_t errlen)
{
	char q[300], sql[400];

	if (q_ident(admin, name, q, sizeof(q), err, errlen) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
		 q);
	return pg_exec(admin, sql, err, errlen);
}

int db_drop_leftovers(PGconn *admin)
{
	PGresult *res = PQexec(
		admin,
		"SELECT datname FROM pg_database WHERE datname LIKE "
		"'pgwarden\\_tmp\\_%' OR datname LIKE 'pgwarden\\_verify\\_%'");
	char err[512];
	int n = 0;

	for (int i = 0;
	     PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res);
	     i++) {
		if (db_drop(admin, PQgetvalue(res, i, 0), err, sizeof(err)) ==
		    0) {
			log_warn("dropped '%s' left by an interrupted recovery",
				 PQgetvalue(res, i, 0));
			n++;
		} else {
			log_error("unable to drop '%s': %s",
				  PQgetvalue(res, i, 0), err);
		}
	}
	PQclear(res);
	return n;
}

bool restore_stopped(const struct restore_ctx *ctx)
{
	return *ctx->stop || (ctx->yield_to && fs_size(ctx->cfg->backup_dir,
						       ctx->yield_to) >= 0);
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
	int pfd[2], rc, out;

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
	rc = pipe2(pfd, O_CLOEXEC);
	if (rc == 0 && (rc = child_start(&c, argv, pfd[0], out)) < 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
	if (out >= 0)
		close(out); /* psql holds it now: its exit ends the reader */
	if (rc < 0) {
		snprintf(err, errlen, "unable to start psql: %s",
			 strerror(errno));
		tag_reader_join(&reader);
		return -1;
	}
	close(pfd[0]);
	f.fd = pfd[1];
	progress_begin(&f.prog, ctx->cfg->backup_dir,
		       ctx->yield_to ? "drill" : "recovery", file, total);
	rc = bfile_read(ctx->cfg->backup_dir, file,
			ctx->cfg->encrypt ? &ctx->cfg->key : NULL, feed_psql,
			&f, NULL, gzerr, sizeof(gzerr));
	/* psql must not commit what it got of a bad file; when psql stopped
	 * by itself, its exit says why */
	if (rc < 0 && !f.psql_gone)
		child_kill(&c, 2000);
	close(pfd[1]);
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

/* End every session on db; a few tries, as sessions may be mid-start. */
static int terminate_sessions(PGconn *admin, const char *qlit, char *err,
			      size_t errlen)
{
	char sql[600];
	int64_t left = 1;

	snprintf(
		sql, sizeof(sql),
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		"WHERE datname = %s AND pid <> pg_backend_pid()",
		qlit);
	for (int i = 0; i < 50 && left > 0; i++) {
		if (pg_value_int64(admin, sql, &left, err, errlen) < 0)
			return -1;
		if (left > 0)
			tm_sleep_ms(100);
	}
	return 0;
}

static int rename_db(PGconn *admin, const char *from, const char *to, char *err,
		     size_t errlen)
{
	char qf[300], qt[300], sql[700];

	if (q_ident(admin, from, qf, sizeof(qf), err, errlen) < 0 ||
	    q_ident(admin, to, qt, sizeof(qt), err, errlen) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s RENAME TO %s", qf, qt);
	return pg_exec(admin, sql, err, errlen);
}

static int allow_connections(PGconn *admin, const char *db, int allow,
			     char *err, size_t errlen)
{
	char q[300], sql[400];

	if (q_ident(admin, db, q, sizeof(q), err, errlen) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s ALLOW_CONNECTIONS %s", q,
		 allow ? "true" : "false");
	return pg_exec(admin, sql, err, errlen);
}

/* Tests only (PGWARDEN_TEST_SWAP_PAUSE_MS): a window between the two
 * renames, wide enough to send a signal into. */
static void test_pause_between_renames(void)
{
	const char *ms = getenv("PGWARDEN_TEST_SWAP_PAUSE_MS");

	if (ms && *ms) {
		log_info("test: pausing %s ms between the renames", ms);
		tm_sleep_ms(atoi(ms));
	}
}

static int swap_renames(PGconn *admin, const char *target, const char *tmp,
			const char *kind, char *aside, size_t asidecap,
			char *err, size_t errlen)
{
	char stamp[32], ql[300];
	int exists = db_exists(admin, target), rc = -1;

	aside[0] = '\0';
	if (exists < 0) {
		snprintf(err, errlen, "unable to look up database '%s'",
			 target);
		return -1;
	}
	if (exists) {
		/* <db><kind>YYYYMMDD_HHMMSS must fit in 63 bytes */
		snprintf(aside, asidecap, "%.*s%s%s",
			 (int)(63 - strlen(kind) - 15), target, kind,
			 tm_stamp(tm_now(), stamp));
		if (pg_quote_literal(admin, target, ql, sizeof(ql)) < 0 ||
		    allow_connections(admin, target, 0, err, errlen) < 0)
			return -1;
		for (int i = 0; i < 20 && rc < 0; i++) {
			if (terminate_sessions(admin, ql, err, errlen) < 0)
				break;
			rc = rename_db(admin, target, aside, err, errlen);
		}
		if (rc < 0) {
			char ignored[256]; /* err already says why */
			allow_connections(admin, target, 1, ignored,
					  sizeof(ignored));
			return -1;
		}
		log_info("database '%s' kept aside as '%s'", target, aside);
		allow_connections(admin, aside, 1, err, errlen);
		test_pause_between_renames();
	}
	if (rename_db(admin, tmp, target, err, errlen) < 0)
		return -1;
	return allow_connections(admin, target, 1, err, errlen);
}

/* SIGTERM (a pod deletion) and SIGINT wait until both renames are done:
 * between them there is no database under the target's name. */
int db_swap(PGconn *admin, const char *target, const char *tmp,
	    const char *kind, char *aside, size_t asidecap, char *err,
	    size_t errlen)
{
	sigset_t hold, old;
	int rc;

	sigemptyset(&hold);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGINT);
	sigprocmask(SIG_BLOCK, &hold, &old);
	rc = swap_renames(admin, target, tmp, kind, aside, asidecap, err,
			  errlen);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int globals_newest_valid(const struct restore_ctx *ctx, struct manifest *m)
{
	const char *dir = ctx->cfg->backup_dir;
	struct catalog_entry *list;
	int n = catalog_scan(dir, &list), rc = -1;
	char err[512];

	for (int i = 0; i < n && rc < 0; i++) {
		if (list[i].name.kind != BACKUP_GLOBALS ||
		    manifest_read(dir, list[i].file, m, err, sizeof(err)) < 0)
			continue;
		if (manifest_check(dir, m, err, sizeof(err)) == 0)
			rc = 0;
		else
			manifest_free(m);
	}
	free(list);
	return rc;
}

int restore_newest_globals(const struct restore_ctx *ctx)
{
	struct manifest m;
	char err[512];
	int rc;

	if (globals_newest_valid(ctx, &m) < 0)
		return -1;
	rc = restore_into(ctx, m.file, m.uncompressed_size, ADMIN_DB, 0, NULL,
			  err, sizeof(err));
	if (rc == 0)
		log_info("globals restored from '%s'", m.file);
	else
		log_error("restore of the globals '%s' failed: %s", m.file,
			  err);
	manifest_free(&m);
	return rc;
}
