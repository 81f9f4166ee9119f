#include "tm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

time_t tm_now(void)
{
	time_t now = time(NULL);
	const char *off = getenv("PGWARDEN_TEST_CLOCK_OFFSET");

	if (off && *off)
		now += (time_t)strtoll(off, NULL, 10);
	return now;
}

time_t tm_sched_now(void)
{
	const char *path = getenv("PGWARDEN_TEST_SCHED_CLOCK_FILE");
	char buf[32] = "";
	FILE *f;

	if (!path || !*path || !(f = fopen(path, "re")))
		return tm_now();
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return tm_now() + (time_t)strtoll(buf, NULL, 10);
}

int64_t tm_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *tm_fmt(time_t t, const char *fmt, char *buf)
{
	struct tm tmv;

	gmtime_r(&t, &tmv);
	strftime(buf, TM_ISO_LEN, fmt, &tmv);
	return buf;
}

char *tm_iso(time_t t, char *buf)
{
	return tm_fmt(t, "%Y-%m-%dT%H:%M:%SZ", buf);
}

char *tm_stamp(time_t t, char *buf)
{
	return tm_fmt(t, "%Y%m%d_%H%M%S", buf);
}

char *tm_human(time_t t, char *buf)
{
	return tm_fmt(t, "%Y-%m-%d %H:%M:%S UTC", buf);
}

char *tm_iso_ms_now(char *buf)
{
	struct timespec ts;
	struct tm tmv;
	char tmp[TM_ISO_LEN];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tmv);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tmv);
	snprintf(buf, TM_ISO_LEN, "%s.%03ldZ", tmp, ts.tv_nsec / 1000000);
	return buf;
}

static int tm_parse(const char *s, const char *fmt, time_t *out)
{
	struct tm tmv;
	const char *end;

	if (!s)
		return -1;
	memset(&tmv, 0, sizeof(tmv));
	end = strptime(s, fmt, &tmv);
	if (!end || *end != '\0')
		return -1;
	*out = timegm(&tmv);
	return 0;
}

int tm_parse_iso(const char *s, time_t *out)
{
	return tm_parse(s, "%Y-%m-%dT%H:%M:%SZ", out);
}

int tm_parse_stamp(const char *s, time_t *out)
{
	if (!s || strlen(s) != 15)
		return -1;
	return tm_parse(s, "%Y%m%d_%H%M%S", out);
}

void tm_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

long tm_parse_duration(const char *s)
{
	char *end;
	long v, mul = 1;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno || v < 0)
		return -1;
	if (*end) {
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: return -1;
		}
		if (end[1])
			return -1;
	}
	if (v > 100L * 365 * 86400 / mul)
		return -1;
	return v * mul;
}
