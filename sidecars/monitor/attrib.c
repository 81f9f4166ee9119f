#include "attrib.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
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

int attrib_db_name(const char *connect_db, long oid, char *name, size_t cap)
{
	char sql[96], err[256];
	PGconn *c = pg_connect(connect_db, 2, 2, err, sizeof(err));
	int rc;

	if (!c)
		return -1;
	snprintf(sql, sizeof(sql),
		 "SELECT datname FROM pg_database WHERE oid = %ld", oid);
	rc = pg_value(c, sql, name, cap, err, sizeof(err));
	PQfinish(c);
	return rc < 0 || !name[0] ? -1 : 0;
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
