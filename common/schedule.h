/*
 * schedule.h - wall-clock schedules, always evaluated in UTC.
 *
 * Accepted forms:
 *   "06:00,18:00"      a list of HH:MM times every day
 *   "0 6,18 * * *"     a five-field cron expression (min hour dom mon dow;
 *                      '*', lists, ranges a-b and steps /n)
 *   "@every 10s"       a fixed period (durations as in tm_parse_duration)
 *   "off"              never
 *
 * A sleeping process or a jumped clock never causes several runs: the caller
 * keeps one "next due" time, runs once when now >= due, and asks again from
 * now (see sched_due()).
 */
#ifndef PGW_SCHEDULE_H
#define PGW_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* longest schedule text taken (a config value: CFG_STR_MAX) */
#define SCHED_TEXT_MAX 1024

struct sched {
	bool off;
	long every;	 /* seconds, for "@every"; 0 otherwise */
	uint64_t minute; /* bit n: minute n allowed */
	uint32_t hour;	 /* bit n: hour n */
	uint32_t mday;	 /* bit n: day n (1-31) */
	uint16_t month;	 /* bit n: month n (1-12) */
	uint8_t wday;	 /* bit n: weekday n (0 = Sunday) */
	bool mday_any, wday_any;
	int ntimes; /* "HH:MM" list form: exact minutes of the day */
	uint16_t times[64];
};

/* 0 on success; -1 with a reason in err. */
int sched_parse(const char *text, struct sched *out, char *err, size_t errlen);
/* The first slot strictly after t; (time_t)-1 when none (off). */
time_t sched_next(const struct sched *s, time_t t);

/* Caller-held state for a recurring job. */
struct sched_timer {
	time_t due;
	time_t last_now;
};

/* Start the timer: the first run is the next slot after now. */
void sched_timer_start(struct sched_timer *tt, const struct sched *s,
		       time_t now);
/* True (once) when a slot has passed; re-arms from now. A clock that went
 * backwards re-arms without running. */
bool sched_due(struct sched_timer *tt, const struct sched *s, time_t now);

#endif
