/*
 * gz.h - gzip streams with zlib.
 *
 * Writer: compresses on several threads the way pigz does. Input is cut into
 * 128 KiB blocks; each block is deflated independently with the previous
 * 32 KiB as its dictionary (so the ratio stays within a fraction of a percent
 * of single-threaded gzip), ended with a sync flush (byte aligned, not final),
 * and the blocks are written in order as one standard gzip member whose CRC
 * is combined with crc32_combine(). Memory is bounded (a few MiB) whatever
 * the input size. Every compressed byte goes through the sink callback, which
 * writes it and hashes it.
 *
 * Reader: streams a gzip file back, checking CRC and length, with no
 * size limit and constant memory.
 */
#ifndef PGW_GZ_H
#define PGW_GZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Sink: write len bytes; return 0 or -1 (errno set). */
typedef int (*gz_sink_fn)(void *arg, const void *data, size_t len);

struct gzw;

/* threads <= 0: one per CPU this process may use (cpu_usable: affinity
 * and the container's CPU limit). NULL on allocation failure. */
struct gzw *gzw_open(int level, int threads, gz_sink_fn sink, void *arg);
/* Feed uncompressed bytes. -1 on sink error (errno from the sink). */
int gzw_write(struct gzw *w, const void *data, size_t len);
/* Flush everything and write the trailer; frees w. -1 on error. */
int gzw_close(struct gzw *w);
/* Discard without writing more; frees w. */
void gzw_abort(struct gzw *w);

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

/* Incremental check: feed a gzip stream in any pieces (e.g. as it is being
 * written) and learn at the end whether it decompresses completely with a
 * correct CRC and length. Decompressed bytes are counted, not kept. */
struct gz_check;
struct gz_check *gz_check_new(void);
/* -1 with a reason when the data is corrupt. */
int gz_check_feed(struct gz_check *c, const void *data, size_t len, char *err,
		  size_t errlen);
/* Frees c. 0 when one complete stream was seen; *out_bytes its length. */
int gz_check_end(struct gz_check *c, uint64_t *out_bytes, char *err,
		 size_t errlen);

#endif
