/*
 * blocksize.c - how the gzip writer's block size trades ratio for speed.
 * Compresses a file (a plain SQL dump) with libdeflate in independent
 * blocks of each size, on one core, and prints the compressed size and the
 * throughput; zlib's single stream at the same level is the reference.
 * Usage: blocksize FILE [LEVEL]   (built by make bench)
 */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	unsigned char *buf;

	if (!f || fstat(fileno(f), &st) < 0)
		return NULL;
	buf = malloc((size_t)st.st_size);
	if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)st.st_size;
	return buf;
}

static size_t zlib_size(const unsigned char *in, size_t len, int level)
{
	z_stream zs = {0};
	unsigned char out[1 << 16];
	size_t total = 0;
	int rc;

	deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		rc = deflate(&zs, Z_FINISH);
		total += sizeof(out) - zs.avail_out;
	} while (rc == Z_OK);
	deflateEnd(&zs);
	return total;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {64 << 10,  128 << 10, 256 << 10,
				       512 << 10, 1 << 20,   2 << 20};
	int level = argc > 2 ? atoi(argv[2]) : 6;
	size_t len, zsize;
	unsigned char *in;
	double t;

	if (argc < 2 || !(in = slurp(argv[1], &len))) {
		fprintf(stderr, "usage: blocksize FILE [LEVEL]\n");
		return 2;
	}
	t = now();
	zsize = zlib_size(in, len, level);
	printf("%-26s %10s %9s %9s\n", "method", "bytes", "x_zlib", "MB/s");
	printf("%-26s %10zu %9.3f %9.1f\n", "zlib, one stream", zsize, 1.0,
	       (double)len / 1e6 / (now() - t));
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct libdeflate_compressor *c =
			libdeflate_alloc_compressor(level);
		size_t cap = libdeflate_gzip_compress_bound(c, sizes[s]);
		unsigned char *out = malloc(cap);
		size_t total = 0;
		char label[64];

		t = now();
		for (size_t off = 0; off < len; off += sizes[s]) {
			size_t n = len - off < sizes[s] ? len - off : sizes[s];
			total += libdeflate_gzip_compress(c, in + off, n, out,
							  cap);
		}
		snprintf(label, sizeof(label), "libdeflate, %zu KiB blocks",
			 sizes[s] >> 10);
		printf("%-26s %10zu %9.3f %9.1f\n", label, total,
		       (double)total / (double)zsize,
		       (double)len / 1e6 / (now() - t));
		free(out);
		libdeflate_free_compressor(c);
	}
	free(in);
	return 0;
}
