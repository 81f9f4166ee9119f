/*
 * probe.h - running pgwarden-probe (sidecars/probe/check.h), the monitor's
 * hands on the database: the monitor itself never links libpq. The probe is
 * looked for next to the monitor's own executable.
 */
#ifndef PGW_PROBE_H
#define PGW_PROBE_H

#include <stddef.h>

#include "probeio.h"

struct pgw_config;

/* One round of checks. -1 when the probe itself could not run (the reason
 * in r->what); 0 otherwise, whatever the checks found. */
int probe_check(const struct pgw_config *c, struct probe_result *r);
/* The name of database oid; -1 when it cannot be learnt now. */
int probe_db_name(const struct pgw_config *c, long oid, char *name, size_t cap);

/* After a recovery from backup: 0 when the database holds what its
 * manifest promised, -1 with why (pgwarden-probe restored). */
int probe_restored(const struct pgw_config *c, const char *backup, char *why,
		   size_t cap);

#endif
