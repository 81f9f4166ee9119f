#include "recovery_marker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "proto.h"

int recovery_marker_format(const struct recovery_marker *m, char *buf,
			   size_t cap)
{
	int n = snprintf(buf, cap,
			 "pid = %d\nstarted = %s\nreason = %s\ndatabase = %s\n"
			 "backup = %s\ntmp = %s\nresult = %s\nphase = %s\n",
			 m->pid, m->started, m->reason, m->database, m->backup,
			 m->tmp, m->result, m->phase);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The value of "key = value" in text, "" when absent. */
static void get(const char *text, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);

	out[0] = '\0';
	for (const char *p = text; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, key, klen) == 0 &&
		    strncmp(p + klen, " = ", 3) == 0) {
			size_t n = strcspn(p + klen + 3, "\n");
			snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1),
				 p + klen + 3);
			return;
		}
}

void recovery_marker_parse(const char *text, struct recovery_marker *m)
{
	char pid[16];

	memset(m, 0, sizeof(*m));
	get(text, "pid", pid, sizeof(pid));
	m->pid = atoi(pid);
	get(text, "started", m->started, sizeof(m->started));
	get(text, "reason", m->reason, sizeof(m->reason));
	get(text, "database", m->database, sizeof(m->database));
	get(text, "backup", m->backup, sizeof(m->backup));
	get(text, "tmp", m->tmp, sizeof(m->tmp));
	get(text, "result", m->result, sizeof(m->result));
	get(text, "phase", m->phase, sizeof(m->phase));
}

int recovery_marker_read_live(const char *dir, struct recovery_marker *m)
{
	char *text;

	memset(m, 0, sizeof(*m));
	if (!proto_recovery_active(dir))
		return 0;
	text = fs_read_small(dir, PROTO_RECOVERY, PROTO_REQUEST_MAX, NULL);
	recovery_marker_parse(text ? text : "", m);
	free(text);
	return 1;
}
