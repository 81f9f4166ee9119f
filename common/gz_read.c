/*
 * gz_read.c - the gzip reader (gz.h).
 *
 * Members of at most GZ_BLOCK bytes (what gz_write.c makes) are
 * decompressed whole by libdeflate, about three times as fast as zlib.
 * Anything else (a member larger than that: the zlib writer's single
 * member, gzip's) is streamed from that point on by zlib's inflate, with
 * constant memory and no size limit. A damaged member also goes to zlib, so
 * that one decoder words every error. docs/COMPRESSION.md.
 */
#include <errno.h>
#include <libdeflate.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gz.h"

/* compressed input held at once: a few of the largest members */
#define GZ_READ_WINDOW (1024 * 1024)

struct reader {
	gz_source_fn src;
	void *src_arg;
	gz_chunk_fn fn;
	void *arg;
	uint64_t total;
	char *err;
	size_t errlen;
};

/* The bytes still held, then the rest of the source (unless it ended). */
struct held {
	const unsigned char *p;
	size_t n;
	bool eof;
	struct reader *r;
};

static ssize_t held_read(void *arg, void *buf, size_t cap)
{
	struct held *h = arg;
	size_t n = h->n < cap ? h->n : cap;

	if (n == 0)
		return h->eof ? 0 : h->r->src(h->r->src_arg, buf, cap);
	memcpy(buf, h->p, n);
	h->p += n;
	h->n -= n;
	return (ssize_t)n;
}

static int emit(struct reader *r, const void *data, size_t len)
{
	r->total += len;
	if (r->fn && r->fn(r->arg, data, len) < 0) {
		snprintf(r->err, r->errlen, "stopped by the consumer");
		return -1;
	}
	return 0;
}

static ssize_t read_some(gz_source_fn src, void *arg, void *buf, size_t cap,
			 char *err, size_t errlen)
{
	for (;;) {
		ssize_t n = src(arg, buf, cap);
		if (n >= 0)
			return n;
		if (errno != EINTR) {
			snprintf(err, errlen, "read error: %s",
				 strerror(errno));
			return -1;
		}
	}
}

/* zlib from here to the end, member after member. */
static int inflate_rest(struct reader *r, gz_source_fn src, void *src_arg)
{
	static const size_t in_cap = 64 * 1024, out_cap = 256 * 1024;
	unsigned char *in = malloc(in_cap), *out = malloc(out_cap);
	z_stream zs = {0};
	int rc = Z_OK, result = -1;
	bool any = false;

	if (!in || !out || inflateInit2(&zs, 15 + 16) != Z_OK) {
		snprintf(r->err, r->errlen, "unable to start zlib");
		free(in);
		free(out);
		return -1;
	}
	for (;;) {
		if (zs.avail_in == 0) {
			ssize_t n = read_some(src, src_arg, in, in_cap, r->err,
					      r->errlen);
			if (n < 0)
				goto out;
			if (n == 0)
				break;
			zs.next_in = in;
			zs.avail_in = (uInt)n;
		}
		if (rc == Z_STREAM_END && inflateReset(&zs) != Z_OK)
			goto out; /* another member follows */
		zs.next_out = out;
		zs.avail_out = (uInt)out_cap;
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			snprintf(r->err, r->errlen, "corrupt gzip data: %s",
				 zs.msg ? zs.msg : "inflate failed");
			goto out;
		}
		any = true;
		if (out_cap - zs.avail_out > 0 &&
		    emit(r, out, out_cap - zs.avail_out) < 0)
			goto out;
	}
	if (!any || rc != Z_STREAM_END)
		snprintf(r->err, r->errlen,
			 "truncated gzip data (stream ends early)");
	else
		result = 0;
out:
	inflateEnd(&zs);
	free(in);
	free(out);
	return result;
}

/* Whole members with libdeflate while they come in GZ_BLOCK pieces; the
 * first that does not goes, with the rest, to zlib. A member of ours is
 * never longer compressed than half the window, so one that does not
 * decompress from a half-full window is not one of ours (or is damaged). */
static int read_members(struct reader *r, struct libdeflate_decompressor *d,
			unsigned char *in, unsigned char *out)
{
	size_t have = 0, pos = 0, used, made;
	bool eof = false, any = false;

	for (;;) {
		if (!eof && have - pos < GZ_READ_WINDOW / 2) {
			memmove(in, in + pos, have - pos);
			have -= pos;
			pos = 0;
			ssize_t n = read_some(r->src, r->src_arg, in + have,
					      GZ_READ_WINDOW - have, r->err,
					      r->errlen);
			if (n < 0)
				return -1;
			eof = n == 0;
			have += (size_t)n;
			continue;
		}
		if (pos == have && any)
			return 0;
		if (pos == have ||
		    libdeflate_gzip_decompress_ex(d, in + pos, have - pos, out,
						  GZ_BLOCK, &used,
						  &made) != LIBDEFLATE_SUCCESS)
			break;
		if (emit(r, out, made) < 0)
			return -1;
		pos += used;
		any = true;
	}
	struct held h = {in + pos, have - pos, eof, r};
	return inflate_rest(r, held_read, &h);
}

int gz_read_source(gz_source_fn src, void *src_arg, gz_chunk_fn fn, void *arg,
		   uint64_t *out_bytes, char *err, size_t errlen)
{
	struct reader r = {src, src_arg, fn, arg, 0, err, errlen};
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	unsigned char *in = malloc(GZ_READ_WINDOW), *out = malloc(GZ_BLOCK);
	int rc = -1;

	if (d && in && out)
		rc = read_members(&r, d, in, out);
	else
		snprintf(err, errlen, "out of memory");
	if (d)
		libdeflate_free_decompressor(d);
	free(in);
	free(out);
	if (rc == 0 && out_bytes)
		*out_bytes = r.total;
	return rc;
}

static ssize_t read_fd(void *arg, void *buf, size_t cap)
{
	return read(*(int *)arg, buf, cap);
}

int gz_read_fd(int fd, gz_chunk_fn fn, void *arg, uint64_t *out_bytes,
	       char *err, size_t errlen)
{
	return gz_read_source(read_fd, &fd, fn, arg, out_bytes, err, errlen);
}
