/*
 * manifest_auth.h - with an encryption key, every manifest is signed:
 * HMAC-SHA256 over its bytes, with a key derived from the backup key
 * (docs/THREATS.md). An attacker who can write /backups but has no key can
 * then no more forge a manifest (its table list, row counts, status) than
 * a backup.
 *
 * Contract:
 *  - manifest_auth_key() sets the key for this process (NULL: off). The
 *    sidecars set it from [backupper] encryption_key_file at start and at
 *    every reload, the CLI when it loads its config.
 *  - manifest_auth_sign() appends "\n[auth]\nhmac = <hex>\n" to a manifest's
 *    text; manifest_auth_verify() checks that trailer. With the key set, a
 *    manifest without it, or with a wrong one, is refused: it is what a
 *    forgery looks like (a manifest written before keys were set must be
 *    re-taken: there is no way to tell it from one).
 */
#ifndef PGW_MANIFEST_AUTH_H
#define PGW_MANIFEST_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "crypt.h"

void manifest_auth_key(const struct crypt_key *k);
bool manifest_auth_on(void);
/* The key id of the key set ("" when off). */
const char *manifest_auth_key_id(void);
/* Append the trailer to buf (len bytes of cap). New length, or -1 when it
 * does not fit. */
long manifest_auth_sign(char *buf, size_t len, size_t cap);
/* 0 when the text carries a valid trailer (or the key is off), -1 with the
 * reason in err. */
int manifest_auth_verify(const char *text, size_t len, char *err,
			 size_t errlen);

#endif
