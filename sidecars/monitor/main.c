/* pgwarden-monitor: health checks and recovery requests (health.h). */
#include "alert.h"
#include "daemon.h"
#include "exitcode.h"
#include "health.h"
#include "log.h"
#include "proto.h"
#include "sig.h"
#include "tm.h"

int main(int argc, char **argv)
{
	struct daemon d = {.name = "monitor", .main_log = LOG_HEALTH};
	struct health_state s;
	struct check_result r;
	int64_t next = 0;

	daemon_start(&d, argc, argv);
	if (health_state_load(d.cfg.backup_dir, &s) < 0) {
		log_error("'%s' is malformed: ignored and reset",
			  PROTO_MONITOR_STATE);
		alert_emit(ALERT_WARNING, "state-reset", "Database Monitor",
			   "The monitor's state file was malformed and has "
			   "been reset",
			   NULL);
	}
	while (!sig_stop) {
		if (sig_reload)
			daemon_reload(&d);
		if (tm_mono_ms() >= next) {
			next = tm_mono_ms() +
			       (int64_t)d.cfg.health_check_interval * 1000;
			health_check(&d.cfg, &s, &r);
			health_decide(&d.cfg, &s, &r);
			health_state_save(d.cfg.backup_dir, &s);
			health_status_write(d.cfg.backup_dir, &s, &r, &d.cfg);
		}
		daemon_wait(&d, (int)(next - tm_mono_ms()));
	}
	daemon_stop(&d);
	return PGW_EXIT_OK;
}
