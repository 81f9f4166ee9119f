/* pgwarden-backupper: scheduled and on-demand backups, plus retention. */
#include <stdio.h>

#include "daemon.h"
#include "exitcode.h"
#include "log.h"
#include "proto.h"
#include "sig.h"

int main(int argc, char **argv)
{
	struct daemon d = {.name = "backupper",
			   .main_log = LOG_BACKUP,
			   .aux_log = LOG_RETENTION};
	char req[PROTO_REQUEST_MAX + 1];

	daemon_start(&d, argc, argv);
	while (!sig_stop) {
		int wake = d.cfg.rescan_interval * 1000;
		if (sig_reload)
			daemon_reload(&d);
		if (daemon_take_request(&d, PROTO_REQ_BACKUP, req, sizeof(req),
					&wake) == REQ_CLAIMED)
			log_info("backup requested");
		daemon_wait(&d, wake);
	}
	daemon_stop(&d);
	return PGW_EXIT_OK;
}
