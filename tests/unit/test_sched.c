#include <string.h>

#include "schedule.h"
#include "tm.h"
#include "unit.h"

static time_t at(const char *iso)
{
	time_t t = 0;

	tm_parse_iso(iso, &t);
	return t;
}

int main(void)
{
	struct sched s;
	struct sched_timer tt;
	char err[256], buf[TM_ISO_LEN];

	CHECK(sched_parse("06:00,18:00", &s, err, sizeof(err)) == 0,
	      "times list");
	CHECK_STR(tm_iso(sched_next(&s, at("2025-06-13T05:59:59Z")), buf),
		  "2025-06-13T06:00:00Z", "next is 06:00");
	CHECK_STR(tm_iso(sched_next(&s, at("2025-06-13T06:00:00Z")), buf),
		  "2025-06-13T18:00:00Z", "strictly after: 18:00");
	CHECK_STR(tm_iso(sched_next(&s, at("2025-06-13T19:00:00Z")), buf),
		  "2025-06-14T06:00:00Z", "wraps to next day");

	CHECK(sched_parse("06:00,18:30", &s, err, sizeof(err)) == 0,
	      "mixed minutes");
	CHECK_STR(tm_iso(sched_next(&s, at("2025-06-13T06:00:00Z")), buf),
		  "2025-06-13T18:30:00Z", "no 06:30 cross product");

	CHECK(sched_parse("0 6,18 * * *", &s, err, sizeof(err)) == 0, "cron");
	CHECK_STR(tm_iso(sched_next(&s, at("2025-06-13T07:00:00Z")), buf),
		  "2025-06-13T18:00:00Z", "cron next");
	CHECK(sched_parse("30 2 * * 0", &s, err, sizeof(err)) == 0,
	      "weekly cron");
	CHECK_STR(tm_iso(sched_next(&s, at("2025-06-13T07:00:00Z")), buf),
		  "2025-06-15T02:30:00Z", "next Sunday 02:30");
	CHECK(sched_parse("@every 10s", &s, err, sizeof(err)) == 0, "@every");
	CHECK(sched_next(&s, 100) == 110, "every 10 s");
	CHECK(sched_parse("25:00", &s, err, sizeof(err)) < 0,
	      "bad hour refused");
	CHECK(sched_parse("0 6 * *", &s, err, sizeof(err)) < 0,
	      "4 fields refused");
	CHECK(sched_parse("61 * * * *", &s, err, sizeof(err)) < 0, "minute 61");
	CHECK(sched_parse("off", &s, err, sizeof(err)) == 0 &&
		      sched_next(&s, 0) == (time_t)-1,
	      "off never runs");

	/* asleep past three slots: runs once, then re-arms in the future */
	sched_parse("06:00,18:00", &s, err, sizeof(err));
	sched_timer_start(&tt, &s, at("2025-06-13T05:00:00Z"));
	CHECK(!sched_due(&tt, &s, at("2025-06-13T05:30:00Z")), "not yet due");
	CHECK(sched_due(&tt, &s, at("2025-06-15T07:00:00Z")),
	      "missed slots: run once");
	CHECK(!sched_due(&tt, &s, at("2025-06-15T07:00:01Z")), "not twice");
	CHECK_STR(tm_iso(tt.due, buf), "2025-06-15T18:00:00Z",
		  "re-armed at next slot");
	/* clock jumps back a day: re-arm without running */
	CHECK(!sched_due(&tt, &s, at("2025-06-14T19:00:00Z")),
	      "backwards jump: no run");
	CHECK_STR(tm_iso(tt.due, buf), "2025-06-15T06:00:00Z",
		  "re-armed after jump back");
	/* found by fuzz_schedule: a huge step overflowed the field loop */
	CHECK(sched_parse("5/99999999999999999999 5 18 * *", &s, err,
			  sizeof(err)) < 0,
	      "huge cron step refused");
	CHECK(sched_parse("*/61 * * * *", &s, err, sizeof(err)) < 0,
	      "cron step past the range refused");
	CHECK(sched_parse("*/15 * * * *", &s, err, sizeof(err)) == 0,
	      "cron step within the range");
	/* a schedule that can never fire is not a schedule */
	CHECK(sched_parse("0 0 30 2 *", &s, err, sizeof(err)) < 0 &&
		      strstr(err, "never fires"),
	      "30 February refused, says why");
	CHECK(sched_parse("0 0 31 4,6,9,11 *", &s, err, sizeof(err)) < 0,
	      "31st of 30-day months refused");
	CHECK(sched_parse("0 0 29 2 *", &s, err, sizeof(err)) == 0,
	      "29 February fires in a leap year");
	CHECK(sched_parse("0 0 30 2 1", &s, err, sizeof(err)) == 0,
	      "day of month or weekday: Mondays in February fire");
	/* cron with 6 or 7 fields (seconds, year) */
	CHECK(sched_parse("0 0 6 * * * 2030", &s, err, sizeof(err)) < 0,
	      "7 fields refused");
	CHECK(sched_parse("0 0 6 * * *", &s, err, sizeof(err)) < 0,
	      "6 fields refused");
	CHECK(sched_parse("0 6 * * * ", &s, err, sizeof(err)) == 0,
	      "trailing blank is fine");
	return unit_done();
}
