#include "progress.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "proto.h"
#include "tm.h"

static void progress_write(struct progress *p)
{
	char buf[512], t[TM_ISO_LEN];
	int n = snprintf(buf, sizeof(buf),
			 "job=%s\nwhat=%s\ndone=%" PRId64 "\ntotal=%" PRId64
			 "\nstarted=%s\n",
			 p->job, p->what, p->done, p->total,
			 tm_iso(p->started, t));

	p->last_ms = tm_mono_ms();
	if (n > 0 && (size_t)n < sizeof(buf))
		fs_write_atomic(p->dir, PROTO_JOB_PROGRESS, buf, (size_t)n);
}

void progress_begin(struct progress *p, const char *dir, const char *job,
		    const char *what, int64_t total)
{
	memset(p, 0, sizeof(*p));
	p->dir = dir;
	snprintf(p->job, sizeof(p->job), "%s", job);
	/* a line of plain text: what goes into key=value */
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->what[strcspn(p->what, "\r\n")] = '\0';
	p->total = total > 0 ? total : 0;
	p->started = tm_now();
	progress_write(p);
}

void progress_add(struct progress *p, int64_t n)
{
	if (!p || !p->dir)
		return;
	p->done += n;
	if (tm_mono_ms() - p->last_ms >= 1000)
		progress_write(p);
}

void progress_end(struct progress *p)
{
	char path[PATH_MAX];

	if (!p || !p->dir)
		return;
	if (unlink(fs_join(path, p->dir, PROTO_JOB_PROGRESS)) < 0 &&
	    errno != ENOENT)
		return;
	p->dir = NULL;
}

void progress_read(const char *dir, struct progress_info *out)
{
	static const char *const keys[] = {"job",   "what",    "done",
					   "total", "started", NULL};
	struct request_kv kv[6];
	char *text, err[128];
	const char *v;
	int n;

	memset(out, 0, sizeof(*out));
	if (!fs_lock_held(dir, PROTO_LOCK_JOBS))
		return; /* no job runs: a file left by one that died */
	text = fs_read_small(dir, PROTO_JOB_PROGRESS, PROTO_REQUEST_MAX, NULL);
	n = text ? proto_request_parse(text, keys, NULL, kv, 6, err,
				       sizeof(err))
		 : -1;
	free(text);
	if (n < 0)
		return;
	out->active = true;
	if ((v = proto_request_get(kv, n, "job")))
		snprintf(out->job, sizeof(out->job), "%s", v);
	if ((v = proto_request_get(kv, n, "what")))
		snprintf(out->what, sizeof(out->what), "%s", v);
	if ((v = proto_request_get(kv, n, "done")))
		out->done = strtoll(v, NULL, 10);
	if ((v = proto_request_get(kv, n, "total")))
		out->total = strtoll(v, NULL, 10);
	if ((v = proto_request_get(kv, n, "started")))
		tm_parse_iso(v, &out->started);
}
