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
		"class=%s\nwhat=%s\narchive_failing=%lld\narchive_wal=%s\n",
		r->ping, r->connected, r->ok, (long long)r->checksum_failures,
		check_class_info(r->cls)->name, what,
		(long long)r->archive_failing, r->archive_wal);
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

static bool flag(const char *text, const char *key)
{
	const char *v = field(text, key);

	return v && *v == '1';
}

int dbcheck_result_parse(const char *text, struct dbcheck_result *r)
{
	const char *sums = field(text, "checksum_failures");
	const char *what = field(text, "what");
	const char *cls = field(text, "class");
	const char *af = field(text, "archive_failing");
	const char *aw = field(text, "archive_wal");
	char name[32];

	memset(r, 0, sizeof(*r));
	r->checksum_failures = sums ? strtoll(sums, NULL, 10) : -1;
	r->archive_failing = af ? strtoll(af, NULL, 10) : -1;
	if (aw)
		snprintf(r->archive_wal, sizeof(r->archive_wal), "%.*s",
			 (int)strcspn(aw, "\n"), aw);
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
