/* test_gz.c - the libdeflate writer and the zlib reader: round trips at
 * every thread count and level, members other gzip readers accept, the
 * writer's own check catching a bad member, and files of the zlib writer
 * before it (one member, sync-flushed blocks) and of gzip still read. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
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
	errno = ENOSPC;
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

static int write_gz(const unsigned char *data, size_t len, int level,
		    int threads, const char *path, char *why, size_t whylen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), rc = 0;
	struct gzw *w = gzw_open(level, threads, to_fd, &fd);

	if (!w)
		return -1;
	/* odd-sized writes cross block boundaries */
	for (size_t off = 0; off < len && rc == 0;) {
		size_t chunk = len - off < 7777 ? len - off : 7777;
		rc = gzw_write(w, data + off, chunk);
		off += chunk;
	}
	if (rc < 0)
		gzw_abort(w);
	else
		rc = gzw_close(w, why, whylen);
	close(fd);
	return rc;
}

/* The file at path decompresses to exactly data. */
static int reads_back(const unsigned char *data, size_t len, const char *path)
{
	struct buf back = {malloc(len + 1), 0, len + 1};
	int fd = open(path, O_RDONLY), rc;
	uint64_t n = 0;
	char err[256];

	rc = gz_read_fd(fd, collect, &back, &n, err, sizeof(err));
	rc |= n != len || memcmp(back.p, data, len) != 0;
	close(fd);
	free(back.p);
	return rc;
}

static int roundtrip(const unsigned char *data, size_t len, int level,
		     int threads, const char *path)
{
	char why[200];

	return write_gz(data, len, level, threads, path, why, sizeof(why)) ||
	       reads_back(data, len, path);
}

/* gzip members in the file, counted with zlib */
static int count_members(const char *path)
{
	int fd = open(path, O_RDONLY), members = 0, rc = Z_OK;
	unsigned char in[65536], out[65536];
	z_stream zs = {0};
	ssize_t n;

	inflateInit2(&zs, 15 + 16);
	while ((n = read(fd, in, sizeof(in))) > 0) {
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		while (zs.avail_in > 0) {
			zs.next_out = out;
			zs.avail_out = sizeof(out);
			rc = inflate(&zs, Z_NO_FLUSH);
			if (rc == Z_STREAM_END) {
				members++;
				inflateReset(&zs);
			} else if (rc != Z_OK) {
				break;
			}
		}
	}
	inflateEnd(&zs);
	close(fd);
	return members;
}

/* The previous writer's format: one member, blocks ended by sync flushes
 * (each with the last 32 KiB as dictionary, as it had them). */
static void write_zlib_style(const unsigned char *data, size_t len,
			     const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	unsigned char out[300 * 1024];
	z_stream zs = {0};

	deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	for (size_t off = 0;; off += 128 * 1024) {
		size_t n = len - off < 128 * 1024 ? len - off : 128 * 1024;
		bool last = off + n >= len;
		zs.next_in = (unsigned char *)data + off;
		zs.avail_in = (uInt)n;
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		deflate(&zs, last ? Z_FINISH : Z_SYNC_FLUSH);
		write(fd, out, sizeof(out) - zs.avail_out);
		if (last)
			break;
	}
	deflateEnd(&zs);
	close(fd);
}

static void flip_one_byte(unsigned char *member, size_t len)
{
	if (len > 40)
		member[len / 2] ^= 0x55;
}

static int sh(const char *fmt, const char *a, const char *b)
{
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

static void other_readers(const char *path, const char *plain)
{
	CHECK(sh("gzip -t %s", path, "") == 0, "gzip -t accepts the members");
	CHECK(sh("gunzip -c %s | cmp -s - %s", path, plain) == 0,
	      "gunzip gives back every member");
	CHECK(sh("pigz -dc %s | cmp -s - %s", path, plain) == 0,
	      "pigz -d gives back every member");
	CHECK(sh("python3 -c 'import gzip,sys; "
		 "sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())' "
		 "%s | cmp -s - %s",
		 path, plain) == 0,
	      "python's gzip module gives back every member");
}

static void old_formats(const unsigned char *data, size_t len, const char *dir)
{
	char path[PATH_MAX], plain[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/old.gz", dir);
	write_zlib_style(data, len, path);
	CHECK(count_members(path) == 1 && reads_back(data, len, path) == 0,
	      "a file of the zlib writer (one member, sync flushes) reads");
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	fd = open(plain, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	write(fd, data, len);
	close(fd);
	CHECK(sh("gzip -6 -c %s > %s", plain, path) == 0 &&
		      reads_back(data, len, path) == 0,
	      "a file of gzip -6 reads");
	{
		/* this writer's members, then one large gzip member */
		unsigned char *twice = malloc(2 * len);
		char both[PATH_MAX + 8], why[200];
		memcpy(twice, data, len);
		memcpy(twice + len, data, len);
		snprintf(both, sizeof(both), "%s.both", path);
		CHECK(write_gz(data, len, 6, 2, both, why, sizeof(why)) == 0 &&
			      sh("cat %s >> %s", path, both) == 0 &&
			      reads_back(twice, 2 * len, both) == 0,
		      "members, then a large member: read on by zlib");
		free(twice);
	}
}

static void bad_streams(const unsigned char *data, size_t len, const char *path)
{
	char err[256];
	uint64_t n;
	int fd;

	roundtrip(data, len, 6, 2, path);
	CHECK(truncate(path, 1000) == 0, "truncate");
	fd = open(path, O_RDONLY);
	CHECK(gz_read_fd(fd, NULL, NULL, &n, err, sizeof(err)) < 0 &&
		      strstr(err, "truncated"),
	      "truncated stream refused");
	close(fd);
	roundtrip(data, len, 6, 2, path);
	fd = open(path, O_RDWR);
	pwrite(fd, "\xff\xff\xff\xff", 4, 5000);
	lseek(fd, 0, SEEK_SET);
	CHECK(gz_read_fd(fd, NULL, NULL, &n, err, sizeof(err)) < 0,
	      "flipped bytes refused");
	close(fd);
	roundtrip(data, len, 6, 2, path);
	fd = open(path, O_WRONLY | O_APPEND);
	write(fd, "garbage!", 8);
	close(fd);
	fd = open(path, O_RDONLY);
	CHECK(gz_read_fd(fd, NULL, NULL, &n, err, sizeof(err)) < 0,
	      "bytes after the last member refused");
	close(fd);
}

static void writer_checks(const unsigned char *data, size_t len,
			  const char *path)
{
	char why[200] = "";
	struct gzw *w;

	gzw_test_tamper = flip_one_byte;
	CHECK(write_gz(data, len, 6, 2, path, why, sizeof(why)) < 0,
	      "a member that does not decompress to its block is refused");
	gzw_test_tamper = NULL;
	w = gzw_open(6, 2, fail_sink, NULL);
	CHECK(w && gzw_write(w, data, len) < 0 && errno == ENOSPC,
	      "a failing sink is reported with its errno");
	gzw_abort(w);
	w = gzw_open(6, 2, fail_sink, NULL);
	CHECK(w && gzw_write(w, data, 10) == 0 &&
		      gzw_close(w, why, sizeof(why)) < 0 && why[0] == '\0',
	      "a sink failing on the last member is reported at close");
}

int main(void)
{
	size_t len = 3 * 1024 * 1024 + 12345;
	unsigned char *data = malloc(len);
	char *dir = unit_tmpdir(), path[PATH_MAX], plain[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/x.gz", dir);
	snprintf(plain, sizeof(plain), "%s/x", dir);
	srand(42);
	for (size_t i = 0; i < len; i++) /* half text-like, half random */
		data[i] = i % 2 ? (unsigned char)('a' + i % 17)
				: (unsigned char)(rand() & 0xff);
	fd = open(plain, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	write(fd, data, len);
	close(fd);
	CHECK(roundtrip(data, len, 6, 2, path) == 0, "2 threads round trip");
	CHECK(count_members(path) == (int)(len / GZ_BLOCK + 1),
	      "one member per block");
	other_readers(path, plain);
	CHECK(roundtrip(data, len, 6, 1, path) == 0, "1 thread round trip");
	CHECK(roundtrip(data, len, 6, 4, path) == 0, "4 threads round trip");
	CHECK(roundtrip(data, 0, 6, 2, path) == 0 && count_members(path) == 1,
	      "empty input: one empty member");
	CHECK(roundtrip(data, 100, 6, 2, path) == 0, "tiny input round trip");
	CHECK(roundtrip(data, GZ_BLOCK, 6, 2, path) == 0 &&
		      count_members(path) == 1,
	      "exactly one block: one member");
	CHECK(roundtrip(data, len, 1, 2, path) == 0, "level 1 round trip");
	CHECK(roundtrip(data, len, 9, 2, path) == 0, "level 9 round trip");
	CHECK(roundtrip(data, len / 4, 12, 2, path) == 0,
	      "level 12 round trip");
	old_formats(data, len, dir);

	/* ratio no worse than one zlib stream at the same level on text */
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)"COPY public.t (a, b) FROM "
					 "stdin;\n1\tabc\n"[i % 40];
	roundtrip(data, len, 6, 2, path);
	{
		uLongf one = compressBound(len);
		unsigned char *z = malloc(one);
		long ours;
		compress2(z, &one, data, len, 6);
		fd = open(path, O_RDONLY);
		ours = lseek(fd, 0, SEEK_END);
		close(fd);
		CHECK(ours < (long)one * 103 / 100 + 4096,
		      "size within 3% of one zlib stream");
		free(z);
	}
	bad_streams(data, len, path);
	writer_checks(data, len, path);
	free(data);
	return unit_done();
}
