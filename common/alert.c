#include "alert.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "tm.h"

static struct alert_ctx alert_cfg = {"/backups", "PostgreSQL Backup System",
				     "Development", "pgwarden"};
static const char *sev_names[] = {"CRITICAL", "ERROR", "WARNING", "SUCCESS",
				  "INFO"};

void alert_init(const struct alert_ctx *ctx)
{
	alert_cfg = *ctx;
}

const char *alert_severity_name(enum alert_severity s)
{
	return sev_names[s];
}

/* 20250613T180002.123Z, unique enough with the event slug and pid check */
static void alert_stamp(char *out, size_t cap)
{
	char iso[TM_ISO_LEN];
	size_t o = 0;

	tm_iso_ms_now(iso);
	for (const char *p = iso; *p && o + 1 < cap; p++)
		if (*p != '-' && *p != ':')
			out[o++] = *p;
	out[o] = '\0';
}

int alert_emit(enum alert_severity sev, const char *event, const char *title,
	       const char *message, const char *details)
{
	char name[NAME_MAX + 1], stamp[40], human[TM_ISO_LEN], path[PATH_MAX];
	char body[8192];
	int n;

	alert_stamp(stamp, sizeof(stamp));
	snprintf(name, sizeof(name), "alert-%s-%s-%s", stamp, sev_names[sev],
		 event);
	/* two alerts of one event in the same millisecond: keep both */
	for (int i = 2; access(fs_join(path, alert_cfg.dir, name), F_OK) == 0;
	     i++)
		snprintf(name, sizeof(name), "alert-%s-%s-%s-%d", stamp,
			 sev_names[sev], event, i);
	n = snprintf(body, sizeof(body),
		     "severity: %s\nevent: %s\nsource: %s\n\n"
		     "%s - %s\n\nSystem: %s\nTime: %s\nEnvironment: %s\n\n"
		     "Message:\n%s\n%s%s",
		     sev_names[sev], event, alert_cfg.component, title,
		     sev_names[sev], alert_cfg.system,
		     tm_human(tm_now(), human), alert_cfg.environment, message,
		     details ? "\n" : "", details ? details : "");
	if (n < 0)
		return -1;
	log_scrub(body, sizeof(body));
	log_msg(LOG_MAIN,
		sev <= ALERT_ERROR     ? LOG_ERROR
		: sev == ALERT_WARNING ? LOG_WARNING
				       : LOG_INFO,
		"alert %s: %s", name, message);
	if (fs_write_atomic(alert_cfg.dir, name, body, strlen(body)) < 0)
		return -1;
	return 0;
}
