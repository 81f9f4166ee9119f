/*
 * progress.h - what the job holding the jobs lock is doing: a backup, a
 * drill or a recovery writes `job-progress` (at most once a second, temp
 * file and rename), and `pgwarden status` shows the job, its phase, the
 * bytes done (with a percent when the total is known) and the time spent.
 * A file left by a job that died is ignored: only one whose writer still
 * holds the jobs lock is shown.
 *
 * Content: "job=<backup|drill|recovery>\nwhat=<file or phase>\n
 * done=<bytes>\ntotal=<bytes, 0 unknown>\nstarted=<ISO>\n".
 */
#ifndef PGW_PROGRESS_H
#define PGW_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct progress {
	const char *dir;
	char job[16], what[256];
	int64_t done, total, last_ms;
	time_t started;
};

void progress_begin(struct progress *p, const char *dir, const char *job,
		    const char *what, int64_t total);
/* n more bytes done; written at most once a second. */
void progress_add(struct progress *p, int64_t n);
void progress_end(struct progress *p);

struct progress_info {
	bool active;
	char job[16], what[256];
	int64_t done, total;
	time_t started;
};
void progress_read(const char *dir, struct progress_info *out);

#endif
