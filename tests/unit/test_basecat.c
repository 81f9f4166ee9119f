/* test_basecat.c - which base backup a physical recovery may take: the WAL
 * chain in the archive, followed along the newest timeline's history, so
 * that a gap, or a segment only on a branch left at a promotion, is a
 * broken chain. */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basecat.h"
#include "fs.h"
#include "walarchive.h"
#include "unit.h"

static char dir[PATH_MAX];

static void seg(unsigned tli, unsigned pos)
{
	char name[64];

	snprintf(name, sizeof(name), "%08X00000000%08X.gz", tli, pos);
	fs_write_atomic(dir, name, "x", 1); /* only the names are read */
}

static void unseg(unsigned tli, unsigned pos)
{
	char name[64], path[PATH_MAX + 64];

	snprintf(name, sizeof(name), "%08X00000000%08X.gz", tli, pos);
	unlink(fs_join(path, dir, name));
}

static void history(unsigned tli, const char *text)
{
	char cmd[PATH_MAX * 2];

	snprintf(cmd, sizeof(cmd), "printf '%s' | gzip > %s/%08X.history.gz",
		 text, dir, tli);
	system(cmd);
}

static int chain(unsigned tli, const char *start, char *why)
{
	struct base_entry b = {.timeline = tli, .wal_segment_size = 16 << 20};
	char last[32];

	snprintf(b.wal_start, sizeof(b.wal_start), "%s", start);
	snprintf(b.wal_stop, sizeof(b.wal_stop), "%s", start);
	return basecat_chain(dir, &b, NULL, last, sizeof(last), why, 256);
}

/* With a key, the history file is .history.gz.enc: the chain must still
 * follow it (a plain-only reader would see one timeline, and refuse the
 * base as "not on the path" or accept a dead branch). */
static void encrypted_history(void)
{
	char top[PATH_MAX], wal[PATH_MAX], kpath[PATH_MAX + 8], err[512];
	char why[256], last[32], name[64];
	struct crypt_key key;
	struct base_entry b = {.timeline = 1, .wal_segment_size = 16 << 20};

	snprintf(top, sizeof(top), "%s/enc", dir);
	mkdir(top, 0700);
	fs_write_atomic(top, "key",
			"00112233445566778899aabbccddeeff"
			"00112233445566778899aabbccddeeff\n",
			65);
	const char *hist = "1\t0/4000100\tno target\n";

	fs_write_atomic(top, "00000002.history", hist, strlen(hist));
	CHECK(crypt_key_load(fs_join(kpath, top, "key"), &key, err,
			     sizeof(err)) == 0 &&
		      wal_push(top, "7", &key,
			       fs_join(kpath, top, "00000002.history"),
			       "00000002.history", err, sizeof(err)) == 0,
	      "an encrypted history file is archived");
	wal_archive_dir(wal, top, "7");
	for (unsigned p = 2; p <= 6; p++) {
		snprintf(name, sizeof(name), "%08X00000000%08X.gz.enc",
			 p < 4 ? 1u : 2u, p);
		fs_write_atomic(wal, name, "x", 1);
	}
	snprintf(name, sizeof(name), "000000010000000000000004.gz.enc");
	fs_write_atomic(wal, name, "x", 1); /* the branch left behind */
	snprintf(b.wal_start, sizeof(b.wal_start), "000000010000000000000002");
	snprintf(b.wal_stop, sizeof(b.wal_stop), "000000010000000000000002");
	CHECK(basecat_chain(wal, &b, &key, last, sizeof(last), why,
			    sizeof(why)) == 0 &&
		      strcmp(last, "0000000000000006") == 0,
	      "encrypted archive: the chain follows .history.gz.enc");
	b.timeline = 3;
	CHECK(basecat_chain(wal, &b, &key, last, sizeof(last), why,
			    sizeof(why)) < 0 &&
		      strstr(why, "newest timeline 2"),
	      "encrypted archive: the newest timeline is the history's");
	CHECK(wal_archived_name("00000002.history.gz.enc", name,
				sizeof(name)) &&
		      strcmp(name, "00000002.history") == 0 &&
		      wal_archived_name("000000010000000000000004.gz", name,
					sizeof(name)) &&
		      !wal_archived_name("000000010000000000000004", name,
					 sizeof(name)) &&
		      !wal_archived_name("junk.gz", name, sizeof(name)) &&
		      !wal_archived_name(".gz.enc", name, sizeof(name)),
	      "archive file names to WAL names");
}

int main(void)
{
	char why[256];

	snprintf(dir, sizeof(dir), "%s", unit_tmpdir());
	for (unsigned p = 2; p <= 5; p++)
		seg(1, p);
	CHECK(chain(1, "000000010000000000000002", why) == 0,
	      "one timeline, every segment: a chain");
	unseg(1, 4);
	CHECK(chain(1, "000000010000000000000002", why) < 0 &&
		      strstr(why, "0000000000000004") && strstr(why, "gap"),
	      "a missing segment with later ones: a gap, named");
	seg(1, 4);
	CHECK(chain(1, "000000010000000000000007", why) < 0,
	      "a base whose start is not archived: no chain");

	/* timeline 2 left tli 1 inside segment 4; timeline 3 left tli 2 at
	 * the start of segment 6; a stray tli 2 segment 7 is a dead branch */
	history(3, "1\\t0/4000100\\tno target\\n2\\t0/6000000\\tno target\\n");
	seg(2, 4);
	seg(2, 5);
	seg(3, 6);
	seg(3, 7);
	seg(2, 7);
	CHECK(chain(1, "000000010000000000000002", why) == 0,
	      "through two promotions, along the newest history");
	unseg(3, 7);
	CHECK(chain(1, "000000010000000000000002", why) == 0,
	      "the archive's end is the path's: a branch left behind may "
	      "reach further");
	seg(3, 8);
	CHECK(chain(1, "000000010000000000000002", why) < 0 &&
		      strstr(why, "0000000000000007") && strstr(why, "gap"),
	      "a segment only on the branch left behind does not count");
	seg(3, 7);
	unseg(2, 4);
	CHECK(chain(1, "000000010000000000000002", why) < 0 &&
		      strstr(why, "0000000000000004"),
	      "the switch segment is read from the new timeline");
	seg(2, 4);
	CHECK(chain(4, "000000040000000000000006", why) < 0 &&
		      strstr(why, "not one the newest timeline"),
	      "a base on a timeline off the newest one's path: refused");
	encrypted_history();
	CHECK(basecat_name_valid("base_20261202_050000.tar.gz") &&
		      basecat_name_valid("base_20261202_050000.tar.gz.enc") &&
		      !basecat_name_valid("base_2026.tar.gz") &&
		      !basecat_name_valid("backup_20261202_050000_x.sql.gz"),
	      "base backup names");
	return unit_done();
}
