/* pgwarden-backupper: scheduled and on-demand backups, plus retention. */
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "cpu.h"
#include "crypt.h"
#include "backup.h"
#include "basebackup.h"
#include "chaincheck.h"
#include "daemon.h"
#include "exitcode.h"
#include "log.h"
#include "pause.h"
#include "proto.h"
#include "retention.h"
#include "schedule.h"
#include "sig.h"
#include "tm.h"

struct timers {
	struct sched backup, retention, base;
	struct sched_timer backup_t, retention_t, base_t;
};

static void timers_arm(struct timers *t, const struct pgw_config *c)
{
	char err[256];

	/* both were validated by cfg_load */
	sched_parse(c->schedule, &t->backup, err, sizeof(err));
	sched_parse(c->retention_schedule, &t->retention, err, sizeof(err));
	sched_parse(c->base_backup_schedule, &t->base, err, sizeof(err));
	sched_timer_start(&t->backup_t, &t->backup, tm_sched_now());
	sched_timer_start(&t->retention_t, &t->retention, tm_sched_now());
	sched_timer_start(&t->base_t, &t->base, tm_sched_now());
}

static int wake_for(const struct sched_timer *t, int wake)
{
	time_t left =
		t->due == (time_t)-1 ? wake / 1000 : t->due - tm_sched_now();

	if (left < 0)
		left = 0;
	return left * 1000 < wake ? (int)left * 1000 + 10 : wake;
}

/* A claimed request: empty, or "reason=<text>". Anything else is refused
 * with an ERROR alert and no backup. */
static void on_request(struct backup_ctx *ctx, const char *content)
{
	char reason[300];

	if (daemon_request_reason(PROTO_REQ_BACKUP, "Backup Request", content,
				  reason, sizeof(reason)) == 0)
		backup_run(ctx, reason);
}

static void on_base_request(struct backup_ctx *ctx, const char *content)
{
	char reason[300];

	if (daemon_request_reason(PROTO_REQ_BASEBACKUP, "Base Backup Request",
				  content, reason, sizeof(reason)) == 0)
		basebackup_run(ctx, reason);
}

/* The scheduled jobs that are due now, unless paused. */
static void run_due(struct backup_ctx *ctx, struct timers *t,
		    const struct pgw_config *c)
{
	bool paused = pause_active(c->backup_dir);

	if (!sig_stop && sched_due(&t->backup_t, &t->backup, tm_sched_now())) {
		ctx->next_run = t->backup_t.due;
		if (paused)
			log_info("paused: the scheduled backup is skipped");
		else
			backup_run(ctx, "scheduled");
	}
	if (!sig_stop && sched_due(&t->base_t, &t->base, tm_sched_now())) {
		if (paused)
			log_info("paused: the scheduled base backup is "
				 "skipped");
		else
			basebackup_run(ctx, "scheduled");
	}
	if (!sig_stop &&
	    sched_due(&t->retention_t, &t->retention, tm_sched_now()) &&
	    !paused)
		retention_run(c, true);
}

int main(int argc, char **argv)
{
	struct daemon d = {.name = "backupper",
			   .main_log = LOG_BACKUP,
			   .aux_log = LOG_RETENTION,
			   .uses_key = true};
	struct backup_ctx ctx = {.cfg = &d.cfg, .stop = &sig_stop};
	struct timers t;
	struct chain_watch cw = {0};
	char req[PROTO_REQUEST_MAX + 1], why[700];

	daemon_start(&d, argc, argv);
	ctx.key = daemon_key(&d);
	if (d.cfg.compress_threads == 0)
		log_info("compression threads: %d (the CPUs this container "
			 "may use)",
			 cpu_usable());
	backup_cleanup_stale(d.cfg.backup_dir);
	if (d.once) {
		int rc = backup_run(&ctx, "one-off (--once)");
		daemon_stop(&d);
		return rc == 0 ? PGW_EXIT_OK : PGW_EXIT_FAILURE;
	}
	timers_arm(&t, &d.cfg);
	while (!sig_stop) {
		int wake = d.cfg.rescan_interval * 1000;
		if (sig_reload && daemon_reload(&d)) {
			timers_arm(&t, &d.cfg);
			ctx.key = daemon_key(&d);
		}
		ctx.next_run = t.backup_t.due;
		if (daemon_take_request(&d, PROTO_REQ_BACKUP, req, sizeof(req),
					&wake) == REQ_CLAIMED)
			on_request(&ctx, req);
		if (!sig_stop &&
		    daemon_take_request(&d, PROTO_REQ_BASEBACKUP, req,
					sizeof(req), &wake) == REQ_CLAIMED)
			on_base_request(&ctx, req);
		run_due(&ctx, &t, &d.cfg);
		if (!sig_stop &&
		    chaincheck_round(&cw, &ctx, why, sizeof(why), &wake)) {
			if (pause_active(d.cfg.backup_dir))
				log_info("paused: the base backup for a WAL "
					 "gap is skipped");
			else
				basebackup_run(&ctx, why);
		}
		wake = wake_for(
			&t.backup_t,
			wake_for(&t.retention_t, wake_for(&t.base_t, wake)));
		daemon_wait(&d, wake);
	}
	chaincheck_free(&cw);
	daemon_stop(&d);
	return PGW_EXIT_OK;
}
