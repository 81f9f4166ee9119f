/*
 * crypt.h - optional encryption of backups at rest: AES-256-GCM (OpenSSL
 * libcrypto) in fixed-size chunks, so a file of any size is encrypted and
 * decrypted as a stream, in constant memory, and every chunk is
 * authenticated before a byte of it is used.
 *
 * File format (all integers big-endian):
 *   header  32 bytes: "PGWENC1\0" | chunk size u32 | nonce prefix 8 random
 *           bytes | key id 8 bytes | 4 zero bytes
 *   records ciphertext of one chunk of plaintext (the chunk size, except the
 *           last, which may be shorter or empty) followed by its 16-byte tag
 * Chunk i uses the nonce prefix || i (u32) and authenticates the header
 * plus one byte saying whether it is the last chunk, so records cannot be
 * reordered, dropped, truncated away or spliced from another file. The key
 * id (the first 8 bytes of SHA-256 over a label and the key) tells which
 * key a file needs without revealing the key.
 *
 * The key is 32 bytes given as 64 hex characters on the first line of a
 * file (`openssl rand -hex 32`), never in argv or config.
 */
#ifndef PGW_CRYPT_H
#define PGW_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CRYPT_MAGIC	 "PGWENC1"
#define CRYPT_HEADER_LEN 32
#define CRYPT_TAG_LEN	 16
#define CRYPT_CHUNK	 (64 * 1024)
#define CRYPT_KEYID_HEX	 17

struct crypt_key {
	unsigned char key[32];
	unsigned char id[8];
	char id_hex[CRYPT_KEYID_HEX];
};

/* Load a key file (first line: 64 hex characters). 0, or -1 with the reason
 * in err (which never contains key material). */
int crypt_key_load(const char *file, struct crypt_key *k, char *err,
		   size_t errlen);
void crypt_key_wipe(struct crypt_key *k);
/* The key encryption_key_file names, for the processes that read or
 * write backups (the daemon at start and at every reload, the CLI): 1 with
 * k loaded, 0 when no file is configured (k wiped), -1 with the reason.
 * The loaded key lives with its process (struct daemon), never in the
 * configuration, and is wiped whenever it is replaced. */
int crypt_key_configured(const char *key_file, struct crypt_key *k, char *err,
			 size_t errlen);

/* True when the first bytes of a file are an encrypted backup's header. */
bool crypt_is_encrypted(const void *head, size_t len);

/* Writer: encrypts what it is given and passes the records to sink. */
typedef int (*crypt_sink_fn)(void *arg, const void *data, size_t len);
struct cryptw;
struct cryptw *cryptw_open(const struct crypt_key *k, crypt_sink_fn sink,
			   void *arg);
/* -1 when the sink fails (errno from the sink). */
int cryptw_write(struct cryptw *w, const void *data, size_t len);
/* Writes the last record; frees w. */
int cryptw_close(struct cryptw *w);
void cryptw_abort(struct cryptw *w);

/* Reader: pulls an encrypted file from fd and returns plaintext that has
 * been authenticated. cryptr_open() fails with errno EKEYREJECTED when the
 * file needs another key. cryptr_read() returns bytes, 0 at the authenticated
 * end, -1 with the reason in cryptr_error() (wrong key, tampered or
 * truncated file, read error). */
struct cryptr;
struct cryptr *cryptr_open(int fd, const struct crypt_key *k, char *err,
			   size_t errlen);
ssize_t cryptr_read(struct cryptr *r, void *buf, size_t cap);
const char *cryptr_error(const struct cryptr *r);
void cryptr_close(struct cryptr *r);

#endif
