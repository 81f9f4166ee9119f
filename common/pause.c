#include "pause.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "proto.h"
#include "tm.h"

int pause_write(const char *dir, time_t until, const char *reason)
{
	char buf[512], a[TM_ISO_LEN], b[TM_ISO_LEN];

	snprintf(buf, sizeof(buf), "since=%s\nuntil=%s\nreason=%s\n",
		 tm_iso(tm_now(), a), tm_iso(until, b), reason);
	return fs_write_atomic(dir, PROTO_PAUSE, buf, strlen(buf));
}

int pause_clear(const char *dir)
{
	char path[PATH_MAX];

	if (unlink(fs_join(path, dir, PROTO_PAUSE)) < 0 && errno != ENOENT)
		return -1;
	return fs_fsync_dir(dir);
}

void pause_read(const char *dir, struct pause_info *out)
{
	static const char *const keys[] = {"since", "until", "reason", NULL};
	struct request_kv kv[4];
	char *text, err[128];
	const char *v;
	int n;

	memset(out, 0, sizeof(*out));
	if (fs_size(dir, PROTO_PAUSE) < 0)
		return;
	out->active = true;
	text = fs_read_small(dir, PROTO_PAUSE, PROTO_REQUEST_MAX, NULL);
	n = text ? proto_request_parse(text, keys, NULL, kv, 4, err,
				       sizeof(err))
		 : -1;
	free(text);
	if (n < 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "(unreadable pause file)");
		return;
	}
	if ((v = proto_request_get(kv, n, "since")))
		tm_parse_iso(v, &out->since);
	if ((v = proto_request_get(kv, n, "until")))
		tm_parse_iso(v, &out->until);
	if ((v = proto_request_get(kv, n, "reason")))
		snprintf(out->reason, sizeof(out->reason), "%s", v);
}

bool pause_active(const char *dir)
{
	return fs_size(dir, PROTO_PAUSE) >= 0;
}
