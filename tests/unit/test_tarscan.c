/* test_tarscan.c - the WAL range read from a base backup's tar as it
 * streams by, in pieces of any size. */
#include "backupper/tarscan.h"
#include "unit.h"

static size_t add_entry(unsigned char *tar, size_t o, const char *name,
			const char *data, size_t len)
{
	memset(tar + o, 0, 512);
	snprintf((char *)tar + o, 100, "%s", name);
	snprintf((char *)tar + o + 124, 12, "%011zo", len);
	o += 512;
	memcpy(tar + o, data, len);
	return o + (len + 511) / 512 * 512;
}

static size_t make_tar(unsigned char *tar, size_t big)
{
	static char filler[70000];
	const char *label = "START WAL LOCATION: 0/4000028 (file "
			    "000000010000000000000004)\nCHECKPOINT LOCATION: "
			    "0/4000060\nSTART TIMELINE: 1\n";
	const char *manifest =
		"{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"WAL-Ranges\": "
		"[\n{ \"Timeline\": 1, \"Start-LSN\": \"0/4000028\", "
		"\"End-LSN\": \"0/4000100\" }\n],\n\"Manifest-Checksum\": "
		"\"ab\"}\n";
	size_t o = 0;

	memset(filler, 'x', sizeof(filler));
	o = add_entry(tar, o, "backup_label", label, strlen(label));
	o = add_entry(tar, o, "base/1/1259", filler, big);
	o = add_entry(tar, o, "backup_manifest", manifest, strlen(manifest));
	memset(tar + o, 0, 1024);
	return o + 1024;
}

static int scan_in_pieces(const unsigned char *tar, size_t len, size_t piece,
			  char *start, char *stop, unsigned *tli)
{
	struct tarscan t;

	tarscan_init(&t);
	for (size_t o = 0; o < len; o += piece)
		tarscan_feed(&t, tar + o, len - o < piece ? len - o : piece);
	return tarscan_wal_range(&t, start, 24, tli, stop, 24);
}

int main(void)
{
	static unsigned char tar[80000];
	size_t len = make_tar(tar, 70000);
	char start[24], stop[24];
	unsigned tli = 0;
	const size_t pieces[] = {1, 7, 511, 512, 4096, sizeof(tar)};

	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "range read in %zu-byte pieces",
			 pieces[i]);
		CHECK(scan_in_pieces(tar, len, pieces[i], start, stop, &tli) ==
				      0 &&
			      strcmp(start, "0/4000028") == 0 &&
			      strcmp(stop, "0/4000100") == 0 && tli == 1,
		      name);
	}
	CHECK(scan_in_pieces(tar, 2048, 512, start, stop, &tli) < 0,
	      "a tar cut before its manifest has no range");
	return unit_done();
}
