/*
 * checkclass.h - what a failed health check means, in one table.
 *
 * Recovery (restoring a backup over the live database) is for damage and
 * death, never for slowness or for a mistake in pgwarden's own set-up. Every
 * outcome of the monitor's checks falls in one class; the class alone says
 * whether the failure counts towards MAX_FAILURE_COUNT, and which alert a
 * person gets when it does not (docs/HEALTH.md has the table in prose).
 *
 * pgwarden-dbcheck classifies (by SQLSTATE, see check_class_of_sqlstate) and
 * prints the class name; the monitor parses it back and decides. No libpq
 * here: the monitor does not link it.
 */
#ifndef PGW_CHECKCLASS_H
#define PGW_CHECKCLASS_H

#include <stdbool.h>

#include "alert.h"

enum check_class {
	CHECK_OK,
	CHECK_DOWN,	 /* no answer, refused, shutting down, db missing */
	CHECK_BROKEN,	 /* an error reading data or the catalogue */
	CHECK_SCHEMA,	 /* migrations table missing or behind */
	CHECK_CHECKSUM,	 /* data checksum failures grew */
	CHECK_LOCK_WAIT, /* a check waited on a lock another session holds */
	CHECK_SLOW,	 /* a statement timed out on a server that answers */
	CHECK_CONFIG,	 /* a missing grant, bad login, bad setting */
	CHECK_RESOURCES, /* too many connections, out of memory or disk */
	CHECK_PROBE,	 /* pgwarden-dbcheck itself could not run */
	CHECK_CLASS_COUNT
};

struct check_class_info {
	const char *name;	  /* as printed by the probe: "lock-wait" */
	bool counts;		  /* towards a recovery */
	enum alert_severity sev;  /* of the alert when it does not count */
	const char *alert_event;  /* that alert's slug, NULL: none */
	const char *alert_prefix; /* its message starts with this */
};

const struct check_class_info *check_class_info(enum check_class c);
/* -1 when name is no class. */
int check_class_parse(const char *name, enum check_class *out);
/* The class of a server error by its SQLSTATE ("55P03"); an unknown or
 * empty code is CHECK_BROKEN, so that real damage is never missed. */
enum check_class check_class_of_sqlstate(const char *sqlstate);

#endif
