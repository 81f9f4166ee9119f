/*
 * gz_write.c - the parallel gzip writer (gz.h) on libdeflate.
 *
 * Input is cut into GZ_BLOCK blocks. Each block becomes one complete gzip
 * member, compressed by a worker thread and decompressed again by the same
 * worker, which compares the result with the block byte for byte before the
 * member may be written. Members reach the sink in input order; the writer
 * also checks that order: the CRC of everything fed in must equal the CRC
 * of the members written, combined in the order they were written.
 * docs/COMPRESSION.md says why the block size is what it is.
 */
#include <errno.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cpu.h"
#include "gz.h"

void (*gzw_test_tamper)(unsigned char *member, size_t len);

enum job_state { JOB_FILLING, JOB_QUEUED, JOB_WORKING, JOB_DONE, JOB_FAILED };

struct gz_job {
	unsigned char *in, *out;
	size_t in_len, out_len;
	uint32_t crc; /* the member's own, checked against its data */
	enum job_state state;
};

struct gzw {
	int level, nthreads, nslots;
	gz_sink_fn sink;
	void *arg;
	struct gz_job *jobs;
	size_t out_cap;
	long head, tail; /* next to fill / next to write (job sequence) */
	uint32_t crc_in; /* of the bytes fed, in order */
	uLong crc_out;	 /* of the members written, combined in order */
	uint64_t bytes_in, bytes_out_plain;
	long members;
	bool stopping, failed;
	char why[160];
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
};

struct gz_worker {
	struct libdeflate_compressor *c;
	struct libdeflate_decompressor *d;
	unsigned char *back; /* a member decompressed again */
};

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Compress one block into one member and prove it decompresses to the
 * block: libdeflate checks the member's CRC and length, memcmp the bytes. */
static int compress_job(struct gz_worker *k, struct gzw *w, struct gz_job *j)
{
	size_t n = 0;

	j->out_len = libdeflate_gzip_compress(k->c, j->in, j->in_len, j->out,
					      w->out_cap);
	if (j->out_len < 18)
		return -1;
	if (gzw_test_tamper)
		gzw_test_tamper(j->out, j->out_len);
	if (libdeflate_gzip_decompress(k->d, j->out, j->out_len, k->back,
				       GZ_BLOCK, &n) != LIBDEFLATE_SUCCESS ||
	    n != j->in_len || memcmp(k->back, j->in, n) != 0)
		return -1;
	j->crc = get_le32(j->out + j->out_len - 8);
	return 0;
}

static struct gz_job *next_queued(struct gzw *w)
{
	for (long s = w->tail; s < w->head; s++)
		if (w->jobs[s % w->nslots].state == JOB_QUEUED)
			return &w->jobs[s % w->nslots];
	return NULL;
}

static void *gz_worker_main(void *p)
{
	struct gzw *w = p;
	struct gz_worker k = {libdeflate_alloc_compressor(w->level),
			      libdeflate_alloc_decompressor(),
			      malloc(GZ_BLOCK)};
	bool ok = k.c && k.d && k.back;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct gz_job *j = next_queued(w);
		if (!j) {
			if (w->stopping)
				break;
			pthread_cond_wait(&w->work, &w->mu);
			continue;
		}
		j->state = JOB_WORKING;
		pthread_mutex_unlock(&w->mu);
		int rc = ok ? compress_job(&k, w, j) : -1;
		pthread_mutex_lock(&w->mu);
		j->state = rc == 0 ? JOB_DONE : JOB_FAILED;
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	if (k.c)
		libdeflate_free_compressor(k.c);
	if (k.d)
		libdeflate_free_decompressor(k.d);
	free(k.back);
	return NULL;
}

static void free_jobs(struct gzw *w)
{
	for (int i = 0; w->jobs && i < w->nslots; i++) {
		free(w->jobs[i].in);
		free(w->jobs[i].out);
	}
	free(w->jobs);
	free(w->threads);
}

static int alloc_jobs(struct gzw *w)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(w->level);

	if (!c)
		return -1;
	w->out_cap = libdeflate_gzip_compress_bound(c, GZ_BLOCK);
	libdeflate_free_compressor(c);
	w->jobs = calloc((size_t)w->nslots, sizeof(*w->jobs));
	w->threads = calloc((size_t)w->nthreads, sizeof(*w->threads));
	if (!w->jobs || !w->threads)
		return -1;
	for (int i = 0; i < w->nslots; i++)
		if (!(w->jobs[i].in = malloc(GZ_BLOCK)) ||
		    !(w->jobs[i].out = malloc(w->out_cap)))
			return -1;
	return 0;
}

struct gzw *gzw_open(int level, int threads, gz_sink_fn sink, void *arg)
{
	struct gzw *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->level = level;
	w->nthreads = threads > 0 ? threads : cpu_usable();
	/* one block filling, one being written, one per worker, one spare */
	w->nslots = w->nthreads + 3;
	w->sink = sink;
	w->arg = arg;
	w->crc_out = crc32(0L, Z_NULL, 0);
	if (alloc_jobs(w) < 0) {
		free_jobs(w);
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	for (int i = 0; i < w->nthreads; i++)
		if (pthread_create(&w->threads[i], NULL, gz_worker_main, w) !=
		    0) {
			w->nthreads = i;
			gzw_abort(w);
			return NULL;
		}
	return w;
}

static int fail(struct gzw *w, const char *why)
{
	snprintf(w->why, sizeof(w->why), "%s", why);
	w->failed = true;
	errno = EIO;
	return -1;
}

/* Hand one finished member to the sink, in order. */
static int write_member(struct gzw *w, struct gz_job *j)
{
	if (j->state == JOB_FAILED)
		return fail(w, "a compressed block did not decompress to "
			       "its input");
	if (w->sink(w->arg, j->out, j->out_len) < 0) {
		w->failed = true;
		return -1;
	}
	w->crc_out = crc32_combine(w->crc_out, j->crc, (z_off_t)j->in_len);
	w->bytes_out_plain += j->in_len;
	w->members++;
	return 0;
}

/* Write out finished members in order; wait for the oldest when block. */
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
		while (block &&
		       (j->state == JOB_QUEUED || j->state == JOB_WORKING))
			pthread_cond_wait(&w->done, &w->mu);
		if (j->state != JOB_DONE && j->state != JOB_FAILED) {
			pthread_mutex_unlock(&w->mu);
			return 0;
		}
		pthread_mutex_unlock(&w->mu);
		if (write_member(w, j) < 0)
			return -1;
		pthread_mutex_lock(&w->mu);
		j->state = JOB_FILLING;
		j->in_len = 0;
		w->tail++;
		pthread_mutex_unlock(&w->mu);
		block = false;
	}
}

static int gz_submit(struct gzw *w)
{
	struct gz_job *j = &w->jobs[w->head % w->nslots];

	pthread_mutex_lock(&w->mu);
	j->state = JOB_QUEUED;
	w->head++;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	/* keep one free slot to fill: wait for the oldest when the ring is full
	 */
	return gz_drain(w, w->head - w->tail >= w->nslots - 1);
}

int gzw_write(struct gzw *w, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (w->failed) {
		errno = EIO;
		return -1;
	}
	w->crc_in = libdeflate_crc32(w->crc_in, data, len);
	w->bytes_in += len;
	while (len > 0) {
		struct gz_job *j = &w->jobs[w->head % w->nslots];
		size_t room = GZ_BLOCK - j->in_len, n = len < room ? len : room;
		memcpy(j->in + j->in_len, p, n);
		j->in_len += n;
		p += n;
		len -= n;
		if (j->in_len == GZ_BLOCK && gz_submit(w) < 0)
			return -1;
	}
	return 0;
}

const char *gzw_why(const struct gzw *w)
{
	return w->why;
}

/* Workers take every queued job before they see stopping, so the join
 * also waits for those: no worker touches freed memory. */
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
	free_jobs(w);
	free(w);
}

/* Everything fed was written once, in order. */
static int check_order(struct gzw *w)
{
	if (w->bytes_out_plain != w->bytes_in || w->crc_out != w->crc_in)
		return fail(w, "the members written do not add up to the "
			       "input (order or length)");
	return 0;
}

int gzw_close(struct gzw *w, char *why, size_t whylen)
{
	struct gz_job *j = &w->jobs[w->head % w->nslots];
	int rc = w->failed ? -1 : 0;

	/* an empty input still makes one (empty) member: a valid gzip file */
	if (rc == 0 && (j->in_len > 0 || w->head == 0))
		rc = gz_submit(w);
	while (rc == 0 && w->tail < w->head)
		rc = gz_drain(w, true);
	if (rc == 0)
		rc = check_order(w);
	if (why)
		snprintf(why, whylen, "%s", w->why);
	gz_free(w);
	return rc;
}

void gzw_abort(struct gzw *w)
{
	if (w)
		gz_free(w);
}

const char *gzw_compressor(void)
{
	return "libdeflate " LIBDEFLATE_VERSION_STRING;
}
