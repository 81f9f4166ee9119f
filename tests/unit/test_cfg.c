#include "cfg.h"
#include "tm.h"
#include "unit.h"

static char err[CFG_ERR_MAX];

static int load_text(const char *text, struct pgw_config *c)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.ini", unit_tmpdir());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return cfg_load(path, c, NULL, err, sizeof(err));
}

/* config/pgwarden.ini documents every key of the table, in its section,
 * with its environment variable, and no key the table lacks. */
static void test_example_ini(void)
{
	FILE *f = fopen("config/pgwarden.ini", "r");
	char line[512], sec[64] = "", seen[256][96];
	int nseen = 0, missing = 0, unknown = 0;

	CHECK(f != NULL, "config/pgwarden.ini opens (run from the top)");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = line, key[64];
		if (*p == ';')
			p++;
		while (*p == ' ')
			p++;
		if (sscanf(p, "[%63[a-z]]", sec) == 1)
			continue;
		size_t k = strspn(p, "abcdefghijklmnopqrstuvwxyz_"), e = k;
		while (p[e] == ' ')
			e++;
		if (k == 0 || k >= sizeof(key) || p[e] != '=')
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)k, p);
		snprintf(seen[nseen < 255 ? nseen++ : nseen], sizeof(seen[0]),
			 "%s:%s", sec, key);
	}
	if (f)
		fclose(f);
	for (size_t i = 0; i < cfg_key_count(); i++) {
		const char *s, *n, *e;
		char want[96];
		bool found = false;
		cfg_key_at(i, &s, &n, &e);
		snprintf(want, sizeof(want), "%s:%s", s, n);
		for (int k = 0; k < nseen; k++)
			found = found || strcmp(seen[k], want) == 0;
		if (!found) {
			fprintf(stderr, "# not in config/pgwarden.ini: %s\n",
				want);
			missing++;
		}
	}
	for (int k = 0; k < nseen; k++) {
		bool known = false;
		for (size_t i = 0; i < cfg_key_count(); i++) {
			const char *s, *n, *e;
			char have[96];
			cfg_key_at(i, &s, &n, &e);
			snprintf(have, sizeof(have), "%s:%s", s, n);
			known = known || strcmp(seen[k], have) == 0;
		}
		if (!known) {
			fprintf(stderr, "# in config/pgwarden.ini only: %s\n",
				seen[k]);
			unknown++;
		}
	}
	CHECK(missing == 0, "every key of the table is in the example ini");
	CHECK(unknown == 0, "the example ini has no key the table lacks");
}

int main(void)
{
	struct pgw_config c;

	unsetenv("PGWARDEN_CONFIG");
	test_example_ini();
	cfg_defaults(&c);
	CHECK(c.health_check_interval == 60, "default interval is 60 s");
	CHECK(c.max_failure_count == 3, "default threshold is 3");
	CHECK(c.recovery_cooldown == 3600, "default cooldown is 1 h");
	CHECK(c.retention_days == 30, "default retention is 30 days");
	CHECK_STR(c.schedule, "06:00,18:00",
		  "default schedule 06:00 and 18:00");
	CHECK_STR(c.backup_dir, "/backups", "default backups dir");

	CHECK(tm_parse_duration("90") == 90, "plain seconds");
	CHECK(tm_parse_duration("5m") == 300, "minutes");
	CHECK(tm_parse_duration("2h") == 7200, "hours");
	CHECK(tm_parse_duration("-1") == -1, "negative refused");
	CHECK(tm_parse_duration("5x") == -1, "bad suffix refused");
	CHECK(tm_parse_duration("") == -1, "empty refused");

	CHECK(load_text("[monitor]\nhealth_check_interval = 10s\n"
			"max_failure_count = 5\n[backupper]\n"
			"schedule = 0 */6 * * *\n",
			&c) == 0,
	      "valid file loads");
	CHECK(c.health_check_interval == 10 && c.max_failure_count == 5,
	      "file values applied");

	CHECK(load_text("[monitor]\nmax_failure_count = abc\n", &c) < 0,
	      "non-integer refused");
	CHECK(strstr(err, "max_failure_count") && strstr(err, "t.ini"),
	      "error names key and file");
	CHECK(load_text("[monitor]\nbogus = 1\n", &c) < 0,
	      "unknown key refused");
	CHECK(strstr(err, "unknown key 'bogus'") != NULL, "unknown key named");
	CHECK(load_text("[nosuch]\nx = 1\n", &c) < 0,
	      "unknown section refused");
	CHECK(load_text("[backupper]\ncompression_level = 13\n", &c) < 0,
	      "out of range refused");
	CHECK(load_text("[backupper]\ncompression_level = 12\n", &c) == 0 &&
		      c.compression_level == 12,
	      "libdeflate's levels 10-12 taken");
	CHECK(load_text("[general]\nbackup_dir = relative/path\n", &c) < 0,
	      "relative path refused");
	CHECK(load_text("[restorer]\nrestore_procedures = timescaledb,pgw_x\n",
			&c) == 0 &&
		      strcmp(c.restore_procedures, "timescaledb,pgw_x") == 0,
	      "restore_procedures: a list of names");
	CHECK(load_text("[restorer]\nrestore_procedures =\n", &c) == 0 &&
		      c.restore_procedures[0] == '\0',
	      "restore_procedures: empty means none");
	CHECK(load_text("[restorer]\nrestore_procedures = a,b();drop\n", &c) <
			      0 &&
		      load_text("[restorer]\nrestore_procedures = a,,b\n", &c) <
			      0 &&
		      load_text("[restorer]\nrestore_procedures = A\n", &c) < 0,
	      "restore_procedures: SQL, empty names, upper case refused");
	CHECK(cfg_load("/nonexistent/x.ini", &c, NULL, err, sizeof(err)) < 0,
	      "missing explicit file refused");
	/* PGDATA (the postgres container's convention) stands in for the
	 * built-in default, below the file and PGWARDEN_PGDATA */
	unsetenv("PGWARDEN_PGDATA");
	setenv("PGDATA", "/srv/pg/data", 1);
	CHECK(load_text("[monitor]\n", &c) == 0 &&
		      strcmp(c.pgdata, "/srv/pg/data") == 0,
	      "PGDATA sets pgdata when nothing else does");
	CHECK(load_text("[server]\npgdata = /from/file\n", &c) == 0 &&
		      strcmp(c.pgdata, "/from/file") == 0,
	      "the config file wins over PGDATA");
	setenv("PGWARDEN_PGDATA", "/from/env", 1);
	CHECK(load_text("[monitor]\n", &c) == 0 &&
		      strcmp(c.pgdata, "/from/env") == 0,
	      "PGWARDEN_PGDATA wins over PGDATA");
	unsetenv("PGWARDEN_PGDATA");
	setenv("PGDATA", "relative/data", 1);
	CHECK(load_text("[monitor]\n", &c) < 0 && strstr(err, "PGDATA"),
	      "a relative PGDATA is refused, naming the variable");
	unsetenv("PGDATA");
	CHECK(cfg_load(unit_tmpdir(), &c, NULL, err, sizeof(err)) < 0 &&
		      strstr(err, "it is a directory"),
	      "a directory (a mis-mounted ConfigMap) is refused");
	CHECK(load_text("max_failure_count = 4\n[monitor]\n", &c) < 0 &&
		      strstr(err, "line 1: key 'max_failure_count' comes "
				  "before any [section]"),
	      "a key before any section is refused, with its line");
	CHECK(load_text("[monitor]\nmax_failure_count = 4\n; x\n"
			"max_failure_count = 5\n",
			&c) < 0 &&
		      strstr(err, "line 4: key 'max_failure_count' is given "
				  "twice in [monitor]"),
	      "a duplicate key is refused");
	{
		char big[1400];
		snprintf(big, sizeof(big), "[monitor]\nserver_log = /%01200d\n",
			 0);
		CHECK(load_text(big, &c) < 0 &&
			      strstr(err, "the value of 'server_log' is too "
					  "long"),
		      "an over-long value names its key");
	}
	CHECK(load_text("[backupper]\nschedule = 0 0 30 2 *\n", &c) < 0 &&
		      strstr(err, "never fires"),
	      "a schedule that can never fire is refused");
	CHECK(load_text("[backupper]\nschedule = 0 0 6 * * * 2030\n", &c) < 0,
	      "a 7-field cron is refused");
	CHECK(load_text("[monitor]\n; comment = 1\n# x = 2\n\n"
			"max_failure_count = 4\n[backupper]\n"
			"min_backups = 3\n",
			&c) == 0 &&
		      c.max_failure_count == 4 && c.min_backups == 3,
	      "comments and blank lines are not keys");

	setenv("MAX_FAILURE_COUNT", "9", 1);
	CHECK(load_text("[monitor]\nmax_failure_count = 4\n", &c) == 0 &&
		      c.max_failure_count == 9,
	      "environment overrides the file");
	setenv("MAX_FAILURE_COUNT", "-1", 1);
	CHECK(load_text("", &c) < 0 &&
		      strstr(err, "environment MAX_FAILURE_COUNT"),
	      "bad environment value names the variable");
	unsetenv("MAX_FAILURE_COUNT");
	return unit_done();
}
