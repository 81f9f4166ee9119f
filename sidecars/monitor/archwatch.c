#include "archwatch.h"

#include <stdio.h>

#include "alert.h"
#include "log.h"
#include "proto.h"

void archive_watch(const char *dir, struct health_state *s,
		   const struct dbcheck_result *p)
{
	char msg[400];

	if (p->archive_failing < 0) /* not known this round */
		return;
	if (p->archive_failing == 0) {
		if (s->archive_alerted) {
			alert_emit(
				ALERT_SUCCESS, "wal-archive-ok", "WAL Archive",
				"WAL archiving works again; a new base backup "
				"is asked for, in case a segment was dropped",
				NULL);
			/* a gap (the valve dropped a segment) needs a new
			 * anchor; a needless base backup costs only time */
			if (proto_request_write(dir, PROTO_REQ_BASEBACKUP,
						"reason=after a WAL archive "
						"failure\n") < 0)
				log_warn("unable to ask for a base backup");
		}
		s->archive_alerted = false;
		return;
	}
	if (s->archive_alerted)
		return;
	snprintf(msg, sizeof(msg),
		 "WAL archiving has been failing for %lld s (on %s): the "
		 "server keeps every segment it cannot archive in pg_wal, "
		 "which grows until the database's volume is full",
		 (long long)p->archive_failing,
		 p->archive_wal[0] ? p->archive_wal : "?");
	log_error("%s", msg);
	alert_emit(ALERT_CRITICAL, "wal-archive-failing", "WAL Archive", msg,
		   "Check: the server log (wal-push lines), the free space "
		   "and permissions of the backups volume, "
		   "pg_stat_archiver.\n");
	s->archive_alerted = true;
}
