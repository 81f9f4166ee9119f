/* test_lsn.c - WAL positions and their segment names, against what
 * pg_walfile_name() gives for the same values. */
#include "lsn.h"
#include "unit.h"

int main(void)
{
	uint64_t l = 0;
	char name[32];

	CHECK(lsn_parse("16/B374D848", &l) == 0 && l == 0x16B374D848ULL,
	      "an LSN parses");
	CHECK(lsn_parse("0/0", &l) == 0 && l == 0, "zero parses");
	CHECK(lsn_parse("16B374D848", &l) < 0, "no slash refused");
	CHECK(lsn_parse("1/2/3", &l) < 0, "two slashes refused");
	CHECK(lsn_parse("123456789/0", &l) < 0, "nine digits refused");
	CHECK(lsn_parse("/0", &l) < 0 && lsn_parse("0/", &l) < 0,
	      "a missing half refused");
	lsn_segment_name(1, 0x16B374D848ULL, 16u << 20, name, sizeof(name));
	CHECK_STR(name, "0000000100000016000000B3",
		  "segment of 16/B374D848 on timeline 1 (16 MiB)");
	lsn_segment_name(2, 0x2000028ULL, 16u << 20, name, sizeof(name));
	CHECK_STR(name, "000000020000000000000002", "an early segment");
	lsn_segment_name(1, 0x16B374D848ULL, 64u << 20, name, sizeof(name));
	CHECK_STR(name, "00000001000000160000002C", "64 MiB segments");
	CHECK(lsn_segment_number("0000000100000016000000B3", 16u << 20) ==
		      0x16B374D848ULL / (16u << 20),
	      "a segment name's number is lsn / segment size");
	CHECK(lsn_segment_number("00000009000000160000002C", 64u << 20) ==
		      0x16B374D848ULL / (64u << 20),
	      "with 64 MiB segments, whatever the timeline");
	return unit_done();
}
