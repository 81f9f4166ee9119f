/*
 * restored.h - "recovered" means the data is back: after a recovery the
 * monitor asks whether the database it serves holds what the backup's
 * manifest promised: the tables, data in the largest ones, and every
 * extension. Names from the manifest are resolved with to_regclass() as
 * parameters, never pasted into SQL.
 */
#ifndef PGW_RESTORED_H
#define PGW_RESTORED_H

#include <stddef.h>

/* 0 when db holds what backup (in dir) promised; -1 with why. */
int restored_check(const char *db, int timeout_s, const char *dir,
		   const char *backup, char *why, size_t whylen);

#endif
