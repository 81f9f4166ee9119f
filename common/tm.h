/*
 * tm.h - time helpers. Everything pgwarden shows or stores is UTC, whatever
 * TZ the container has; durations use the monotonic clock.
 */
#ifndef PGW_TM_H
#define PGW_TM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TM_ISO_LEN 32

/* Wall clock seconds; honours PGWARDEN_TEST_CLOCK_OFFSET (test hook). */
time_t tm_now(void);
/* The clock schedules run on: tm_now() plus, in tests, the offset in
 * seconds read from the file named by PGWARDEN_TEST_SCHED_CLOCK_FILE at
 * every call, so a test can jump the schedule clock of a running process
 * (tests/chaos). Without that variable it is tm_now(). */
time_t tm_sched_now(void);
/* Monotonic milliseconds, for durations and timers. */
int64_t tm_mono_ms(void);
/* "2025-06-13T18:00:02Z" into buf (>= TM_ISO_LEN). */
char *tm_iso(time_t t, char *buf);
/* "2025-06-13T18:00:02.123Z" with milliseconds, from the real clock. */
char *tm_iso_ms_now(char *buf);
/* "20250613_180002", the backup file stamp. */
char *tm_stamp(time_t t, char *buf);
/* "2025-06-13 18:00:02 UTC", the human form used in alerts. */
char *tm_human(time_t t, char *buf);
/* Parse tm_iso() output; -1 on malformed input. */
int tm_parse_iso(const char *s, time_t *out);
/* Parse tm_stamp() output; -1 on malformed input. */
int tm_parse_stamp(const char *s, time_t *out);
/* Sleep for ms unless a signal interrupts (returns early then). */
void tm_sleep_ms(int64_t ms);

/* "90", "90s", "5m", "2h", "1d" into seconds; -1 when not a duration
 * (negative, unknown unit, trailing text, over 100 years). */
long tm_parse_duration(const char *s);

#endif
