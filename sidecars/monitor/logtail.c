#include "logtail.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"

/* Real server log lines for each are in tests/unit/test_logtail.c: lines
 * that must match, and lines that must not (a crash's replay of a dropped
 * database logs "could not open directory", which is no corruption). */
static const char *const default_patterns[] = {
	"CRITICAL \"interrupted recovery\" database system was interrupted "
	"while in recovery",
	"CRITICAL \"server crash (segfault)\" segmentation fault",
	"WARNING \"server process killed\" terminated by signal",
	"CRITICAL \"startup process died\" startup process .*(was "
	"terminated|terminated by|exited with exit code)",
	"ERROR \"unreadable data file\" could not (read|write|fsync|open) "
	"(block [0-9]+ in file|file|from file)",
	"CRITICAL \"invalid page\" invalid page in block",
	"CRITICAL \"invalid page header\" invalid page header",
	"CRITICAL \"checksum failure\" (page verification failed|checksum "
	"verification failed|data checksums? mismatch)",
	"CRITICAL \"PANIC\" PANIC",
};

static int severity_parse(const char *s, enum alert_severity *out)
{
	if (strcmp(s, "CRITICAL") == 0)
		*out = ALERT_CRITICAL;
	else if (strcmp(s, "ERROR") == 0)
		*out = ALERT_ERROR;
	else if (strcmp(s, "WARNING") == 0)
		*out = ALERT_WARNING;
	else
		return -1;
	return 0;
}

/* An optional "name" before the regex: what people are told. *n moves
 * past it. */
static int take_name(const char *s, struct pattern *p, int *n)
{
	const char *end;

	p->name[0] = '\0';
	if (*s != '"')
		return 0;
	end = strchr(s + 1, '"');
	if (!end || end == s + 1 || end[1] != ' ' || !end[2])
		return -1;
	snprintf(p->name, sizeof(p->name), "%.*s", (int)(end - s - 1), s + 1);
	*n += (int)(end + 2 - s);
	return 0;
}

static int pattern_add(struct patterns *ps, const char *line, int lineno,
		       char *err, size_t errlen)
{
	char sev[16];
	int n = 0;
	struct pattern *p = &ps->p[ps->n];

	if (ps->n == LOGTAIL_MAX_PATTERNS) {
		snprintf(err, errlen, "more than %d patterns",
			 LOGTAIL_MAX_PATTERNS);
		return -1;
	}
	if (sscanf(line, "%15s %n", sev, &n) != 1 || n == 0 ||
	    severity_parse(sev, &p->severity) < 0 || line[n] == '\0' ||
	    take_name(line + n, p, &n) < 0) {
		snprintf(err, errlen,
			 "line %d: expected 'CRITICAL|ERROR|WARNING [\"name\"] "
			 "regex'",
			 lineno);
		return -1;
	}
	snprintf(p->text, sizeof(p->text), "%s", line + n);
	if (!p->name[0]) /* no name given: the regex, cut to fit */
		snprintf(p->name, sizeof(p->name), "%.63s", line + n);
	if (regcomp(&p->re, p->text, REG_EXTENDED | REG_ICASE | REG_NOSUB) !=
	    0) {
		snprintf(err, errlen,
			 "line %d: '%s' is not a valid regular expression",
			 lineno, p->text);
		return -1;
	}
	p->last_alert = 0;
	p->suppressed = 0;
	ps->n++;
	return 0;
}

int patterns_load(const char *file, struct patterns *out, char *err,
		  size_t errlen)
{
	FILE *f;
	char line[512];
	int lineno = 0, rc = 0;

	memset(out, 0, sizeof(*out));
	if (!file || !*file) {
		for (size_t i = 0;
		     i < sizeof(default_patterns) / sizeof(*default_patterns);
		     i++)
			if (pattern_add(out, default_patterns[i], (int)i + 1,
					err, errlen) < 0)
				return -1;
		return 0;
	}
	f = fopen(file, "re");
	if (!f) {
		snprintf(err, errlen, "unable to open patterns file '%s': %s",
			 file, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *s = line;
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		rc = pattern_add(out, s, lineno, err, errlen);
	}
	fclose(f);
	if (rc == 0 && out->n == 0) {
		snprintf(err, errlen, "patterns file '%s' holds no pattern",
			 file);
		rc = -1;
	}
	if (rc < 0) {
		char tmp[512];
		patterns_free(out);
		if (strstr(err, file) == NULL) {
			snprintf(tmp, sizeof(tmp), "patterns file '%s' %s",
				 file, err);
			snprintf(err, errlen, "%s", tmp);
		}
	}
	return rc;
}

void patterns_free(struct patterns *ps)
{
	for (int i = 0; i < ps->n; i++)
		regfree(&ps->p[i].re);
	ps->n = 0;
}

struct pattern *patterns_match(struct patterns *ps, const char *line)
{
	struct pattern *best = NULL;

	for (int i = 0; i < ps->n; i++)
		if ((!best || ps->p[i].severity < best->severity) &&
		    regexec(&ps->p[i].re, line, 0, NULL, 0) == 0)
			best = &ps->p[i];
	return best;
}

static void watch_dir_of(struct logtail *t, struct watch *w)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", t->path);
	t->wd_dir = watch_add(w, dirname(dir), IN_CREATE | IN_MOVED_TO);
}

static void reopen(struct logtail *t, struct watch *w, bool at_end)
{
	struct stat st;

	if (t->fd >= 0)
		close(t->fd);
	watch_remove(w, t->wd_file);
	t->wd_file = -1;
	lines_reset(&t->split);
	t->fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0 || fstat(t->fd, &st) < 0) {
		if (t->fd >= 0)
			close(t->fd);
		t->fd = -1;
		t->pos = 0;
		return;
	}
	t->ino = st.st_ino;
	t->pos = at_end ? st.st_size : 0;
	t->wd_file = watch_add(w, t->path, IN_MODIFY);
}

static void tail_line(void *ctx, char *line, size_t have, size_t len)
{
	struct logtail *t = ctx;

	(void)have;
	(void)len;
	t->fn(t->arg, line);
}

void logtail_open(struct logtail *t, const char *path, struct watch *w)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->wd_file = t->wd_dir = -1;
	lines_init(&t->split, t->line, sizeof(t->line), tail_line, t);
	snprintf(t->path, sizeof(t->path), "%s", path);
	watch_dir_of(t, w);
	reopen(t, w, true);
	log_info("following the server log '%s'%s", path,
		 t->fd < 0 ? " (not there yet)" : "");
}

static void drain(struct logtail *t, logtail_line_fn fn, void *arg)
{
	char buf[16384];
	ssize_t n;

	t->fn = fn;
	t->arg = arg;
	while ((n = pread(t->fd, buf, sizeof(buf), t->pos)) > 0) {
		t->pos += n;
		lines_feed(&t->split, buf, (size_t)n);
	}
}

void logtail_poll(struct logtail *t, struct watch *w, logtail_line_fn fn,
		  void *arg)
{
	struct stat st;

	if (t->fd < 0) {
		if (access(t->path, R_OK) == 0) {
			reopen(t, w, false); /* created after we started: all of
						it is new */
			log_info("server log '%s' appeared", t->path);
		}
		if (t->fd < 0)
			return;
	}
	drain(t, fn, arg);
	if (stat(t->path, &st) == 0 && st.st_ino != t->ino) {
		log_info("server log '%s' was rotated", t->path);
		reopen(t, w, false);
		drain(t, fn, arg);
	} else if (fstat(t->fd, &st) == 0 && st.st_size < t->pos) {
		log_info("server log '%s' was truncated", t->path);
		t->pos = 0;
		lines_reset(&t->split);
		drain(t, fn, arg);
	}
}

void logtail_close(struct logtail *t, struct watch *w)
{
	if (t->fd >= 0)
		close(t->fd);
	watch_remove(w, t->wd_file);
	watch_remove(w, t->wd_dir);
	t->fd = -1;
}
