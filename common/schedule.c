#include "schedule.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm.h"

/* Parse one cron field ("*", "1,2", "1-5", "*\/15") into a bit mask. */
static int cron_field(const char *f, int lo, int hi, uint64_t *mask, bool *any)
{
	char buf[128], *save = NULL, *part;

	if (strlen(f) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", f);
	*mask = 0;
	*any = strcmp(f, "*") == 0;
	for (part = strtok_r(buf, ",", &save); part;
	     part = strtok_r(NULL, ",", &save)) {
		long a = lo, b = hi, step = 1;
		char *slash = strchr(part, '/'), *end;
		if (slash) {
			*slash = '\0';
			step = strtol(slash + 1, &end, 10);
			/* a step past the range is meaningless, and a huge one
			 * would overflow the loop below */
			if (*end || step <= 0 || step > hi)
				return -1;
		}
		if (strcmp(part, "*") != 0) {
			a = strtol(part, &end, 10);
			if (end == part)
				return -1;
			b = a;
			if (*end == '-') {
				char *e2;
				b = strtol(end + 1, &e2, 10);
				if (e2 == end + 1 || *e2)
					return -1;
			} else if (*end) {
				return -1;
			}
			if (slash && b == a)
				b = hi;
		}
		if (a < lo || b > hi || a > b)
			return -1;
		for (long v = a; v <= b; v += step)
			*mask |= (uint64_t)1 << v;
	}
	return *mask ? 0 : -1;
}

static int parse_cron(const char *text, struct sched *s)
{
	char f[5][128];
	uint64_t m;
	bool any;

	int end = -1;

	/* exactly five fields: a sixth (seconds, a year) is refused */
	if (sscanf(text, "%127s %127s %127s %127s %127s %n", f[0], f[1], f[2],
		   f[3], f[4], &end) != 5 ||
	    end < 0 || text[end] != '\0')
		return -1;
	if (cron_field(f[0], 0, 59, &s->minute, &any) < 0)
		return -1;
	if (cron_field(f[1], 0, 23, &m, &any) < 0)
		return -1;
	s->hour = (uint32_t)m;
	if (cron_field(f[2], 1, 31, &m, &s->mday_any) < 0)
		return -1;
	s->mday = (uint32_t)m;
	if (cron_field(f[3], 1, 12, &m, &any) < 0)
		return -1;
	s->month = (uint16_t)m;
	if (cron_field(f[4], 0, 7, &m, &s->wday_any) < 0)
		return -1;
	if (m & (1u << 7)) /* 7 is Sunday too */
		m |= 1;
	s->wday = (uint8_t)(m & 0x7f);
	return 0;
}

static int parse_times(const char *text, struct sched *s)
{
	char buf[SCHED_TEXT_MAX], *save = NULL, *part;

	snprintf(buf, sizeof(buf), "%s", text);
	s->mday_any = s->wday_any = true;
	s->mday = 0xfffffffe;
	s->month = 0x1ffe;
	s->wday = 0x7f;
	for (part = strtok_r(buf, ", ", &save); part;
	     part = strtok_r(NULL, ", ", &save)) {
		int h, m, n = 0;
		if (sscanf(part, "%2d:%2d%n", &h, &m, &n) != 2 ||
		    part[n] != '\0' || h < 0 || h > 23 || m < 0 || m > 59)
			return -1;
		if (s->ntimes == 64)
			return -1;
		s->hour |= 1u << h;
		s->minute |= (uint64_t)1 << m;
		/* exact times, so "06:00,18:30" never means 06:30 too */
		s->times[s->ntimes++] = (uint16_t)(h * 60 + m);
	}
	return s->hour ? 0 : -1;
}

int sched_parse(const char *text, struct sched *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	while (isspace((unsigned char)*text))
		text++;
	if (strcmp(text, "off") == 0 || strcmp(text, "never") == 0) {
		out->off = true;
		return 0;
	}
	if (strncmp(text, "@every ", 7) == 0) {
		out->every = tm_parse_duration(text + 7);
		if (out->every > 0)
			return 0;
	} else if (strchr(text, ':')) {
		if (parse_times(text, out) == 0)
			return 0;
	} else if (parse_cron(text, out) == 0) {
		if (sched_next(out, time(NULL)) != (time_t)-1)
			return 0;
		snprintf(err, errlen,
			 "'%s' never fires (no such day in the next four "
			 "years); use \"off\" to turn it off",
			 text);
		return -1;
	}
	snprintf(err, errlen,
		 "'%s' is not a schedule (use \"06:00,18:00\", a cron "
		 "expression \"0 6,18 * * *\", \"@every 10s\" or \"off\")",
		 text);
	return -1;
}

static bool day_matches(const struct sched *s, const struct tm *t)
{
	bool md = (s->mday >> t->tm_mday) & 1, wd = (s->wday >> t->tm_wday) & 1;

	if (!((s->month >> (t->tm_mon + 1)) & 1))
		return false;
	if (s->mday_any || s->wday_any)
		return md && wd;
	return md || wd; /* cron: either day field may match */
}

static bool minute_matches(const struct sched *s, const struct tm *t)
{
	if (s->ntimes == 0)
		return (s->minute >> t->tm_min) & 1;
	for (int i = 0; i < s->ntimes; i++)
		if (s->times[i] == t->tm_hour * 60 + t->tm_min)
			return true;
	return false;
}

time_t sched_next(const struct sched *s, time_t t)
{
	struct tm tmv;
	time_t c;

	if (s->off)
		return (time_t)-1;
	if (s->every > 0)
		return (t / s->every + 1) * s->every;
	c = t - t % 60 + 60;
	/* at most ~4 years of minutes; a field mask always matches sooner */
	for (long i = 0; i < 4L * 366 * 24 * 60; i++, c += 60) {
		gmtime_r(&c, &tmv);
		if (!day_matches(s, &tmv)) {
			c += (time_t)(23 - tmv.tm_hour) * 3600 +
			     (time_t)(59 - tmv.tm_min) * 60;
			continue;
		}
		if (!((s->hour >> tmv.tm_hour) & 1)) {
			c += (time_t)(59 - tmv.tm_min) * 60;
			continue;
		}
		if (minute_matches(s, &tmv))
			return c;
	}
	return (time_t)-1;
}

void sched_timer_start(struct sched_timer *tt, const struct sched *s,
		       time_t now)
{
	tt->due = sched_next(s, now);
	tt->last_now = now;
}

bool sched_due(struct sched_timer *tt, const struct sched *s, time_t now)
{
	bool went_back = now < tt->last_now;

	tt->last_now = now;
	if (tt->due == (time_t)-1)
		return false;
	if (went_back) {
		tt->due = sched_next(s, now);
		return false;
	}
	if (now < tt->due)
		return false;
	tt->due = sched_next(s, now);
	return true;
}
