#include "archive_status.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fs.h"
#include "ini.h"
#include "proto.h"
#include "tm.h"

int archive_status_write(const char *dir, const struct archive_chain *a)
{
	char buf[2048], why[sizeof(a->why)], t[TM_ISO_LEN];

	snprintf(why, sizeof(why), "%s", a->why);
	ini_value_clean(why);
	snprintf(buf, sizeof(buf),
		 "[archive]\nchecked = %s\ncluster = %s\nchain = %s\n"
		 "base = %s\nreach = %s\ngap_since = %s\nwhy = %s\n",
		 tm_iso(tm_now(), t), a->cluster, a->chain, a->base, a->reach,
		 a->gap_since, why);
	return fs_write_atomic(dir, PROTO_ARCHIVE_STATUS, buf, strlen(buf));
}

static void copy(dictionary *d, const char *key, char *out, size_t cap)
{
	snprintf(out, cap, "%s", ini_get(d, key, ""));
}

void archive_status_read(const char *dir, struct archive_chain *a)
{
	char path[PATH_MAX];
	dictionary *d = NULL;

	memset(a, 0, sizeof(*a));
	a->age = fs_age(dir, PROTO_ARCHIVE_STATUS);
	if (a->age >= 0)
		d = iniparser_load(fs_join(path, dir, PROTO_ARCHIVE_STATUS));
	if (!d)
		return;
	copy(d, "archive:checked", a->checked, sizeof(a->checked));
	copy(d, "archive:cluster", a->cluster, sizeof(a->cluster));
	copy(d, "archive:chain", a->chain, sizeof(a->chain));
	copy(d, "archive:base", a->base, sizeof(a->base));
	copy(d, "archive:reach", a->reach, sizeof(a->reach));
	copy(d, "archive:gap_since", a->gap_since, sizeof(a->gap_since));
	copy(d, "archive:why", a->why, sizeof(a->why));
	iniparser_freedict(d);
}
