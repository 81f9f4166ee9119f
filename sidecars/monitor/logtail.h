/*
 * logtail.h - follows the PostgreSQL server log from its current end, like
 * tail -F: woken by inotify (file modified, directory entry created or
 * moved), reads only the new bytes, survives rotation (the name points to a
 * new inode: the old file is read to its end first) and truncation (size
 * below our position: start again at 0). Each complete line is matched
 * against the corruption patterns.
 *
 * Patterns are POSIX extended regular expressions, case-insensitive, one per
 * line as 'SEVERITY ["name"] regex' (CRITICAL, ERROR or WARNING; the name
 * is what alerts call it); '#' starts a comment. Built-in defaults cover
 * the indicators docs/HEALTH.md lists.
 */
#ifndef PGW_LOGTAIL_H
#define PGW_LOGTAIL_H

#include <regex.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "alert.h"
#include "lines.h"
#include "watch.h"

#define LOGTAIL_MAX_PATTERNS 64

struct pattern {
	enum alert_severity severity;
	char name[64];	/* for people: "checksum failure"; else the regex */
	char text[256]; /* the regular expression */
	regex_t re;
	time_t last_alert;
	int suppressed;
};

struct patterns {
	int n;
	struct pattern p[LOGTAIL_MAX_PATTERNS];
};

/* Load from file (NULL or "": the built-in defaults). -1 with err. */
int patterns_load(const char *file, struct patterns *out, char *err,
		  size_t errlen);
void patterns_free(struct patterns *ps);
/* The most severe pattern matching line (the first of equals), or NULL. */
struct pattern *patterns_match(struct patterns *ps, const char *line);

struct logtail {
	char path[4096];
	int fd;
	ino_t ino;
	off_t pos;
	int wd_file, wd_dir;
	char line[4096];
	struct lines split; /* lines longer than line[] are cut */
	void (*fn)(void *arg, const char *line);
	void *arg;
};

typedef void (*logtail_line_fn)(void *arg, const char *line);

/* Start at the current end of path (which may not exist yet). */
void logtail_open(struct logtail *t, const char *path, struct watch *w);
/* Read what is new and call fn for every complete line. */
void logtail_poll(struct logtail *t, struct watch *w, logtail_line_fn fn,
		  void *arg);
void logtail_close(struct logtail *t, struct watch *w);

#endif
