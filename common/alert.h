/*
 * alert.h - record an event as an alert file in the backups directory, and
 * read one back.
 *
 * Contract: alert_emit() writes "alert-<UTC ms stamp>-<SEVERITY>-<event>"
 * atomically (never a half-written alert), with the layout of README "Alerts":
 * title, system, time, environment, message, details. The text is scrubbed of
 * registered secrets. Returns 0, or -1 when the file could not be written
 * (logged; the caller carries on).
 *
 * File layout: a header block of "key: value" lines (severity, event,
 * source and, once the monitor has dealt with it, delivery), a blank line,
 * then the human text. Delivery to people (Telegram, webhooks; see
 * notify.h) reads files with alert_read() and records the outcome in the
 * "delivery:" header with alert_mark(); a file without one is pending.
 */
#ifndef PGW_ALERT_H
#define PGW_ALERT_H

#include <stddef.h>

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

/* Longest texts kept by alert_read(); longer ones are cut. */
#define ALERT_MESSAGE_MAX 1024
#define ALERT_DETAILS_MAX 3072

struct alert_rec {
	char file[256];
	enum alert_severity sev;
	char event[64];
	char source[32];
	char delivery[256]; /* "" while pending */
	char title[128];
	char system[128];
	char time[64];
	char environment[64];
	char message[ALERT_MESSAGE_MAX];
	char details[ALERT_DETAILS_MAX];
};

/* "alert-*" and not a temporary file. */
int alert_is_name(const char *name);
/* Parse "CRITICAL".."INFO" (any case); -1 when unknown. */
int alert_severity_parse(const char *s);
/* Read and parse one alert file (opened without following symlinks).
 * 0, or -1 with a reason in err when it is unreadable or malformed. */
int alert_read(const char *dir, const char *name, struct alert_rec *out,
	       char *err, size_t errlen);
/* Set the "delivery:" header of an alert file (atomic rewrite). 0 or -1. */
int alert_mark(const char *dir, const char *name, const char *delivery);

#endif
