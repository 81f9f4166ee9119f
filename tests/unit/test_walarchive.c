/* test_walarchive.c - the WAL archive's names, and push/fetch round trips,
 * plain and encrypted, with the contract's exits: identical again is fine,
 * different is refused, absent and damaged are told apart. */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "unit.h"
#include "walarchive.h"

static void names(void)
{
	CHECK(wal_name_valid("000000010000000A000000FF"), "a segment");
	CHECK(wal_name_valid("00000002.history"), "a history file");
	CHECK(wal_name_valid("000000010000000000000004.00000028.backup"),
	      "a backup label");
	CHECK(!wal_name_valid("000000010000000a000000ff"),
	      "lowercase hex is not the server's");
	CHECK(!wal_name_valid("00000001000000000000000"), "23 digits refused");
	CHECK(wal_name_valid("000000010000000000000001.partial"),
	      "a promotion's .partial segment");
	CHECK(!wal_name_valid("00000001000000000000001.partial"),
	      "a short .partial refused");
	CHECK(!wal_name_valid("../00000002.history"), "a path refused");
	CHECK(!wal_name_valid(""), "empty refused");
}

static void make_segment(const char *path, unsigned char seed)
{
	static unsigned char seg[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	for (size_t i = 0; i < sizeof(seg); i++)
		seg[i] = i < 300000 ? (unsigned char)(i * 7 + seed) : 0;
	write(fd, seg, sizeof(seg));
	close(fd);
}

static int same_file(const char *a, const char *b)
{
	char cmd[2 * PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	return system(cmd) == 0;
}

static void round_trip(const char *dir, const struct crypt_key *key,
		       const char *what)
{
	const char *name = "000000010000000000000002";
	char seg[PATH_MAX], other[PATH_MAX], back[PATH_MAX], err[512];
	char label[128];

	snprintf(seg, sizeof(seg), "%s/%s-seg", dir, what);
	snprintf(other, sizeof(other), "%s/%s-other", dir, what);
	snprintf(back, sizeof(back), "%s/%s-back", dir, what);
	make_segment(seg, 1);
	make_segment(other, 2);
	snprintf(label, sizeof(label), "%s: pushed", what);
	CHECK(wal_push(dir, "7", key, seg, name, err, sizeof(err)) == 0, label);
	snprintf(label, sizeof(label), "%s: pushed again, identical", what);
	CHECK(wal_push(dir, "7", key, seg, name, err, sizeof(err)) == 0, label);
	snprintf(label, sizeof(label), "%s: a different file refused", what);
	CHECK(wal_push(dir, "7", key, other, name, err, sizeof(err)) < 0 &&
		      strstr(err, "already holds a different"),
	      label);
	snprintf(label, sizeof(label), "%s: fetched back whole", what);
	CHECK(wal_fetch(dir, "7", key, name, back, err, sizeof(err)) ==
			      WAL_FETCHED &&
		      same_file(seg, back),
	      label);
	snprintf(label, sizeof(label), "%s: absent", what);
	CHECK(wal_fetch(dir, "7", key, "000000010000000000000009", back, err,
			sizeof(err)) == WAL_ABSENT,
	      label);
}

/* Flip 16 bytes in the middle of dir/file. */
static void flip_middle(const char *dir, const char *file)
{
	char path[PATH_MAX];
	unsigned char b[16];
	struct stat st;
	int fd = open(fs_join(path, dir, file), O_RDWR);

	fstat(fd, &st);
	pread(fd, b, sizeof(b), st.st_size / 2);
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] ^= 0xff;
	pwrite(fd, b, sizeof(b), st.st_size / 2);
	close(fd);
}

/* The chain check's read-back (wal_archived_check) and the move aside. */
static void read_back(const char *dir, const char *enc,
		      const struct crypt_key *key)
{
	char arch[PATH_MAX], earch[PATH_MAX], aside[NAME_MAX + 1], err[512];
	char name[64], path[PATH_MAX];
	const char *f = "000000010000000000000002.gz";

	wal_archive_dir(arch, dir, "7");
	wal_archive_dir(earch, enc, "7");
	CHECK(wal_archived_check(arch, f, NULL, err, sizeof(err)) ==
		      WAL_CHECK_WHOLE,
	      "read back: a pushed segment is whole");
	CHECK(wal_archived_check(earch, "000000010000000000000002.gz.enc", key,
				 err, sizeof(err)) == WAL_CHECK_WHOLE,
	      "read back: an encrypted one with its key is whole");
	CHECK(wal_archived_check(earch, "000000010000000000000002.gz.enc", NULL,
				 err, sizeof(err)) == WAL_CHECK_SKIPPED,
	      "read back: without the key, not judged (never moved aside)");
	CHECK(wal_archived_check(arch, "000000010000000000000005.gz", NULL, err,
				 sizeof(err)) == WAL_CHECK_DAMAGED &&
		      strstr(err, "not a segment"),
	      "read back: a 3-byte segment is damaged");
	flip_middle(arch, f);
	CHECK(wal_archived_check(arch, f, NULL, err, sizeof(err)) ==
		      WAL_CHECK_DAMAGED,
	      "read back: 16 flipped bytes are found");
	CHECK(wal_quarantine(arch, f, aside, sizeof(aside), err, sizeof(err)) ==
			      0 &&
		      strcmp(aside, "000000010000000000000002.gz.damaged") == 0,
	      "moved aside as .damaged");
	CHECK(access(fs_join(path, arch, aside), F_OK) == 0 &&
		      access(fs_join(path, arch, f), F_OK) < 0,
	      "the damaged file is kept, under its new name only");
	CHECK(!wal_archived_name(aside, name, sizeof(name)),
	      "a .damaged file is no archived WAL file: the chain has a gap");
	CHECK(wal_archived_check(arch, "000000010000000000000003.gz", NULL, err,
				 sizeof(err)) == WAL_CHECK_SKIPPED,
	      "read back: a file gone meanwhile is skipped, not damaged");
}

int main(void)
{
	char *dir = unit_tmpdir(), path[PATH_MAX], err[512], enc[PATH_MAX];
	struct crypt_key key;

	names();
	round_trip(dir, NULL, "plain");
	snprintf(path, sizeof(path), "%s/key", dir);
	fs_write_atomic(dir, "key",
			"00112233445566778899aabbccddeeff"
			"00112233445566778899aabbccddeeff\n",
			65);
	CHECK(crypt_key_load(path, &key, err, sizeof(err)) == 0, "key loads");
	snprintf(enc, sizeof(enc), "%s/enc", dir);
	mkdir(enc, 0700);
	round_trip(enc, &key, "encrypted");
	snprintf(path, sizeof(path), "%s/wal/7/000000010000000000000002.gz.enc",
		 enc);
	CHECK(access(path, F_OK) == 0, "encrypted: archived as .gz.enc");
	snprintf(path, sizeof(path), "%s/enc-back", dir);
	CHECK(wal_fetch(enc, "7", NULL, "000000010000000000000002", path, err,
			sizeof(err)) == WAL_BROKEN,
	      "encrypted, without the key: broken, not absent");
	{
		char global[PATH_MAX], id[32], back[PATH_MAX];
		uint64_t sysid = 7301234567890123456ull;
		snprintf(global, sizeof(global), "%s/global", dir);
		mkdir(global, 0700);
		fs_write_atomic(global, "pg_control", &sysid, sizeof(sysid));
		CHECK(wal_cluster_id(dir, id, sizeof(id), err, sizeof(err)) ==
				      0 &&
			      strcmp(id, "7301234567890123456") == 0,
		      "the cluster id is pg_control's system identifier");
		snprintf(back, sizeof(back), "%s/other-back", dir);
		CHECK(wal_fetch(dir, "8", NULL, "000000010000000000000002",
				back, err, sizeof(err)) == WAL_ABSENT,
		      "another cluster's archive is not this one's");
	}
	{
		/* a file too short to be a segment is not one */
		char small[PATH_MAX], back[PATH_MAX];
		snprintf(small, sizeof(small), "%s/small", dir);
		snprintf(back, sizeof(back), "%s/small-back", dir);
		fs_write_atomic(dir, "small", "abc", 3);
		CHECK(wal_push(dir, "7", NULL, small,
			       "000000010000000000000005", err,
			       sizeof(err)) == 0 &&
			      wal_fetch(dir, "7", NULL,
					"000000010000000000000005", back, err,
					sizeof(err)) == WAL_BROKEN &&
			      access(back, F_OK) < 0,
		      "a segment of 3 bytes is refused on the way back");
	}
	read_back(dir, enc, &key);
	return unit_done();
}
