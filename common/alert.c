#include "alert.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
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
	char name[NAME_MAX + 1], stamp[40], human[TM_ISO_LEN];
	char body[8192];
	int n;

	alert_stamp(stamp, sizeof(stamp));
	snprintf(name, sizeof(name), "alert-%s-%s-%s", stamp, sev_names[sev],
		 event);
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
	/* two alerts of one event in the same millisecond (other processes
	 * too): keep both */
	for (int i = 2;
	     fs_write_new(alert_cfg.dir, name, body, strlen(body)) < 0; i++) {
		if (errno != EEXIST || i > 1000) {
			/* a full or read-only volume: nobody will deliver it,
			 * so at least the container's log has it */
			log_error("alert %s %s not recorded in '%s' (%s): %s",
				  sev_names[sev], event, alert_cfg.dir,
				  strerror(errno), message);
			return -1;
		}
		snprintf(name, sizeof(name), "alert-%s-%s-%s-%d", stamp,
			 sev_names[sev], event, i);
	}
	log_msg(LOG_MAIN,
		sev <= ALERT_ERROR     ? LOG_ERROR
		: sev == ALERT_WARNING ? LOG_WARNING
				       : LOG_INFO,
		"alert %s: %s", name, message);
	return 0;
}

int alert_is_name(const char *name)
{
	return strncmp(name, "alert-", 6) == 0 && !strstr(name, ".tmp");
}

int alert_severity_parse(const char *s)
{
	for (int i = ALERT_CRITICAL; i <= ALERT_INFO; i++)
		if (strcasecmp(s, sev_names[i]) == 0)
			return i;
	return -1;
}

/* Copy the rest of a "Key: value" line into out when line starts with key. */
static int take_field(const char *line, const char *key, char *out, size_t cap)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n) != 0)
		return 0;
	line += n;
	while (*line == ' ')
		line++;
	snprintf(out, cap, "%s", line);
	return 1;
}

static int parse_header(char **cur, struct alert_rec *a)
{
	char sev[32] = "", *line;

	while ((line = strsep(cur, "\n")) != NULL && *line) {
		take_field(line, "severity:", sev, sizeof(sev));
		take_field(line, "event:", a->event, sizeof(a->event));
		take_field(line, "source:", a->source, sizeof(a->source));
		take_field(line, "delivery:", a->delivery, sizeof(a->delivery));
	}
	if (alert_severity_parse(sev) < 0 || !a->event[0])
		return -1;
	a->sev = (enum alert_severity)alert_severity_parse(sev);
	return 0;
}

/* Human part: title, System/Time/Environment, Message, then details. */
static void parse_body(char *cur, struct alert_rec *a)
{
	char *line, *dash;
	size_t n;

	line = strsep(&cur, "\n");
	snprintf(a->title, sizeof(a->title), "%s", line ? line : "");
	dash = strstr(a->title, " - ");
	if (dash)
		*dash = '\0';
	while ((line = strsep(&cur, "\n")) != NULL) {
		if (take_field(line, "System:", a->system, sizeof(a->system)) ||
		    take_field(line, "Time:", a->time, sizeof(a->time)) ||
		    take_field(line, "Environment:", a->environment,
			       sizeof(a->environment)) ||
		    strcmp(line, "Message:") != 0)
			continue;
		break;
	}
	while (cur && (line = strsep(&cur, "\n")) != NULL && *line) {
		n = strlen(a->message);
		snprintf(a->message + n, sizeof(a->message) - n, "%s%s",
			 n ? "\n" : "", line);
	}
	snprintf(a->details, sizeof(a->details), "%s", cur ? cur : "");
	n = strlen(a->details);
	while (n > 0 && a->details[n - 1] == '\n')
		a->details[--n] = '\0';
}

int alert_read(const char *dir, const char *name, struct alert_rec *out,
	       char *err, size_t errlen)
{
	size_t len;
	char *text = fs_read_small(dir, name, 64 * 1024, &len), *cur;

	memset(out, 0, sizeof(*out));
	snprintf(out->file, sizeof(out->file), "%s", name);
	if (!text) {
		snprintf(err, errlen, "unable to read '%s': %s", name,
			 strerror(errno));
		return -1;
	}
	cur = text;
	if (parse_header(&cur, out) < 0) {
		snprintf(err, errlen, "'%s' is not an alert file", name);
		free(text);
		return -1;
	}
	if (cur)
		parse_body(cur, out);
	free(text);
	return 0;
}

int alert_mark(const char *dir, const char *name, const char *delivery)
{
	size_t len, o = 0;
	char *text = fs_read_small(dir, name, 64 * 1024, &len), *out, *cur,
	     *line;
	int rc, in_header = 1;

	if (!text) {
		log_error("unable to read '%s': %s", name, strerror(errno));
		return -1;
	}
	out = malloc(len + strlen(delivery) + 32);
	if (!out) {
		free(text);
		return -1;
	}
	cur = text;
	while ((line = strsep(&cur, "\n")) != NULL) {
		if (in_header && !*line) {
			o += (size_t)sprintf(out + o, "delivery: %s\n",
					     delivery);
			in_header = 0;
		}
		if (in_header && strncmp(line, "delivery:", 9) == 0)
			continue;
		o += (size_t)sprintf(out + o, "%s%s", line, cur ? "\n" : "");
	}
	rc = fs_write_atomic(dir, name, out, o);
	free(out);
	free(text);
	return rc;
}
