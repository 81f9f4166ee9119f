/* test_crypt.c - common/crypt (AES-256-GCM stream), common/secret and
 * common/bfile: round trips at chunk boundaries, tampering, truncation,
 * wrong key, key files. */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

#include "bfile.h"
#include "crypt.h"
#include "fs.h"
#include "log.h"
#include "secret.h"
#include "unit.h"

#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int buf_sink(void *arg, const void *data, size_t len)
{
	struct buf *b = arg;

	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static void key_file(const char *dir, const char *name, const char *text,
		     struct crypt_key *k)
{
	char path[512], err[256];

	fs_write_atomic(dir, name, text, strlen(text));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (k && crypt_key_load(path, k, err, sizeof(err)) < 0)
		printf("# %s\n", err);
}

/* Encrypt len pseudo-random bytes into file name in dir. */
static void encrypt_to(const char *dir, const char *name,
		       const struct crypt_key *k, const unsigned char *data,
		       size_t len)
{
	struct buf out = {0};
	struct cryptw *w = cryptw_open(k, buf_sink, &out);

	/* odd pieces, so chunk boundaries fall inside writes */
	for (size_t off = 0; off < len;) {
		size_t n = len - off < 7777 ? len - off : 7777;
		cryptw_write(w, data + off, n);
		off += n;
	}
	cryptw_close(w);
	fs_write_atomic(dir, name, out.p, out.len);
	free(out.p);
}

static int decrypt_from(const char *dir, const char *name,
			const struct crypt_key *k, struct buf *out, char *err,
			size_t errlen)
{
	char path[512], tmp[10000];
	int fd;
	ssize_t n;
	struct cryptr *r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	r = cryptr_open(fd, k, err, errlen);
	if (!r) {
		close(fd);
		return -1;
	}
	while ((n = cryptr_read(r, tmp, sizeof(tmp))) > 0)
		buf_sink(out, tmp, (size_t)n);
	if (n < 0)
		snprintf(err, errlen, "%s", cryptr_error(r));
	cryptr_close(r);
	close(fd);
	return n < 0 ? -1 : 0;
}

static void test_round_trips(const char *dir, const struct crypt_key *k)
{
	static const size_t sizes[] = {0,
				       1,
				       CRYPT_CHUNK - 1,
				       CRYPT_CHUNK,
				       CRYPT_CHUNK + 1,
				       3 * CRYPT_CHUNK,
				       5 * CRYPT_CHUNK + 12345};
	unsigned char *data = malloc(6 * CRYPT_CHUNK);
	uint32_t x = 12345;

	for (size_t i = 0; i < 6 * CRYPT_CHUNK; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (unsigned char)(x >> 16);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct buf out = {0};
		char err[256], name[64], msg[128];
		struct stat st;
		snprintf(name, sizeof(name), "rt%zu", i);
		encrypt_to(dir, name, k, data, sizes[i]);
		snprintf(msg, sizeof(msg), "%zu bytes round trip", sizes[i]);
		CHECK(decrypt_from(dir, name, k, &out, err, sizeof(err)) == 0 &&
			      out.len == sizes[i] &&
			      (sizes[i] == 0 ||
			       memcmp(out.p, data, sizes[i]) == 0),
		      msg);
		snprintf(msg, sizeof(msg),
			 "%zu bytes: overhead is header + "
			 "one tag per chunk",
			 sizes[i]);
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		stat(path, &st);
		CHECK((size_t)st.st_size ==
			      sizes[i] + CRYPT_HEADER_LEN +
				      CRYPT_TAG_LEN *
					      (sizes[i] / CRYPT_CHUNK + 1 -
					       (sizes[i] &&
						sizes[i] % CRYPT_CHUNK == 0)),
		      msg);
		free(out.p);
	}
	encrypt_to(dir, "big", k, data, 3 * CRYPT_CHUNK + 100);
	free(data);
}

/* Apply damage to a copy of "big" and expect decryption to fail. */
static void expect_rejected(const char *dir, const struct crypt_key *k,
			    const char *what, long off, int flip,
			    long truncate_to, const char *why)
{
	char src[512], dst[512], err[256] = "";
	struct buf out = {0};
	unsigned char c;
	int fd;

	snprintf(src, sizeof(src), "cp %s/big %s/bad", dir, dir);
	if (system(src) != 0)
		return;
	snprintf(dst, sizeof(dst), "%s/bad", dir);
	fd = open(dst, O_RDWR);
	if (flip && pread(fd, &c, 1, off) == 1) {
		c ^= 0x01;
		if (pwrite(fd, &c, 1, off) != 1)
			return;
	}
	if (truncate_to >= 0 && ftruncate(fd, truncate_to) < 0)
		return;
	close(fd);
	CHECK(decrypt_from(dir, "bad", k, &out, err, sizeof(err)) < 0 &&
		      strstr(err, why) != NULL,
	      what);
	free(out.p);
}

static void test_tampering(const char *dir, const struct crypt_key *a,
			   const struct crypt_key *b)
{
	long rec = CRYPT_CHUNK + CRYPT_TAG_LEN;
	struct buf out = {0};
	char err[256];

	expect_rejected(dir, a, "a flipped ciphertext bit is rejected",
			CRYPT_HEADER_LEN + rec + 100, 1, -1, "authentication");
	expect_rejected(dir, a, "a flipped tag bit is rejected",
			CRYPT_HEADER_LEN + rec - 1, 1, -1, "authentication");
	expect_rejected(dir, a, "a flipped nonce bit is rejected", 13, 1, -1,
			"authentication");
	expect_rejected(dir, a, "truncation at a record boundary is rejected",
			0, 0, CRYPT_HEADER_LEN + 2 * rec, "authentication");
	expect_rejected(dir, a, "truncation inside a record is rejected", 0, 0,
			CRYPT_HEADER_LEN + rec + 10, "authentication");
	expect_rejected(dir, a, "a file cut to its header is rejected", 0, 0,
			CRYPT_HEADER_LEN, "authentication");
	expect_rejected(dir, a, "a file cut inside its header is rejected", 0,
			0, 20, "not an encrypted");
	CHECK(decrypt_from(dir, "big", b, &out, err, sizeof(err)) < 0 &&
		      strstr(err, "another key") != NULL &&
		      strstr(err, a->id_hex) != NULL,
	      "another key is refused by its key id, before any work");
	free(out.p);
}

static void test_keys(const char *dir)
{
	struct crypt_key k;
	char path[512], err[256];

	key_file(dir, "k-short", "0011\n", NULL);
	snprintf(path, sizeof(path), "%s/k-short", dir);
	CHECK(crypt_key_load(path, &k, err, sizeof(err)) < 0 &&
		      strstr(err, "64 hex") != NULL && !strstr(err, "0011"),
	      "a short key is refused without echoing it");
	key_file(dir, "k-bad", KEY_A "\n", NULL);
	fs_write_atomic(dir, "k-bad",
			"zz112233445566778899aabbccddeeff00112233445566778899"
			"aabbccddeeff\n",
			65);
	snprintf(path, sizeof(path), "%s/k-bad", dir);
	CHECK(crypt_key_load(path, &k, err, sizeof(err)) < 0,
	      "a non-hex key is refused");
	CHECK(crypt_key_load("/nonexistent/key", &k, err, sizeof(err)) < 0 &&
		      strstr(err, "unable to open encryption key file") != NULL,
	      "a missing key file names itself");
	key_file(dir, "k-crlf", KEY_A "  \r\n", NULL);
	snprintf(path, sizeof(path), "%s/k-crlf", dir);
	CHECK(crypt_key_load(path, &k, err, sizeof(err)) == 0 &&
		      strlen(k.id_hex) == 16,
	      "trailing spaces and CRLF are accepted");
}

static void test_secret(const char *dir)
{
	char out[16], err[256], path[512], line[128];

	fs_write_atomic(dir, "pw", "p@ss word  \nsecond line\n", 24);
	snprintf(path, sizeof(path), "%s/pw", dir);
	CHECK(secret_read(path, NULL, "password file", 0, out, sizeof(out), err,
			  sizeof(err)) == 0 &&
		      strcmp(out, "p@ss word  ") == 0,
	      "a password keeps trailing spaces, first line only");
	CHECK(secret_read(path, NULL, "token file", SECRET_TRIM, out,
			  sizeof(out), err, sizeof(err)) == 0 &&
		      strcmp(out, "p@ss word") == 0,
	      "a token is trimmed");
	fs_write_atomic(dir, "long", "0123456789abcdefXYZ", 19);
	snprintf(path, sizeof(path), "%s/long", dir);
	CHECK(secret_read(path, NULL, "token file", 0, out, sizeof(out), err,
			  sizeof(err)) < 0 &&
		      strstr(err, "longer than 15") != NULL,
	      "a secret too long is an error, not cut");
	setenv("PGW_TEST_SECRET", "envsecret", 1);
	CHECK(secret_read("", "PGW_TEST_SECRET", "x", 0, out, sizeof(out), err,
			  sizeof(err)) == 0 &&
		      strcmp(out, "envsecret") == 0,
	      "the environment is used without a file");
	snprintf(line, sizeof(line), "connecting with envsecret");
	log_scrub(line, sizeof(line));
	CHECK(strstr(line, "envsecret") == NULL, "a secret read is scrubbed");
	CHECK(secret_read("", NULL, "x", 0, out, sizeof(out), err,
			  sizeof(err)) == 0 &&
		      out[0] == '\0',
	      "nothing set gives an empty secret");
}

static int count_sink(void *arg, const void *data, size_t len)
{
	(void)data;
	*(size_t *)arg += len;
	return 0;
}

static void test_bfile(const char *dir, const struct crypt_key *k)
{
	const char *sql = "CREATE TABLE t(a int);\n";
	unsigned char gz[256];
	uLongf gzlen = sizeof(gz);
	z_stream zs;
	size_t got = 0;
	char err[256];

	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *)sql;
	zs.avail_in = (uInt)strlen(sql);
	zs.next_out = gz;
	zs.avail_out = sizeof(gz);
	deflate(&zs, Z_FINISH);
	gzlen = sizeof(gz) - zs.avail_out;
	deflateEnd(&zs);
	fs_write_atomic(dir, "plain.sql.gz", gz, gzlen);
	encrypt_to(dir, "enc.sql.gz.enc", k, gz, gzlen);
	CHECK(bfile_read(dir, "plain.sql.gz", NULL, count_sink, &got, NULL, err,
			 sizeof(err)) == 0 &&
		      got == strlen(sql),
	      "bfile reads a plain backup");
	got = 0;
	CHECK(bfile_read(dir, "enc.sql.gz.enc", k, count_sink, &got, NULL, err,
			 sizeof(err)) == 0 &&
		      got == strlen(sql),
	      "bfile reads an encrypted backup");
	CHECK(bfile_read(dir, "enc.sql.gz.enc", NULL, count_sink, &got, NULL,
			 err, sizeof(err)) < 0 &&
		      strstr(err, "no encryption_key_file") != NULL,
	      "an encrypted backup without a key says so");
}

int main(void)
{
	char *dir = unit_tmpdir(), path[512], err[256];
	struct crypt_key a, b;

	key_file(dir, "ka", KEY_A "\n", &a);
	key_file(dir, "kb", KEY_B, &b);
	snprintf(path, sizeof(path), "%s/ka", dir);
	CHECK(crypt_key_load(path, &a, err, sizeof(err)) == 0 &&
		      strcmp(a.id_hex, b.id_hex) != 0,
	      "keys load; different keys, different ids");
	test_round_trips(dir, &a);
	test_tampering(dir, &a, &b);
	test_keys(dir);
	test_secret(dir);
	test_bfile(dir, &a);
	crypt_key_wipe(&a);
	crypt_key_wipe(&b);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return unit_done();
}
