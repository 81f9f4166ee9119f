/* test_archlag.c - the archive's lag from check rounds (archlag.h): WAL
 * written by a transaction and not archived is lag, from the round that
 * first saw it; WAL an idle server writes after a switch is not. */
#include "monitor/archlag.h"
#include "unit.h"

#define SEG (16LL << 20)

static struct dbcheck_result round_facts(const char *archived, int64_t lsn,
					 int64_t xid)
{
	struct dbcheck_result p;

	dbcheck_result_clear(&p);
	p.archive_on = 1;
	snprintf(p.archived_wal, sizeof(p.archived_wal), "%s", archived);
	p.wal_lsn = lsn;
	p.next_xid = xid;
	p.wal_segment_size = SEG;
	return p;
}

int main(void)
{
	struct archive_lag l = {0};
	struct dbcheck_result p;
	const char *seg4 = "000000010000000000000004"; /* ends at 5 * SEG */

	p = round_facts(seg4, 5 * SEG, 100);
	archive_lag_update(&l, &p, 1000);
	CHECK(l.bytes == 0 && l.seconds == 0, "at the archived end: no lag");
	p = round_facts(seg4, 5 * SEG + 200, 100);
	archive_lag_update(&l, &p, 1030);
	p = round_facts(seg4, 5 * SEG + 400, 100);
	archive_lag_update(&l, &p, 1060);
	CHECK(l.bytes == 400 && l.seconds == 0,
	      "idle records past the end, no transaction: bytes, no seconds");
	p = round_facts(seg4, 5 * SEG + 9000, 101);
	archive_lag_update(&l, &p, 1090);
	p = round_facts(seg4, 5 * SEG + 9100, 101);
	archive_lag_update(&l, &p, 1120);
	CHECK(l.bytes == 9100 && l.seconds == 30,
	      "a write past the end: seconds since the round that saw it");
	p = round_facts("000000010000000000000005", 6 * SEG + 100, 101);
	archive_lag_update(&l, &p, 1150);
	CHECK(l.bytes == 100 && l.seconds == 0,
	      "its segment archived: the lag is gone");
	p = round_facts("000000010000000000000005", 6 * SEG + 5000, 102);
	archive_lag_update(&l, &p, 1180);
	CHECK(l.seconds == 0, "a new write, the round before already past the "
			      "end: counted from this round");
	p = round_facts("00000002.history", 6 * SEG + 5000, 102);
	archive_lag_update(&l, &p, 1210);
	CHECK(l.bytes == 5000 && l.seconds == 30,
	      "a history file last: the end known before stands");
	p = round_facts("000000010000000000000004.00000028.backup",
			6 * SEG + 5000, 102);
	archive_lag_update(&l, &p, 1215);
	CHECK(l.bytes == 5000,
	      "an older backup label does not move the end back");
	{
		struct archive_lag fresh = {0};
		p = round_facts("000000010000000000000009.00000028.backup",
				10 * SEG + 10, 200);
		archive_lag_update(&fresh, &p, 1);
		CHECK(fresh.bytes == 10,
		      "a backup label first: its segment's end, a lower bound");
		p = round_facts("00000002.history", 10 * SEG + 10, 200);
		fresh = (struct archive_lag){0};
		archive_lag_update(&fresh, &p, 1);
		CHECK(fresh.bytes == -1, "a history file first: unknown");
	}
	p = round_facts("000000010000000000000005", -1, 102);
	archive_lag_update(&l, &p, 1240);
	CHECK(l.bytes == -1, "no WAL position (a standby): unknown");
	for (int i = 0; i < 3 * ARCHLAG_SAMPLES; i++) {
		p = round_facts("000000010000000000000005", 7 * SEG + i, 103);
		archive_lag_update(&l, &p, 2000 + i);
	}
	CHECK(l.bytes == 7 * SEG + 3 * ARCHLAG_SAMPLES - 1 - 6 * SEG &&
		      l.seconds == 0,
	      "the ring wraps; an old write outside the window is not seen");
	return unit_done();
}
