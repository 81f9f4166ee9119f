/* pgwarden-restorer: recovery from the newest valid backup (recover.h). */
#include <stdio.h>

#include "alert.h"
#include "daemon.h"
#include "exitcode.h"
#include "log.h"
#include "proto.h"
#include "recover.h"
#include "sig.h"

/* request-restore: empty, a backup file name, or backup=/reason= lines. A
 * named backup is checked before anything is touched. */
static void on_request(const struct restore_ctx *ctx, const char *content)
{
	static const char *const keys[] = {"backup", "reason", NULL};
	struct request_kv kv[8];
	char err[512], reason[300];
	const char *backup, *why;
	int n = proto_request_parse(content, keys, "backup", kv, 8, err,
				    sizeof(err));

	if (n < 0) {
		log_error("ignoring restore request: %s", err);
		alert_emit(ALERT_ERROR, "request-rejected", "Database Recovery",
			   "Restore request refused: unexpected content", err);
		return;
	}
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

int main(int argc, char **argv)
{
	struct daemon d = {.name = "restorer",
			   .main_log = LOG_RECOVERY,
			   .aux_log = LOG_VERIFICATION};
	struct restore_ctx ctx = {.cfg = &d.cfg, .stop = &sig_stop};
	char req[PROTO_REQUEST_MAX + 1];

	daemon_start(&d, argc, argv);
	recover_resume_stale(&ctx);
	while (!sig_stop) {
		int wake = d.cfg.rescan_interval * 1000;
		if (sig_reload)
			daemon_reload(&d);
		if (daemon_take_request(&d, PROTO_REQ_RESTORE, req, sizeof(req),
					&wake) == REQ_CLAIMED) {
			log_info("restore requested");
			on_request(&ctx, req);
		}
		daemon_wait(&d, wake);
	}
	daemon_stop(&d);
	return PGW_EXIT_OK;
}
