/*
 * gz.h - gzip files: written in parallel with libdeflate, read with zlib.
 *
 * Writer: input is cut into GZ_BLOCK blocks; each block is compressed on a
 * worker thread into one complete gzip member (RFC 1952 allows members one
 * after another; gunzip, zcat, pigz -d and Python's gzip read them all),
 * decompressed again on that thread and compared with its input, and the
 * members are written in input order through the sink, which writes and
 * hashes them. Memory is bounded (a few MiB) whatever the input size.
 * docs/COMPRESSION.md has the measurements behind GZ_BLOCK.
 *
 * Reader: streams any gzip file back (one member or many, from this writer,
 * from the zlib writer before it, or from gzip), checking every member's CRC
 * and length, with no size limit and constant memory.
 */
#ifndef PGW_GZ_H
#define PGW_GZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Sink: write len bytes; return 0 or -1 (errno set). */
typedef int (*gz_sink_fn)(void *arg, const void *data, size_t len);

struct gzw;

/* Uncompressed bytes per member. */
#define GZ_BLOCK (256 * 1024)

/* level: 1-12, libdeflate's (1-9 as gzip's, 10-12 slower and smaller).
 * threads <= 0: one per CPU this process may use (cpu_usable: affinity
 * and the container's CPU limit). NULL on allocation failure. */
struct gzw *gzw_open(int level, int threads, gz_sink_fn sink, void *arg);
/* Feed uncompressed bytes. -1 on error: errno from the sink, or EIO with
 * gzw_why() saying what did not verify. */
int gzw_write(struct gzw *w, const void *data, size_t len);
const char *gzw_why(const struct gzw *w);
/* Write what is left and check that the members written are the whole
 * input, in order; frees w. -1 on error (why: "" when the sink failed and
 * errno says why). */
int gzw_close(struct gzw *w, char *why, size_t whylen);
/* Discard without writing more; frees w. */
void gzw_abort(struct gzw *w);
/* What compresses, for manifests: "libdeflate <version>". */
const char *gzw_compressor(void);
/* Tests only: called on each member between compression and its check. */
extern void (*gzw_test_tamper)(unsigned char *member, size_t len);

/* Reader: calls fn for each decompressed chunk. Returns 0 when the stream is
 * a complete, CRC-correct gzip (members concatenated are accepted), else -1
 * with a reason in err. *out_bytes gets the decompressed length. fn may
 * return -1 to stop (err then says so). */
typedef int (*gz_chunk_fn)(void *arg, const void *data, size_t len);
int gz_read_fd(int fd, gz_chunk_fn fn, void *arg, uint64_t *out_bytes,
	       char *err, size_t errlen);
/* The same from any source of compressed bytes: src returns the bytes it
 * put in buf, 0 at the end, -1 with errno set. */
typedef ssize_t (*gz_source_fn)(void *arg, void *buf, size_t cap);
int gz_read_source(gz_source_fn src, void *src_arg, gz_chunk_fn fn, void *arg,
		   uint64_t *out_bytes, char *err, size_t errlen);

#endif
