/* hash.h - SHA-256 (OpenSSL libcrypto), streaming and of whole files. */
#ifndef PGW_HASH_H
#define PGW_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_HEX_LEN 65

struct hash_ctx;

struct hash_ctx *hash_new(void);
void hash_update(struct hash_ctx *h, const void *data, size_t len);
/* Writes 64 lowercase hex digits + NUL into hex; frees h. */
void hash_final(struct hash_ctx *h, char *hex);
/* SHA-256 of what fd reads to its end; -1 on error. */
int hash_fd(int fd, char *hex, int64_t *size);
/* SHA-256 of dir/name (regular file, no symlink); -1 on error. */
int hash_file(const char *dir, const char *name, char *hex, int64_t *size);

#endif
