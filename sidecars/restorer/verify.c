#include "verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "catalog.h"
#include "child.h"
#include "basedrill.h"
#include "bfile.h"
#include "fs.h"
#include "gz.h"
#include "log.h"
#include "manifest.h"
#include "pg.h"
#include "proto.h"
#include "scratch.h"
#include "tm.h"

#define vlog(lvl, ...) log_msg(LOG_AUX, lvl, __VA_ARGS__)

/* Size, SHA-256, then the stream end to end (decrypted when it is
 * encrypted). */
static int check_file(const char *dir, const struct crypt_key *key,
		      const struct manifest *m, char *why, size_t whylen)
{
	char err[256];
	int rc;

	if (manifest_check_file(dir, m, why, whylen) < 0)
		return -1;
	rc = bfile_read(dir, m->file, key, NULL, NULL, NULL, err, sizeof(err));
	if (rc < 0)
		snprintf(why, whylen, "%s%s",
			 rc == -2 ? "" : "the file does not read back: ", err);
	return rc;
}

static bool missing_role(const char *err)
{
	const char *r = strstr(err, "ERROR:  42704: role \"");

	return r && strstr(r, "\" does not exist") != NULL;
}

/* The drill proper: restore into a scratch database and compare. */
static int drill(const struct restore_ctx *ctx, PGconn *admin,
		 const struct manifest *m, int64_t *ms, char *why,
		 size_t whylen)
{
	char scratch[64], stamp[32], err[1024], e2[256];
	struct copy_tags tags;
	int64_t t0 = tm_mono_ms();
	bool server_fault = false;
	int rc;

	copy_tags_init(&tags);
	snprintf(scratch, sizeof(scratch), "%s%s", VERIFY_DB_PREFIX,
		 tm_stamp(tm_now(), stamp));
	if (db_drop(admin, scratch, err, sizeof(err)) < 0 ||
	    db_create_like(admin, scratch, m->database, err, sizeof(err)) < 0) {
		snprintf(why, whylen,
			 "unable to create the scratch database: %s", err);
		return -2; /* not the backup's fault */
	}
	child_set_low_priority(1);
	rc = restore_database(ctx, m, scratch, &tags, &server_fault, err,
			      sizeof(err));
	child_set_low_priority(0);
	if (rc < 0 && missing_role(err)) {
		/* the backup is sound; this server lacks a role it names (a
		 * recovery re-creates it, a drill does not resurrect roles) */
		snprintf(why, whylen,
			 "the backup needs a role this server no longer has: "
			 "%s",
			 err);
		rc = -2;
	} else if (rc < 0 && server_fault) {
		/* the file is sound: this server, or pgwarden's procedure,
		 * cannot restore it here */
		snprintf(why, whylen, "the backup cannot be restored here: %s",
			 err);
		rc = -2;
	} else if (rc < 0)
		snprintf(why, whylen, "restore failed: %s", err);
	else if ((rc = restore_verify(ctx, scratch, m, &tags, err,
				      sizeof(err))) < 0)
		snprintf(why, whylen,
			 "restored data does not match the manifest: %s", err);
	copy_tags_free(&tags);
	*ms = tm_mono_ms() - t0;
	db_drop(admin, scratch, e2, sizeof(e2));
	return rc;
}

/* Which backups to drill: unverified ones and the newest per database,
 * newest first, at most cfg->verify_newest when set. */
static bool wanted(const struct catalog_entry *list, int i, int *taken,
		   int limit)
{
	bool newest = true;

	if (list[i].name.kind != BACKUP_DATABASE ||
	    strcmp(list[i].status, "failed") == 0)
		return false;
	for (int k = 0; k < i; k++)
		if (list[k].name.kind == BACKUP_DATABASE &&
		    strcmp(list[k].name.database, list[i].name.database) == 0)
			newest = false;
	if (!newest && strcmp(list[i].status, "verified") == 0)
		return false;
	if (limit > 0 && *taken >= limit)
		return false;
	(*taken)++;
	return true;
}

static int verify_one(const struct restore_ctx *ctx, PGconn *admin,
		      const char *file, char *summary, size_t cap)
{
	const char *dir = ctx->cfg->backup_dir;
	struct manifest m;
	char why[1024] = "", err[512];
	int64_t ms = 0;
	int rc;

	rc = manifest_read(dir, file, &m, err, sizeof(err));
	if (rc == -2) { /* another key: nothing to say about the backup */
		vlog(LOG_ERROR, "'%s' not verified: %s", file, err);
		alert_emit(ALERT_ERROR, "verification-impossible",
			   "Backup Verification",
			   "A backup could not be verified; it is left as it "
			   "was",
			   err);
		return 0;
	}
	if (rc < 0) {
		vlog(LOG_ERROR, "'%s': %s", file, err);
		alert_emit(ALERT_ERROR, "verification-failed",
			   "Backup Verification",
			   "A backup has no readable manifest", err);
		return -1;
	}
	rc = check_file(dir, ctx->key, &m, why, sizeof(why));
	if (rc == 0)
		rc = drill(ctx, admin, &m, &ms, why, sizeof(why));
	if (rc == -2 ||
	    restore_stopped(ctx)) { /* our problem, not the backup's */
		bool stopped = restore_stopped(ctx);
		vlog(stopped ? LOG_WARNING : LOG_ERROR, "'%s' not verified: %s",
		     file,
		     *ctx->stop ? "interrupted by shutdown"
		     : stopped	? "the drill gave way to a restore request"
				: why);
		if (!stopped)
			alert_emit(ALERT_ERROR, "verification-impossible",
				   "Backup Verification",
				   "A backup could not be verified; it is left "
				   "as it was",
				   why);
		manifest_free(&m);
		return 0;
	}
	manifest_mark_drilled(dir, &m, rc == 0, ms, why);
	if (rc == 0) {
		vlog(LOG_INFO, "'%s' verified: restored and matched in %.1f s",
		     file, (double)ms / 1000);
		snprintf(summary + strlen(summary), cap - strlen(summary),
			 "• %s: verified, restore %.1f s (RTO)\n", file,
			 (double)ms / 1000);
	} else {
		vlog(LOG_ERROR, "'%s' failed verification: %s", file, why);
		alert_emit(ALERT_ERROR, "verification-failed",
			   "Backup Verification",
			   "A backup failed its restore drill and will never "
			   "be used",
			   why);
		snprintf(summary + strlen(summary), cap - strlen(summary),
			 "• %s: FAILED (%.120s)\n", file, why);
	}
	manifest_free(&m);
	return rc == 0 ? 0 : 1;
}

/* The jobs lock, given up when a recovery is asked for meanwhile. */
static int jobs_lock(const struct restore_ctx *ctx)
{
	for (;;) {
		int lock = fs_lock(ctx->cfg->backup_dir, PROTO_LOCK_JOBS, 500,
				   (volatile const int *)ctx->stop);
		int e = errno; /* restore_stopped() looks at files */
		if (lock >= 0)
			return lock;
		if (restore_stopped(ctx))
			return -1;
		if (e != EWOULDBLOCK) {
			vlog(LOG_ERROR, "unable to take the jobs lock: %s",
			     strerror(e));
			return -1;
		}
	}
}

int verify_run(const struct restore_ctx *ctx, const char *reason)
{
	const char *dir = ctx->cfg->backup_dir;
	struct catalog_entry *list = NULL;
	char err[512], summary[4096] = "";
	int lock, n, taken = 0, failed = 0, done = 0;
	PGconn *admin;

	lock = jobs_lock(ctx);
	if (lock < 0)
		return -1;
	/* logged under the lock: its time is when the drill really starts */
	vlog(LOG_INFO, "verification starting (%s)", reason);
	struct scratch sc = {0};
	bool use_cluster = strcmp(ctx->cfg->verify_target, "cluster") == 0;

	if (use_cluster && scratch_up(ctx, &sc, err, sizeof(err)) < 0) {
		vlog(LOG_ERROR, "%s", err);
		alert_emit(ALERT_ERROR, "verification-failed",
			   "Backup Verification",
			   "Verification could not run: no throwaway cluster",
			   err);
		fs_unlock(lock);
		return -1;
	}
	admin = pg_connect(ADMIN_DB, 10, 0, err, sizeof(err));
	if (!admin) {
		scratch_down(&sc);
		vlog(LOG_ERROR, "verification needs the server: %s", err);
		alert_emit(
			ALERT_ERROR, "verification-failed",
			"Backup Verification",
			"Verification could not run: the server is unreachable",
			err);
		fs_unlock(lock);
		return -1;
	}
	n = catalog_scan(dir, &list);
	for (int i = 0; i < n && !restore_stopped(ctx); i++) {
		if (!wanted(list, i, &taken, ctx->cfg->verify_newest))
			continue;
		int r = verify_one(ctx, admin, list[i].file, summary,
				   sizeof(summary));
		failed += r != 0;
		done++;
	}
	free(list);
	PQfinish(admin);
	scratch_down(&sc);
	/* after the logical drills: the production server again */
	if (!restore_stopped(ctx)) {
		int r = basedrill_run(ctx, summary, sizeof(summary));
		failed += r == BASEDRILL_FAILED;
		done += r == BASEDRILL_FAILED || r == BASEDRILL_VERIFIED;
	}
	fs_unlock(lock);
	vlog(LOG_INFO, "verification done: %d checked, %d failed", done,
	     failed);
	if (done > 0 && !restore_stopped(ctx)) {
		snprintf(err, sizeof(err),
			 "Restore drill finished: %d backup(s) checked, %d "
			 "failed",
			 done, failed);
		/* one SUCCESS summary per run; each failure had its own ERROR
		 */
		alert_emit(ALERT_SUCCESS, "verification", "Backup Verification",
			   err, summary);
	}
	return failed;
}
