/*
 * physretention.h - retention of the physical path (docs/WAL.md
 * "Retention"): base backups older than retention_days go, but never the
 * newest usable one; WAL goes only when no kept base backup needs it.
 */
#ifndef PGW_PHYSRETENTION_H
#define PGW_PHYSRETENTION_H

#include "cfg.h"

/* The number of files removed. */
int physretention_run(const struct pgw_config *cfg);

#endif
