/*
 * bfile.h - reading a backup file back, plain or encrypted.
 *
 * Every reader of backups (restore, verification drills, globals) goes
 * through bfile_read(), so an encrypted backup (crypt.h) is authenticated
 * chunk by chunk and then decompressed, and a plain one is decompressed,
 * with the same callback. Whether a file is encrypted is decided by its
 * first bytes, not by its name or manifest, which an attacker may edit.
 */
#ifndef PGW_BFILE_H
#define PGW_BFILE_H

#include <stddef.h>
#include <stdint.h>

#include "crypt.h"
#include "gz.h"

/* Open file inside dir (no symlinks) and stream its SQL to fn. key may be
 * NULL when no key is configured. 0 when the whole file was read,
 * authenticated and decompressed with a correct CRC; -1 with the reason in
 * err when the file is bad; -2 when it is encrypted and we lack its key
 * (none configured, or another one): our problem, not the file's. */
int bfile_read(const char *dir, const char *file, const struct crypt_key *key,
	       gz_chunk_fn fn, void *arg, uint64_t *out_bytes, char *err,
	       size_t errlen);

#endif
