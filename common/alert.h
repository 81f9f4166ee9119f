/*
 * alert.h - record an event as an alert file in the backups directory.
 *
 * Contract: alert_emit() writes "alert-<UTC ms stamp>-<SEVERITY>-<event>"
 * atomically (never a half-written alert), with the seed's layout: title,
 * system, time, environment, message, details. The text is scrubbed of
 * registered secrets. Delivery to people (Telegram, webhooks) reads these
 * files; it is not done here. Returns 0, or -1 when the file could not be
 * written (logged; the caller carries on).
 */
#ifndef PGW_ALERT_H
#define PGW_ALERT_H

enum alert_severity {
	ALERT_CRITICAL,
	ALERT_ERROR,
	ALERT_WARNING,
	ALERT_SUCCESS,
	ALERT_INFO,
};

struct alert_ctx {
	const char *dir;	 /* backups directory */
	const char *system;	 /* "PostgreSQL Backup System" */
	const char *environment; /* "Development" */
	const char *component;	 /* "backupper" */
};

void alert_init(const struct alert_ctx *ctx);
const char *alert_severity_name(enum alert_severity s);
/* event: short slug ("backup", "recovery-requested"); details may be NULL. */
int alert_emit(enum alert_severity sev, const char *event, const char *title,
	       const char *message, const char *details);

#endif
