/*
 * attrib.h - which database a corruption line in the server log is about.
 *
 * Page-level errors name the relation as base/<database oid>/<file>, so a
 * line about a database other than the protected one (a damaged copy the
 * restorer kept aside, which autovacuum still reads; another application's
 * database) is reported but never makes the monitor restore the protected
 * database. A checksum WARNING names no relation, but the same backend's
 * next line does: such a line waits (attrib_hold) up to ATTRIB_WAIT_MS for
 * it before it counts as being about the protected database.
 */
#ifndef PGW_ATTRIB_H
#define PGW_ATTRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATTRIB_WAIT_MS 1000

struct attrib_held {
	bool active;
	long pid;
	int64_t since_ms;
	char line[1024];
};

/* The database oid in "base/<oid>/", 0 when the line names none. */
long attrib_db_oid(const char *line);
/* The backend pid of a log line ("... [1234] ..."), 0 when none. */
long attrib_pid(const char *line);

/* Keep line until the same backend names a relation or time runs out. */
void attrib_hold(struct attrib_held *h, const char *line, long pid);
/* The held line if its time is up (then it is released), else NULL. */
const char *attrib_expired(struct attrib_held *h, int64_t now_ms);

#endif
