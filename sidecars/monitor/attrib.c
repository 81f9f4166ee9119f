#include "attrib.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm.h"

long attrib_db_oid(const char *line)
{
	const char *p = line;

	while ((p = strstr(p, "base/")) != NULL) {
		char *end;
		long oid;
		p += 5;
		if (!isdigit((unsigned char)*p))
			continue;
		oid = strtol(p, &end, 10);
		if (*end == '/' && oid > 0)
			return oid;
	}
	return 0;
}

long attrib_pid(const char *line)
{
	const char *p = strchr(line, '[');
	char *end;
	long pid;

	if (!p || !isdigit((unsigned char)p[1]))
		return 0;
	pid = strtol(p + 1, &end, 10);
	return *end == ']' ? pid : 0;
}

void attrib_hold(struct attrib_held *h, const char *line, long pid)
{
	h->active = true;
	h->pid = pid;
	h->since_ms = tm_mono_ms();
	snprintf(h->line, sizeof(h->line), "%s", line);
}

const char *attrib_expired(struct attrib_held *h, int64_t now_ms)
{
	if (!h->active || now_ms - h->since_ms < ATTRIB_WAIT_MS)
		return NULL;
	h->active = false;
	return h->line;
}
