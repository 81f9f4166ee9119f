/*
 * globals.h - the globals backup (roles, tablespaces: pg_dumpall
 * --globals-only), chosen by catalog_choose() and restored into the
 * server after a re-init, or read for the roles a restore needs.
 */
#ifndef PGW_GLOBALS_H
#define PGW_GLOBALS_H

#include "manifest.h"
#include "restore.h"

/* The newest globals backup whose manifest and checksum hold, restored
 * into the server (errors such as "role exists" tolerated). 0 or -1. */
int restore_newest_globals(const struct restore_ctx *ctx);
/* The newest globals backup whose manifest and checksum hold: 0 with m
 * filled (manifest_free() it), or -1 when there is none. */
int globals_newest_valid(const struct restore_ctx *ctx, struct manifest *m);

#endif
