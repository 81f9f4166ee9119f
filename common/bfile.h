/*
 * bfile.h - a backup file, written and read back, plain or encrypted.
 *
 * Writing (bfile_create/write/finish/commit): the one chain every backup
 * file goes through. Bytes are compressed (gz.h, in parallel; each member
 * is decompressed again and compared with its input before it is written,
 * so what reaches the disk is known to decompress), encrypted when a key is
 * given, and hashed on its way to <file>.partial. bfile_finish() flushes
 * and fsyncs, checks that the members are the whole input in order and that
 * the file on disk hashes to what was written; the caller then writes the
 * manifest from the facts, and bfile_commit() renames .partial to its final
 * name. Whatever fails, nothing carries a final name without a manifest, and
 * bfile_discard() removes the .partial.
 *
 * Every reader of backups (restore, verification drills, globals) goes
 * through bfile_read(), so an encrypted backup (crypt.h) is authenticated
 * chunk by chunk and then decompressed, and a plain one is decompressed,
 * with the same callback. Whether a file is encrypted is decided by its
 * first bytes, not by its name or manifest, which an attacker may edit.
 */
#ifndef PGW_BFILE_H
#define PGW_BFILE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "crypt.h"
#include "gz.h"
#include "hash.h"

struct bfile_writer;
/* What bfile_finish() knows of the file, for its manifest. */
struct bfile_facts {
	int64_t size;	  /* on disk */
	int64_t in_bytes; /* given to bfile_write */
	int64_t gz_bytes; /* compressed, before encryption */
	char sha256[HASH_HEX_LEN];
};

/* <dir>/<file>.partial, created exclusively (a stale one is replaced).
 * NULL with the reason in err. */
struct bfile_writer *bfile_create(const char *dir, const char *file,
				  const struct crypt_key *key, int level,
				  int threads, char *err, size_t errlen);
int bfile_write(struct bfile_writer *w, const void *data, size_t len, char *err,
		size_t errlen);
/* Everything fd gives until its end, into w, in 256 KiB reads. tap (or
 * NULL) sees each chunk first; once *stop (or NULL) is set, the copy ends
 * with an error. 0 at fd's end, -1 with the reason. */
typedef void (*bfile_tap_fn)(void *arg, const void *data, size_t len);
int bfile_write_fd(struct bfile_writer *w, int fd, bfile_tap_fn tap,
		   void *tap_arg, volatile sig_atomic_t *stop, char *err,
		   size_t errlen);
/* Bytes on disk so far (for progress lines). */
int64_t bfile_written(const struct bfile_writer *w);
int bfile_finish(struct bfile_writer *w, struct bfile_facts *out, char *err,
		 size_t errlen);
/* After bfile_finish() and the manifest: the final name, durably. */
int bfile_commit(struct bfile_writer *w, char *err, size_t errlen);
/* Frees w; removes the .partial unless committed. NULL is a no-op. */
void bfile_discard(struct bfile_writer *w);

/* Reading: open file inside dir (no symlinks) and stream its SQL to fn. key may
 * be NULL when no key is configured. 0 when the whole file was read,
 * authenticated and decompressed with a correct CRC; -1 with the reason in
 * err when the file is bad; -2 when it is encrypted and we lack its key
 * (none configured, or another one): our problem, not the file's. */
int bfile_read(const char *dir, const char *file, const struct crypt_key *key,
	       gz_chunk_fn fn, void *arg, uint64_t *out_bytes, char *err,
	       size_t errlen);

#endif
