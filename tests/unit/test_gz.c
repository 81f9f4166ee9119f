#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <zlib.h>

#include "gz.h"
#include "unit.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int to_fd(void *arg, const void *data, size_t len)
{
	return write(*(int *)arg, data, len) == (ssize_t)len ? 0 : -1;
}

static int fail_sink(void *arg, const void *data, size_t len)
{
	(void)arg, (void)data, (void)len;
	return -1;
}

static int collect(void *arg, const void *data, size_t len)
{
	struct buf *b = arg;

	if (b->len + len > b->cap)
		return -1;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static int roundtrip(const unsigned char *data, size_t len, int threads,
		     const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), rc;
	struct gzw *w = gzw_open(6, threads, to_fd, &fd);
	struct buf back = {malloc(len + 1), 0, len + 1};
	uint64_t n = 0;
	char err[256];

	/* odd-sized writes cross block boundaries */
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < 7777 ? len - off : 7777;
		gzw_write(w, data + off, chunk);
		off += chunk;
	}
	rc = gzw_close(w);
	lseek(fd, 0, SEEK_SET);
	rc |= gz_read_fd(fd, collect, &back, &n, err, sizeof(err));
	rc |= n != len || memcmp(back.p, data, len) != 0;
	close(fd);
	free(back.p);
	return rc;
}

int main(void)
{
	size_t len = 3 * 1024 * 1024 + 12345;
	unsigned char *data = malloc(len);
	char path[PATH_MAX], cmd[PATH_MAX + 64], err[256];
	int fd;
	uint64_t n;

	snprintf(path, sizeof(path), "%s/x.gz", unit_tmpdir());
	srand(42);
	for (size_t i = 0; i < len; i++) /* half text-like, half random */
		data[i] = i % 2 ? (unsigned char)('a' + i % 17)
				: (unsigned char)(rand() & 0xff);
	CHECK(roundtrip(data, len, 2, path) == 0, "2 threads round trip");
	snprintf(cmd, sizeof(cmd), "gzip -t %s", path);
	CHECK(system(cmd) == 0, "gzip -t accepts the parallel stream");
	CHECK(roundtrip(data, len, 1, path) == 0, "1 thread round trip");
	CHECK(roundtrip(data, len, 4, path) == 0, "4 threads round trip");
	CHECK(roundtrip(data, 0, 2, path) == 0, "empty input round trip");
	CHECK(roundtrip(data, 100, 2, path) == 0, "tiny input round trip");

	/* ratio close to single-stream gzip -6 on repetitive text */
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)"COPY public.t (a, b) FROM "
					 "stdin;\n1\tabc\n"[i % 40];
	roundtrip(data, len, 2, path);
	{
		uLongf one = compressBound(len);
		unsigned char *z = malloc(one);
		compress2(z, &one, data, len, 6);
		long ours = 0;
		fd = open(path, O_RDONLY);
		ours = lseek(fd, 0, SEEK_END);
		close(fd);
		CHECK(ours < (long)one * 103 / 100 + 4096,
		      "size within 3% of one stream");
		free(z);
	}

	/* truncated and corrupted streams are refused */
	CHECK(truncate(path, 1000) == 0, "truncate");
	fd = open(path, O_RDONLY);
	CHECK(gz_read_fd(fd, NULL, NULL, &n, err, sizeof(err)) < 0 &&
		      strstr(err, "truncated"),
	      "truncated stream refused");
	close(fd);
	roundtrip(data, len, 2, path);
	fd = open(path, O_RDWR);
	pwrite(fd, "\xff\xff\xff\xff", 4, 5000);
	lseek(fd, 0, SEEK_SET);
	CHECK(gz_read_fd(fd, NULL, NULL, &n, err, sizeof(err)) < 0,
	      "flipped bytes refused");
	close(fd);

	/* incremental check of a stream fed in odd pieces */
	{
		unsigned char *z;
		long zl;
		struct gz_check *c = gz_check_new();
		uint64_t out = 0;
		int bad = 0;

		roundtrip(data, len, 2, path);
		fd = open(path, O_RDONLY);
		zl = lseek(fd, 0, SEEK_END);
		z = malloc((size_t)zl);
		pread(fd, z, (size_t)zl, 0);
		close(fd);
		for (long off = 0; off < zl; off += 1000)
			bad |= gz_check_feed(
				c, z + off,
				(size_t)(zl - off < 1000 ? zl - off : 1000),
				err, sizeof(err));
		CHECK(!bad && gz_check_end(c, &out, err, sizeof(err)) == 0 &&
			      out == len,
		      "incremental check accepts a good stream, exact length");
		c = gz_check_new();
		gz_check_feed(c, z, (size_t)zl / 2, err, sizeof(err));
		CHECK(gz_check_end(c, &out, err, sizeof(err)) < 0 &&
			      strstr(err, "truncated"),
		      "incremental check refuses half a stream");
		z[zl / 2] ^= 0xff;
		c = gz_check_new();
		bad = gz_check_feed(c, z, (size_t)zl, err, sizeof(err));
		CHECK(bad < 0 || gz_check_end(c, &out, err, sizeof(err)) < 0,
		      "incremental check refuses a flipped byte");
		if (bad < 0)
			gz_check_end(c, NULL, err, sizeof(err));
		free(z);
	}

	{
		struct gzw *w = gzw_open(6, 2, fail_sink, NULL);
		CHECK(w == NULL, "sink failure on header reported");
	}
	free(data);
	return unit_done();
}
