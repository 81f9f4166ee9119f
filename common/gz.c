#include "gz.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cpu.h"

#define GZ_BLOCK (128 * 1024)
#define GZ_DICT	 (32 * 1024)

struct gz_job {
	unsigned char in[GZ_BLOCK];
	unsigned char dict[GZ_DICT];
	unsigned char *out;
	size_t in_len, dict_len, out_len;
	uLong crc;
	bool last;
	int state; /* 0 free/filling, 1 queued, 2 working, 3 done, -1 failed */
};

struct gzw {
	int level, nthreads, nslots;
	gz_sink_fn sink;
	void *arg;
	struct gz_job *jobs;
	size_t out_cap;
	long head, tail; /* next to fill / next to write (job sequence) */
	uLong crc;
	uint64_t total_in;
	unsigned char next_dict[GZ_DICT]; /* tail of the last submitted block */
	size_t next_dict_len;
	bool stopping, failed;
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
};

static int deflate_job(z_stream *zs, struct gzw *w, struct gz_job *j)
{
	int rc;

	if (deflateReset(zs) != Z_OK)
		return -1;
	if (j->dict_len &&
	    deflateSetDictionary(zs, j->dict, (uInt)j->dict_len) != Z_OK)
		return -1;
	zs->next_in = j->in;
	zs->avail_in = (uInt)j->in_len;
	zs->next_out = j->out;
	zs->avail_out = (uInt)w->out_cap;
	rc = deflate(zs, j->last ? Z_FINISH : Z_SYNC_FLUSH);
	if (j->last ? rc != Z_STREAM_END : rc != Z_OK || zs->avail_in != 0)
		return -1;
	j->out_len = w->out_cap - zs->avail_out;
	j->crc = crc32(0L, j->in, (uInt)j->in_len);
	return 0;
}

static void *gz_worker(void *p)
{
	struct gzw *w = p;
	z_stream zs;
	bool ok;

	memset(&zs, 0, sizeof(zs));
	ok = deflateInit2(&zs, w->level, Z_DEFLATED, -15, 8,
			  Z_DEFAULT_STRATEGY) == Z_OK;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct gz_job *j = NULL;
		for (long s = w->tail; s < w->head; s++)
			if (w->jobs[s % w->nslots].state == 1) {
				j = &w->jobs[s % w->nslots];
				break;
			}
		if (!j) {
			if (w->stopping)
				break;
			pthread_cond_wait(&w->work, &w->mu);
			continue;
		}
		j->state = 2;
		pthread_mutex_unlock(&w->mu);
		int rc = ok ? deflate_job(&zs, w, j) : -1;
		pthread_mutex_lock(&w->mu);
		j->state = rc == 0 ? 3 : -1;
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	deflateEnd(&zs);
	return NULL;
}

static int gzw_header(struct gzw *w)
{
	static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0,
					      0,    0,	  0, 0, 3};
	return w->sink(w->arg, hdr, sizeof(hdr));
}

struct gzw *gzw_open(int level, int threads, gz_sink_fn sink, void *arg)
{
	struct gzw *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	if (threads <= 0)
		threads = cpu_usable();
	w->level = level;
	w->nthreads = threads;
	w->nslots = threads * 2 + 2;
	w->sink = sink;
	w->arg = arg;
	w->out_cap = deflateBound(NULL, GZ_BLOCK) + 64;
	w->crc = crc32(0L, Z_NULL, 0);
	w->jobs = calloc((size_t)w->nslots, sizeof(*w->jobs));
	w->threads = calloc((size_t)threads, sizeof(*w->threads));
	if (!w->jobs || !w->threads)
		goto fail;
	for (int i = 0; i < w->nslots; i++)
		if (!(w->jobs[i].out = malloc(w->out_cap)))
			goto fail;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	for (int i = 0; i < threads; i++)
		if (pthread_create(&w->threads[i], NULL, gz_worker, w) != 0) {
			w->nthreads = i;
			gzw_abort(w);
			return NULL;
		}
	if (gzw_header(w) < 0) {
		gzw_abort(w);
		return NULL;
	}
	return w;
fail:
	for (int i = 0; w->jobs && i < w->nslots; i++)
		free(w->jobs[i].out);
	free(w->jobs);
	free(w->threads);
	free(w);
	return NULL;
}

/* Write out finished jobs in order; wait for the oldest when block. */
static int gz_drain(struct gzw *w, bool block)
{
	for (;;) {
		struct gz_job *j;
		pthread_mutex_lock(&w->mu);
		if (w->tail == w->head) {
			pthread_mutex_unlock(&w->mu);
			return 0;
		}
		j = &w->jobs[w->tail % w->nslots];
		while (block && (j->state == 1 || j->state == 2))
			pthread_cond_wait(&w->done, &w->mu);
		if (j->state != 3 && j->state != -1) {
			pthread_mutex_unlock(&w->mu);
			return 0;
		}
		pthread_mutex_unlock(&w->mu);
		if (j->state < 0) {
			errno = EIO;
			return -1;
		}
		if (w->sink(w->arg, j->out, j->out_len) < 0)
			return -1;
		w->crc = crc32_combine(w->crc, j->crc, (z_off_t)j->in_len);
		pthread_mutex_lock(&w->mu);
		j->state = 0;
		j->in_len = 0;
		w->tail++;
		pthread_mutex_unlock(&w->mu);
		block = false;
	}
}

static int gz_submit(struct gzw *w, bool last)
{
	struct gz_job *j = &w->jobs[w->head % w->nslots];

	size_t n = j->in_len < GZ_DICT ? j->in_len : GZ_DICT;

	/* the previous block's tail, kept here because its slot may already
	 * have been written and reused */
	memcpy(j->dict, w->next_dict, w->next_dict_len);
	j->dict_len = w->next_dict_len;
	memcpy(w->next_dict, j->in + j->in_len - n, n);
	w->next_dict_len = n;
	j->last = last;
	pthread_mutex_lock(&w->mu);
	j->state = 1;
	w->head++;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	/* keep one free slot to fill: wait for the oldest when the ring is full
	 */
	if (w->head - w->tail >= w->nslots - 1)
		return gz_drain(w, true);
	return gz_drain(w, false);
}

int gzw_write(struct gzw *w, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (w->failed)
		return -1;
	while (len > 0) {
		struct gz_job *j = &w->jobs[w->head % w->nslots];
		size_t room = GZ_BLOCK - j->in_len, n = len < room ? len : room;
		memcpy(j->in + j->in_len, p, n);
		j->in_len += n;
		w->total_in += n;
		p += n;
		len -= n;
		if (j->in_len == GZ_BLOCK && gz_submit(w, false) < 0) {
			w->failed = true;
			return -1;
		}
	}
	return 0;
}

static void gz_free(struct gzw *w)
{
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->done);
	for (int i = 0; i < w->nslots; i++)
		free(w->jobs[i].out);
	free(w->jobs);
	free(w->threads);
	free(w);
}

int gzw_close(struct gzw *w)
{
	unsigned char trailer[8];
	uint32_t isize = (uint32_t)(w->total_in & 0xffffffffu);
	int rc = w->failed ? -1 : 0;

	if (rc == 0)
		rc = gz_submit(w, true);
	while (rc == 0 && w->tail < w->head)
		rc = gz_drain(w, true);
	if (rc == 0) {
		for (int i = 0; i < 4; i++) {
			trailer[i] = (unsigned char)(w->crc >> (8 * i));
			trailer[4 + i] = (unsigned char)(isize >> (8 * i));
		}
		rc = w->sink(w->arg, trailer, sizeof(trailer));
	}
	gz_free(w);
	return rc;
}

void gzw_abort(struct gzw *w)
{
	if (!w)
		return;
	/* wait for queued jobs so no worker touches freed memory */
	pthread_mutex_lock(&w->mu);
	for (long s = w->tail; s < w->head; s++)
		while (w->jobs[s % w->nslots].state == 1 ||
		       w->jobs[s % w->nslots].state == 2)
			pthread_cond_wait(&w->done, &w->mu);
	pthread_mutex_unlock(&w->mu);
	gz_free(w);
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

int gz_read_source(gz_source_fn src, void *src_arg, gz_chunk_fn fn, void *arg,
		   uint64_t *out_bytes, char *err, size_t errlen)
{
	unsigned char in[64 * 1024], out[256 * 1024];
	z_stream zs;
	int rc = Z_OK;
	uint64_t total = 0;
	bool any = false;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK) {
		snprintf(err, errlen, "unable to start zlib");
		return -1;
	}
	for (;;) {
		ssize_t n;
		if (zs.avail_in == 0) {
			n = src(src_arg, in, sizeof(in));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(err, errlen, "read error: %s",
					 strerror(errno));
				goto fail;
			}
			if (n == 0)
				break;
			zs.next_in = in;
			zs.avail_in = (uInt)n;
		}
		if (rc == Z_STREAM_END) { /* another member follows */
			if (inflateReset(&zs) != Z_OK)
				goto fail;
		}
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			snprintf(err, errlen, "corrupt gzip data: %s",
				 zs.msg ? zs.msg : "inflate failed");
			goto fail;
		}
		any = true;
		if (sizeof(out) - zs.avail_out > 0) {
			size_t got = sizeof(out) - zs.avail_out;
			total += got;
			if (fn && fn(arg, out, got) < 0) {
				snprintf(err, errlen,
					 "stopped by the consumer");
				goto fail;
			}
		}
	}
	inflateEnd(&zs);
	if (!any || rc != Z_STREAM_END) {
		snprintf(err, errlen,
			 "truncated gzip data (stream ends early)");
		return -1;
	}
	if (out_bytes)
		*out_bytes = total;
	return 0;
fail:
	inflateEnd(&zs);
	return -1;
}

struct gz_check {
	z_stream zs;
	unsigned char out[64 * 1024];
	uint64_t total;
	int rc;
};

struct gz_check *gz_check_new(void)
{
	struct gz_check *c = calloc(1, sizeof(*c));

	if (c && inflateInit2(&c->zs, 15 + 16) != Z_OK) {
		free(c);
		return NULL;
	}
	if (c)
		c->rc = Z_OK;
	return c;
}

int gz_check_feed(struct gz_check *c, const void *data, size_t len, char *err,
		  size_t errlen)
{
	c->zs.next_in = (unsigned char *)data;
	c->zs.avail_in = (uInt)len;
	while (c->zs.avail_in > 0) {
		if (c->rc == Z_STREAM_END) {
			snprintf(err, errlen,
				 "data after the end of the gzip stream");
			return -1;
		}
		c->zs.next_out = c->out;
		c->zs.avail_out = sizeof(c->out);
		c->rc = inflate(&c->zs, Z_NO_FLUSH);
		if (c->rc != Z_OK && c->rc != Z_STREAM_END &&
		    c->rc != Z_BUF_ERROR) {
			snprintf(err, errlen, "corrupt gzip data: %s",
				 c->zs.msg ? c->zs.msg : "inflate failed");
			return -1;
		}
		c->total += sizeof(c->out) - c->zs.avail_out;
	}
	return 0;
}

int gz_check_end(struct gz_check *c, uint64_t *out_bytes, char *err,
		 size_t errlen)
{
	int ended = c->rc == Z_STREAM_END;

	/* drain output still held by zlib after the last input */
	while (!ended && c->rc == Z_OK) {
		c->zs.next_out = c->out;
		c->zs.avail_out = sizeof(c->out);
		c->rc = inflate(&c->zs, Z_NO_FLUSH);
		c->total += sizeof(c->out) - c->zs.avail_out;
		ended = c->rc == Z_STREAM_END;
		if (c->zs.avail_out == sizeof(c->out))
			break;
	}
	if (out_bytes)
		*out_bytes = c->total;
	inflateEnd(&c->zs);
	free(c);
	if (!ended) {
		snprintf(err, errlen,
			 "truncated gzip data (stream ends early)");
		return -1;
	}
	return 0;
}
