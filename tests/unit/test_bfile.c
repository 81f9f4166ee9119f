/* test_bfile.c - the backup file writer and its reader: what is written
 * reads back whole, plain or encrypted; nothing carries the final name
 * before bfile_commit; a discarded file leaves nothing behind. */
#include <stdlib.h>
#include <unistd.h>

#include "bfile.h"
#include "fs.h"
#include "unit.h"

struct sink {
	char *buf;
	size_t len;
};

static int collect(void *arg, const void *data, size_t len)
{
	struct sink *s = arg;
	char *grown = realloc(s->buf, s->len + len);

	if (!grown)
		return -1;
	s->buf = grown;
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

static void round_trip(const char *dir, const struct crypt_key *key,
		       const char *what)
{
	char err[256], name[64], text[64];
	struct bfile_facts f;
	struct sink back = {0};
	struct bfile_writer *w;
	size_t total = 0;
	int ok = 1;

	snprintf(name, sizeof(name), "backup_20250101_060000_%s.sql.gz", what);
	w = bfile_create(dir, name, key, 6, 2, err, sizeof(err));
	CHECK(w != NULL, "created");
	if (!w)
		return;
	for (int i = 0; i < 100000 && ok; i++) {
		int n = snprintf(text, sizeof(text), "INSERT %d;\n", i);
		ok = bfile_write(w, text, (size_t)n, err, sizeof(err)) == 0;
		total += (size_t)n;
	}
	CHECK(ok && fs_size(dir, name) < 0,
	      "written; no final name before the commit");
	CHECK(bfile_finish(w, &f, err, sizeof(err)) == 0 &&
		      f.in_bytes == (int64_t)total && f.size > 0 &&
		      strlen(f.sha256) == 64,
	      "finished: the facts of the file");
	CHECK(bfile_commit(w, err, sizeof(err)) == 0 &&
		      fs_size(dir, name) == f.size,
	      "committed under its final name");
	bfile_discard(w);
	CHECK(fs_size(dir, name) == f.size, "a committed file stays");
	CHECK(bfile_read(dir, name, key, collect, &back, NULL, err,
			 sizeof(err)) == 0 &&
		      back.len == total &&
		      memcmp(back.buf, "INSERT 0;\nINSERT 1;\n", 20) == 0,
	      what);
	free(back.buf);
}

int main(void)
{
	char *dir = unit_tmpdir(), err[256], path[600];
	struct crypt_key key;
	struct bfile_writer *w;

	round_trip(dir, NULL, "plain");
	snprintf(path, sizeof(path), "%s/key", dir);
	fs_write_atomic(dir, "key",
			"00112233445566778899aabbccddeeff"
			"00112233445566778899aabbccddeeff\n",
			65);
	CHECK(crypt_key_load(path, &key, err, sizeof(err)) == 0, "key loads");
	round_trip(dir, &key, "encrypted");
	w = bfile_create(dir, "backup_20250101_060000_x.sql.gz", NULL, 1, 1,
			 err, sizeof(err));
	bfile_write(w, "abc", 3, err, sizeof(err));
	CHECK(fs_size(dir, "backup_20250101_060000_x.sql.gz.partial") >= 0,
	      "a .partial while writing");
	bfile_discard(w);
	CHECK(fs_size(dir, "backup_20250101_060000_x.sql.gz.partial") < 0 &&
		      fs_size(dir, "backup_20250101_060000_x.sql.gz") < 0,
	      "discarded: nothing left");
	return unit_done();
}
