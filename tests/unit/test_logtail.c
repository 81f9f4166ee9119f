/* test_logtail.c - the built-in corruption patterns against real server
 * log lines (PostgreSQL 15's wording): each indicator's lines match, with
 * the right severity and name; ordinary lines, and lines that look alike
 * but are no corruption, do not. */
#include <stdbool.h>
#include <string.h>

#include "monitor/logtail.h"
#include "unit.h"

struct case_ {
	const char *line;
	const char *name; /* NULL: must not match */
	enum alert_severity sev;
};

static const struct case_ cases[] = {
	{"2026-12-01 10:00:00 UTC [812] LOG:  database system was "
	 "interrupted while in recovery at 2026-12-01 09:58:11 UTC",
	 "interrupted recovery", ALERT_CRITICAL},
	{"2026-12-01 10:00:00 UTC [1] LOG:  server process (PID 4242) was "
	 "terminated by signal 11: Segmentation fault",
	 "server crash (segfault)", ALERT_CRITICAL},
	{"2026-12-01 10:00:00 UTC [1] LOG:  server process (PID 4242) was "
	 "terminated by signal 9: Killed",
	 "server process killed", ALERT_WARNING},
	{"2026-12-01 10:00:00 UTC [1] LOG:  startup process (PID 77) exited "
	 "with exit code 1",
	 "startup process died", ALERT_CRITICAL},
	{"2026-12-01 10:00:00 UTC [4242] ERROR:  could not read block 12 in "
	 "file \"base/16384/16397\": read only 0 of 8192 bytes",
	 "unreadable data file", ALERT_ERROR},
	{"2026-12-01 10:00:00 UTC [4242] ERROR:  could not open file "
	 "\"base/16384/16397\": No such file or directory",
	 "unreadable data file", ALERT_ERROR},
	{"2026-12-01 10:00:00 UTC [4242] ERROR:  could not write block 3 in "
	 "file \"base/16384/16397\": No space left on device",
	 "unreadable data file", ALERT_ERROR},
	{"2026-12-01 10:00:00 UTC [4242] ERROR:  could not read from file "
	 "\"pg_xact/0000\" at offset 8192: read only 0 of 8192 bytes",
	 "unreadable data file", ALERT_ERROR},
	{"2026-12-01 10:00:00 UTC [4242] ERROR:  invalid page in block 1 of "
	 "relation base/16384/16397",
	 "invalid page", ALERT_CRITICAL},
	{"2026-12-01 10:00:00 UTC [4242] ERROR:  invalid page header in block "
	 "7 of relation base/16384/16397",
	 "invalid page header", ALERT_CRITICAL},
	{"2026-12-01 10:00:00 UTC [4242] WARNING:  page verification failed, "
	 "calculated checksum 20919 but expected 15254",
	 "checksum failure", ALERT_CRITICAL},
	{"2026-12-01 10:00:00 UTC [4242] PANIC:  could not locate a valid "
	 "checkpoint record",
	 "PANIC", ALERT_CRITICAL},
	/* what a crash's WAL replay of a dropped database logs: no corruption
	 */
	{"2026-12-01 10:00:00 UTC [812] WARNING:  could not open directory "
	 "\"base/16466\": No such file or directory",
	 NULL, 0},
	{"2026-12-01 10:00:00 UTC [812] LOG:  could not open configuration "
	 "directory \"/etc/postgresql/conf.d\": No such file or directory",
	 NULL, 0},
	{"2026-12-01 10:00:00 UTC [812] LOG:  could not bind IPv6 address "
	 "\"::1\": Cannot assign requested address",
	 NULL, 0},
	{"2026-12-01 10:00:00 UTC [812] LOG:  database system was shut down "
	 "at 2026-12-01 09:58:11 UTC",
	 NULL, 0},
	{"2026-12-01 10:00:00 UTC [812] LOG:  checkpoint complete: wrote 3 "
	 "buffers (0.0%)",
	 NULL, 0},
	{"2026-12-01 10:00:00 UTC [4242] ERROR:  relation \"orders\" does not "
	 "exist at character 15",
	 NULL, 0},
	{"2026-12-01 10:00:00 UTC [4242] FATAL:  terminating connection due "
	 "to administrator command",
	 NULL, 0},
};

int main(void)
{
	struct patterns ps;
	char err[256];

	CHECK(patterns_load(NULL, &ps, err, sizeof(err)) == 0,
	      "the built-in patterns compile");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pattern *p = patterns_match(&ps, cases[i].line);
		char label[160];
		snprintf(label, sizeof(label), "%s: %.90s",
			 cases[i].name ? cases[i].name : "no match",
			 strstr(cases[i].line, "  ") + 2);
		if (!cases[i].name)
			CHECK(p == NULL, label);
		else
			CHECK(p && strcmp(p->name, cases[i].name) == 0 &&
				      p->severity == cases[i].sev,
			      label);
	}
	/* every built-in pattern is met by a case above */
	for (int k = 0; k < ps.n; k++) {
		bool met = false;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			met = met || (cases[i].name &&
				      strcmp(cases[i].name, ps.p[k].name) == 0);
		CHECK(met, ps.p[k].name);
	}
	patterns_free(&ps);
	{
		char path[512];
		FILE *f;
		snprintf(path, sizeof(path), "%s/p", unit_tmpdir());
		f = fopen(path, "w");
		fputs("# ours\nERROR \"disk trouble\" I/O error\n"
		      "WARNING no name here\n",
		      f);
		fclose(f);
		CHECK(patterns_load(path, &ps, err, sizeof(err)) == 0 &&
			      ps.n == 2 &&
			      strcmp(ps.p[0].name, "disk trouble") == 0 &&
			      strcmp(ps.p[0].text, "I/O error") == 0 &&
			      strcmp(ps.p[1].name, "no name here") == 0,
		      "a patterns file: a quoted name, or the regex as name");
		patterns_free(&ps);
	}
	return unit_done();
}
