/* pgwarden-restorer: recovery from the newest valid backup (recover.h). */
#include <stdio.h>

#include "alert.h"
#include "crypt.h"
#include "daemon.h"
#include "exitcode.h"
#include "log.h"
#include "pause.h"
#include "proto.h"
#include "pg.h"
#include "recover.h"
#include "schedule.h"
#include "scratch.h"
#include "sig.h"
#include "tm.h"
#include "verify.h"

/* request-restore: empty, a backup file name, or backup=/reason= lines. A
 * named backup is checked before anything is touched. */
static void on_request(const struct restore_ctx *ctx, const char *content)
{
	struct request_kv kv[8];
	char err[512], reason[300];
	const char *backup, *why;
	int n = daemon_parse_request(PROTO_REQ_RESTORE, "Database Recovery",
				     content, proto_restore_keys, "backup", kv,
				     8);

	if (n < 0)
		return;
	backup = proto_request_get(kv, n, "backup");
	why = proto_request_get(kv, n, "reason");
	if (backup && !*backup)
		backup = NULL;
	if (backup && recover_check_named(ctx->cfg->backup_dir, backup, err,
					  sizeof(err)) < 0) {
		log_error("restore request refused: %s", err);
		alert_emit(ALERT_ERROR, "request-rejected", "Database Recovery",
			   "Restore request refused; nothing was touched", err);
		return;
	}
	snprintf(reason, sizeof(reason), "%s", why ? why : "requested");
	recover_run(ctx, backup, reason);
}

/* request-verify: empty or a reason= line, parsed as strictly as the
 * others; a refused one runs no drill. */
static void on_verify_request(const struct restore_ctx *drill,
			      const char *content)
{
	char reason[300];

	if (daemon_request_reason(PROTO_REQ_VERIFY, "Backup Verification",
				  content, reason, sizeof(reason)) == 0)
		verify_run(drill, reason);
}

/* Scratch and temporary databases of a restorer that died: the recovery
 * itself is resumed by recover_resume_stale(). */
static void drop_leftovers(const struct pgw_config *c)
{
	char err[512];
	PGconn *admin;

	scratch_cleanup(c);
	admin = pg_connect(ADMIN_DB, 5, 60, err, sizeof(err));
	if (!admin)
		return; /* server down: the next recovery drops them */
	db_drop_leftovers(admin);
	PQfinish(admin);
}

static void arm_verify(struct sched *s, struct sched_timer *t,
		       const struct pgw_config *c)
{
	char err[256];

	sched_parse(c->verify_schedule, s, err,
		    sizeof(err)); /* validated by cfg */
	sched_timer_start(t, s, tm_sched_now());
}

int main(int argc, char **argv)
{
	struct daemon d = {.name = "restorer",
			   .main_log = LOG_RECOVERY,
			   .aux_log = LOG_VERIFICATION,
			   .uses_key = true};
	struct restore_ctx ctx = {
		.cfg = &d.cfg, .stop = &sig_stop, .daemon = &d};
	/* drills give way to a recovery asked for while they run */
	struct restore_ctx drill = {.cfg = &d.cfg,
				    .stop = &sig_stop,
				    .yield_to = PROTO_REQ_RESTORE,
				    .daemon = &d};
	char req[PROTO_REQUEST_MAX + 1];
	struct sched vs;
	struct sched_timer vt;

	daemon_start(&d, argc, argv);
	ctx.key = drill.key = daemon_key(&d);
	recover_resume_stale(&ctx);
	drop_leftovers(&d.cfg);
	arm_verify(&vs, &vt, &d.cfg);
	while (!sig_stop) {
		int wake = d.cfg.rescan_interval * 1000;
		time_t left;
		if (sig_reload && daemon_reload(&d)) {
			arm_verify(&vs, &vt, &d.cfg);
			ctx.key = drill.key = daemon_key(&d);
		}
		/* paused: a restore request waits for pgwarden resume */
		if (!pause_active(d.cfg.backup_dir) &&
		    daemon_take_request(&d, PROTO_REQ_RESTORE, req, sizeof(req),
					&wake) == REQ_CLAIMED) {
			log_info("restore requested");
			on_request(&ctx, req);
		}
		if (!sig_stop &&
		    daemon_take_request(&d, PROTO_REQ_VERIFY, req, sizeof(req),
					&wake) == REQ_CLAIMED)
			on_verify_request(&drill, req);
		if (!sig_stop && sched_due(&vt, &vs, tm_sched_now()) &&
		    !pause_active(d.cfg.backup_dir))
			verify_run(&drill, "scheduled");
		left = vt.due == (time_t)-1
			       ? wake
			       : (vt.due - tm_sched_now()) * 1000 + 10;
		daemon_wait(&d,
			    left < wake ? (int)(left > 0 ? left : 0) : wake);
	}
	daemon_stop(&d);
	return PGW_EXIT_OK;
}
