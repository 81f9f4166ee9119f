/*
 * secret.h - reading secrets (database password, Telegram token, webhook
 * URL, backup encryption key) from a file mounted from a Kubernetes Secret,
 * or else from an environment variable.
 *
 * Contract: the secret is the file's first line (or the variable's value),
 * without its line end; SECRET_TRIM also drops trailing spaces (tokens and
 * URLs; a password keeps them). Every non-empty secret read is registered
 * with log_add_secret() so no log line, alert or status ever shows it.
 * Secrets never come from argv.
 */
#ifndef PGW_SECRET_H
#define PGW_SECRET_H

#include <stddef.h>

#define SECRET_TRIM 1u

/* file may be "" (then env is used; env may be NULL). what names the file
 * in errors ("password file"). 0 with out filled ("" when neither is set),
 * or -1 with "unable to open <what> '<file>': <reason>" in err. A secret
 * longer than cap - 1 bytes is an error, not silently cut. */
int secret_read(const char *file, const char *env, const char *what,
		unsigned flags, char *out, size_t cap, char *err,
		size_t errlen);

#endif
