#include "basecat.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "proto.h"
#include "tm.h"

bool basecat_name_valid(const char *name)
{
	size_t p = strlen(PROTO_BASE_PREFIX);
	time_t t;
	char stamp[16];
	const char *rest;

	if (strncmp(name, PROTO_BASE_PREFIX, p) != 0 || strlen(name) < p + 15)
		return false;
	snprintf(stamp, sizeof(stamp), "%.15s", name + p);
	rest = name + p + 15;
	return tm_parse_stamp(stamp, &t) == 0 &&
	       (strcmp(rest, ".tar.gz") == 0 ||
		strcmp(rest, ".tar.gz" PROTO_ENCRYPTED_SUFFIX) == 0);
}

int basecat_segment_cmp(const char *a, const char *b)
{
	return strncmp(a + 8, b + 8, 16);
}

static int newest_first(const void *a, const void *b)
{
	const struct base_entry *x = a, *y = b;

	return x->finished < y->finished   ? 1
	       : x->finished > y->finished ? -1
					   : 0;
}

static int add(const char *dir, const char *name, struct base_entry **list,
	       int *n, int *cap)
{
	struct manifest m;
	char err[256];
	struct base_entry *e;

	memset(&m, 0, sizeof(m));
	if (manifest_read(dir, name, &m, err, sizeof(err)) != 0)
		return 0;
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 16;
		void *p = realloc(*list, (size_t)c * sizeof(**list));
		if (!p) {
			manifest_free(&m);
			return -1;
		}
		*list = p;
		*cap = c;
	}
	e = &(*list)[(*n)++];
	memset(e, 0, sizeof(*e));
	snprintf(e->file, sizeof(e->file), "%s", name);
	if (tm_parse_iso(m.finished, &e->finished) < 0)
		e->finished = 0;
	e->usable = strcmp(m.kind, "base") == 0 && manifest_usable_status(&m);
	snprintf(e->cluster_id, sizeof(e->cluster_id), "%s", m.cluster_id);
	e->timeline = m.timeline;
	snprintf(e->wal_start, sizeof(e->wal_start), "%s", m.wal_start);
	snprintf(e->wal_stop, sizeof(e->wal_stop), "%s", m.wal_stop);
	e->size = m.size;
	if (strlen(e->wal_start) != 24)
		e->usable = false;
	manifest_free(&m);
	return 0;
}

int basecat_scan(const char *dir, struct base_entry **out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct base_entry *list = NULL;
	int n = 0, cap = 0;

	*out = NULL;
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (basecat_name_valid(de->d_name) &&
		    add(dir, de->d_name, &list, &n, &cap) < 0) {
			closedir(d);
			free(list);
			errno = ENOMEM;
			return -1;
		}
	closedir(d);
	if (n > 1)
		qsort(list, (size_t)n, sizeof(*list), newest_first);
	*out = list;
	return n;
}
