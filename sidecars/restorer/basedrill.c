#include "basedrill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "basecat.h"
#include "fs.h"
#include "log.h"
#include "manifest.h"
#include "pg.h"
#include "pgenv.h"
#include "physrecover.h"
#include "scratch.h"
#include "tm.h"

#define vlog(lvl, ...) log_msg(LOG_AUX, lvl, __VA_ARGS__)

/* The base backup a physical recovery would take now, unless drilled. */
static int pick(const struct restore_ctx *ctx, struct base_entry *b,
		struct manifest *m, char *last, size_t cap)
{
	char err[512], id[32], why[512];
	PGconn *c = pg_connect(ADMIN_DB, 10, 30, err, sizeof(err));
	int rc;

	if (!c) {
		vlog(LOG_WARNING, "no base backup drill: %s", err);
		return -1;
	}
	rc = pg_value(c, "SELECT system_identifier FROM pg_control_system()",
		      id, sizeof(id), err, sizeof(err));
	PQfinish(c);
	if (rc < 0)
		return -1;
	if (basecat_choose(ctx->cfg->backup_dir, id, ctx->key, b, last, cap,
			   why, sizeof(why)) < 0) {
		vlog(LOG_INFO, "no base backup to drill: %s", why);
		return -1;
	}
	if (manifest_read(ctx->cfg->backup_dir, b->file, m, err, sizeof(err)) <
	    0)
		return -1;
	if (strcmp(m->status, "verified") == 0) {
		manifest_free(m);
		return -1;
	}
	return 0;
}

static void impossible(const char *file, const char *why)
{
	vlog(LOG_ERROR, "base backup '%s' not drilled: %s", file, why);
	alert_emit(ALERT_ERROR, "verification-impossible",
		   "Base Backup Verification",
		   "A base backup could not be drilled; it is left as it was",
		   why);
}

/* Laid down, recovered and read; *damaged: the file's own fault. */
static int drill(const struct restore_ctx *ctx, const struct base_entry *b,
		 struct physical_outcome *o, bool *damaged)
{
	struct scratch s;
	int rc;

	memset(o, 0, sizeof(*o));
	child_set_low_priority(1);
	rc = scratch_up_from_base(ctx, &s, b, damaged, o->why, sizeof(o->why));
	child_set_low_priority(0);
	if (rc < 0)
		return -1;
	rc = physical_read_tables(pg_target_db(ctx->cfg), o);
	scratch_down(&s);
	return rc;
}

enum basedrill_result basedrill_run(const struct restore_ctx *ctx,
				    char *summary, size_t cap)
{
	const char *dir = ctx->cfg->backup_dir;
	struct base_entry b;
	struct manifest m;
	struct physical_outcome o;
	char last[32], parent[4096];
	int64_t t0, free_b, need;
	bool damaged = false;
	size_t used = strlen(summary);

	if (strcmp(ctx->cfg->wal_archive, "on") != 0 ||
	    pick(ctx, &b, &m, last, sizeof(last)) < 0)
		return BASEDRILL_NONE;
	snprintf(parent, sizeof(parent), "%s", scratch_parent(ctx->cfg));
	free_b = fs_free_bytes(parent);
	need = b.uncompressed_size / 10 * 11;
	if (free_b >= 0 && free_b < need) {
		snprintf(o.why, sizeof(o.why),
			 "not enough space in '%s': %lld MiB free, %lld MiB "
			 "needed",
			 parent, (long long)(free_b >> 20),
			 (long long)(need >> 20));
		impossible(b.file, o.why);
		manifest_free(&m);
		return BASEDRILL_IMPOSSIBLE;
	}
	vlog(LOG_INFO, "drilling base backup '%s' (its chain reaches %s)",
	     b.file, last);
	t0 = tm_mono_ms();
	if (drill(ctx, &b, &o, &damaged) == 0) {
		int64_t ms = tm_mono_ms() - t0;
		manifest_mark_drilled(dir, &m, true, ms, "");
		vlog(LOG_INFO,
		     "base backup '%s' verified: recovered to %s (last commit "
		     "%s), %d tables read, in %.1f s",
		     b.file, o.lsn, o.last_commit[0] ? o.last_commit : "none",
		     o.tables, (double)ms / 1000);
		snprintf(summary + used, cap - used,
			 "• %s: verified, physical recovery %.1f s (RTO)\n",
			 b.file, (double)ms / 1000);
		manifest_free(&m);
		return BASEDRILL_VERIFIED;
	}
	if (restore_stopped(ctx)) {
		vlog(LOG_WARNING, "base backup drill interrupted");
	} else if (damaged) {
		manifest_mark_drilled(dir, &m, false, 0, o.why);
		vlog(LOG_ERROR, "base backup '%s' failed its drill: %s", b.file,
		     o.why);
		alert_emit(ALERT_ERROR, "verification-failed",
			   "Base Backup Verification",
			   "A base backup failed its drill and will never be "
			   "used",
			   o.why);
		snprintf(summary + used, cap - used, "• %s: FAILED (%.120s)\n",
			 b.file, o.why);
	} else {
		vlog(LOG_ERROR,
		     "base backup '%s': the drill's recovery failed: "
		     "%s",
		     b.file, o.why);
		alert_emit(ALERT_ERROR, "base-drill-failed",
			   "Base Backup Verification",
			   "A base backup was laid down but did not recover in "
			   "the drill; it stays usable (a recovery checks the "
			   "same before it serves)",
			   o.why);
		snprintf(summary + used, cap - used,
			 "• %s: recovery FAILED in the drill (%.120s)\n",
			 b.file, o.why);
	}
	manifest_free(&m);
	return restore_stopped(ctx) ? BASEDRILL_IMPOSSIBLE : BASEDRILL_FAILED;
}
