/*
 * bootstrap.h - the data directory before postgres starts, as the official
 * image's entrypoint prepares it:
 *  - an empty or missing PGDATA is a first start, not a disaster: initdb
 *    with initdb_options, an INFO alert, no restore;
 *  - with a password file, the cluster never trusts anyone: local
 *    connections by peer, host connections by scram-sha-256 (a
 *    `host all all all scram-sha-256` rule and listen_addresses '*', so
 *    other pods reach it with the password and nobody without), unless
 *    initdb_options chose its own -A/--auth;
 *  - PGDATA's mode is set to 0700 (or 0750) before every start: a volume's
 *    fsGroup makes it group-writable, and postgres then refuses to start.
 * A PGDATA that holds files but no PG_VERSION is left alone: that is not
 * a first start, and postgres says what is wrong with it. One of another
 * major version is not started at all (CRITICAL server-major-mismatch):
 * its failing starts would otherwise end in a re-init.
 */
#ifndef PGW_BOOTSTRAP_H
#define PGW_BOOTSTRAP_H

#include <stddef.h>

#include "daemon.h"

/* Before every start. 0 when postgres may start; -1 (logged, alerted)
 * when it may not. */
int cluster_prepare(const struct daemon *d);
/* initdb into d->cfg.pgdata (a re-init moved the old one aside first). */
int cluster_initdb(const struct daemon *d, char *why, size_t whylen);
/* pg_hba.conf and postgresql.conf of a secured cluster: other hosts by
 * scram-sha-256 only, listening on every address. */
int cluster_open_to_network(const struct daemon *d, char *why, size_t whylen);

#endif
