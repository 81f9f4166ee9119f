#include "monitor_status.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fs.h"
#include "ini.h"
#include "proto.h"
#include "tm.h"

int monitor_status_write(const char *dir, const struct monitor_heartbeat *h)
{
	char buf[2048], t[TM_ISO_LEN];

	snprintf(buf, sizeof(buf),
		 "[monitor]\nhealth = %s\nlast_check = %s\nfailure_count = "
		 "%d\nmax_failure_count = %d\nlast_recovery = %s\n"
		 "latency_ms = %lld\npassed_in_row = %ld\nlast_class = %s\n"
		 "last_error = %s\n[archive]\non = %d\narchived_wal = %s\n"
		 "archived_at = %lld\nlag_bytes = %lld\nlag_s = %lld\n",
		 h->health, tm_iso(tm_now(), t), h->failure_count,
		 h->max_failure_count,
		 h->last_recovery[0] ? h->last_recovery : "never",
		 (long long)h->latency_ms, h->passed_in_row, h->last_class,
		 h->last_error, h->archive_on, h->archived_wal,
		 (long long)h->archived_at, (long long)h->archive_lag_bytes,
		 (long long)h->archive_lag_s);
	return fs_write_atomic(dir, PROTO_MONITOR_STATUS, buf, strlen(buf));
}

void monitor_status_read(const char *dir, struct monitor_heartbeat *h)
{
	char path[PATH_MAX];
	dictionary *d = NULL;

	memset(h, 0, sizeof(*h));
	h->latency_ms = -1;
	h->archive_on = -1;
	h->archive_lag_bytes = h->archive_lag_s = -1;
	h->age = fs_age(dir, PROTO_MONITOR_STATUS);
	if (h->age >= 0)
		d = iniparser_load(fs_join(path, dir, PROTO_MONITOR_STATUS));
	if (!d)
		return;
	snprintf(h->health, sizeof(h->health), "%s",
		 ini_get(d, "monitor:health", ""));
	snprintf(h->last_check, sizeof(h->last_check), "%s",
		 ini_get(d, "monitor:last_check", ""));
	h->failure_count = (int)ini_get_int(d, "monitor:failure_count", 0);
	h->max_failure_count =
		(int)ini_get_int(d, "monitor:max_failure_count", 0);
	snprintf(h->last_recovery, sizeof(h->last_recovery), "%s",
		 ini_get(d, "monitor:last_recovery", ""));
	h->latency_ms = ini_get_int(d, "monitor:latency_ms", -1);
	h->passed_in_row = ini_get_int(d, "monitor:passed_in_row", 0);
	snprintf(h->last_class, sizeof(h->last_class), "%s",
		 ini_get(d, "monitor:last_class", ""));
	snprintf(h->last_error, sizeof(h->last_error), "%s",
		 ini_get(d, "monitor:last_error", ""));
	h->archive_on = (int)ini_get_int(d, "archive:on", -1);
	snprintf(h->archived_wal, sizeof(h->archived_wal), "%s",
		 ini_get(d, "archive:archived_wal", ""));
	h->archived_at = ini_get_int(d, "archive:archived_at", 0);
	h->archive_lag_bytes = ini_get_int(d, "archive:lag_bytes", -1);
	h->archive_lag_s = ini_get_int(d, "archive:lag_s", -1);
	iniparser_freedict(d);
}
