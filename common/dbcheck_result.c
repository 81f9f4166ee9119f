#include "dbcheck_result.h"

#include <stdlib.h>
#include <string.h>

void dbcheck_result_print(const struct dbcheck_result *r, FILE *f)
{
	char what[sizeof(r->what)];

	snprintf(what, sizeof(what), "%s", r->what);
	for (char *p = what; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(f,
		"ping=%d\nconnected=%d\nok=%d\nchecksum_failures=%lld\n"
		"class=%s\nwhat=%s\narchive_failing=%lld\narchive_wal=%s\n"
		"archive_on=%d\narchived_wal=%s\narchived_at=%lld\n"
		"wal_lsn=%lld\nwal_segment_size=%lld\nnext_xid=%lld\n"
		"cluster_id=%s\n",
		r->ping, r->connected, r->ok, (long long)r->checksum_failures,
		check_class_info(r->cls)->name, what,
		(long long)r->archive_failing, r->archive_wal, r->archive_on,
		r->archived_wal, (long long)r->archived_at,
		(long long)r->wal_lsn, (long long)r->wal_segment_size,
		(long long)r->next_xid, r->cluster_id);
}

void dbcheck_result_clear(struct dbcheck_result *r)
{
	memset(r, 0, sizeof(*r));
	r->checksum_failures = -1;
	r->archive_failing = -1;
	r->archive_on = -1;
	r->wal_lsn = -1;
	r->next_xid = -1;
}

static const char *field(const char *text, const char *key)
{
	size_t k = strlen(key);

	for (const char *p = text; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, k) == 0 && p[k] == '=')
			return p + k + 1;
	}
	return NULL;
}

static int64_t number(const char *text, const char *key, int64_t unknown)
{
	const char *v = field(text, key);

	return v && *v != '\n' && *v ? strtoll(v, NULL, 10) : unknown;
}

static void word(const char *text, const char *key, char *out, size_t cap)
{
	const char *v = field(text, key);

	snprintf(out, cap, "%.*s", v ? (int)strcspn(v, "\n") : 0, v ? v : "");
}

static bool flag(const char *text, const char *key)
{
	const char *v = field(text, key);

	return v && *v == '1';
}

int dbcheck_result_parse(const char *text, struct dbcheck_result *r)
{
	const char *what = field(text, "what");
	const char *cls = field(text, "class");
	char name[32];

	dbcheck_result_clear(r);
	r->checksum_failures = number(text, "checksum_failures", -1);
	r->archive_failing = number(text, "archive_failing", -1);
	word(text, "archive_wal", r->archive_wal, sizeof(r->archive_wal));
	r->archive_on = (int)number(text, "archive_on", -1);
	word(text, "archived_wal", r->archived_wal, sizeof(r->archived_wal));
	r->archived_at = number(text, "archived_at", 0);
	r->wal_lsn = number(text, "wal_lsn", -1);
	r->wal_segment_size = number(text, "wal_segment_size", 0);
	r->next_xid = number(text, "next_xid", -1);
	word(text, "cluster_id", r->cluster_id, sizeof(r->cluster_id));
	if (!field(text, "ok"))
		return -1;
	r->ping = flag(text, "ping");
	r->connected = flag(text, "connected");
	r->ok = flag(text, "ok");
	/* a failure of no known class counts, as real damage must */
	r->cls = r->ok ? CHECK_OK : CHECK_BROKEN;
	if (cls && !r->ok) {
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(cls, "\n"),
			 cls);
		if (check_class_parse(name, &r->cls) < 0 || r->cls == CHECK_OK)
			r->cls = CHECK_BROKEN;
	}
	if (what)
		snprintf(r->what, sizeof(r->what), "%.*s",
			 (int)strcspn(what, "\n"), what);
	return 0;
}
