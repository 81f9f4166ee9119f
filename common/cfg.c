#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <iniparser/iniparser.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini.h"
#include "log.h"
#include "schedule.h"
#include "tm.h"

#define DEFAULT_CONFIG_FILE "/etc/pgwarden/pgwarden.ini"

enum cfg_type {
	CFG_INT,
	CFG_DURATION,
	CFG_STR,
	CFG_PATH,
	CFG_SCHED,
	CFG_LEVEL,
	CFG_ENUM,
	CFG_NAMES /* comma list of SQL names: [a-z0-9_], no spaces */
};

struct cfg_key {
	const char *section;
	const char *name;
	const char *env;
	enum cfg_type type;
	size_t offset;
	size_t size; /* for strings */
	const char *def;
	long min, max;	     /* for integers and durations */
	const char *choices; /* for CFG_ENUM: "a|b|c" */
};

#define OFF(f) offsetof(struct pgw_config, f)
#define STR(f) OFF(f), sizeof(((struct pgw_config *)0)->f)
#define NUM(f) OFF(f), 0

/* The one table: every key pgwarden understands, and nothing else. */
static const struct cfg_key cfg_keys[] = {
	{"general", "backup_dir", "PGWARDEN_BACKUP_DIR", CFG_PATH,
	 STR(backup_dir), "/backups", 0, 0},
	{"general", "log_level", "PGWARDEN_LOG_LEVEL", CFG_LEVEL,
	 STR(log_level), "info", 0, 0},
	{"general", "pg_bindir", "PG_BINDIR", CFG_STR, STR(pg_bindir), "", 0,
	 0},
	{"general", "database", "PGWARDEN_DATABASE", CFG_STR, STR(database), "",
	 0, 0},
	{"general", "password_file", "PGWARDEN_PASSWORD_FILE", CFG_STR,
	 STR(password_file), "", 0, 0},
	{"general", "environment", "PGWARDEN_ENVIRONMENT", CFG_STR,
	 STR(environment), "Development", 0, 0},
	{"general", "rescan_interval", "PGWARDEN_RESCAN_INTERVAL", CFG_DURATION,
	 NUM(rescan_interval), "5", 1, 3600},
	{"general", "request_settle_ms", "PGWARDEN_REQUEST_SETTLE_MS", CFG_INT,
	 NUM(request_settle_ms), "300", 0, 10000},

	{"monitor", "health_check_interval", "HEALTH_CHECK_INTERVAL",
	 CFG_DURATION, NUM(health_check_interval), "60", 1, 86400},
	{"monitor", "max_failure_count", "MAX_FAILURE_COUNT", CFG_INT,
	 NUM(max_failure_count), "3", 1, 1000},
	{"monitor", "recovery_cooldown", "RECOVERY_COOLDOWN", CFG_DURATION,
	 NUM(recovery_cooldown), "3600", 0, 30L * 86400},
	{"monitor", "check_timeout", "PGWARDEN_CHECK_TIMEOUT", CFG_DURATION,
	 NUM(check_timeout), "5", 1, 600},
	{"monitor", "migrations_table", "PGWARDEN_MIGRATIONS_TABLE", CFG_STR,
	 STR(migrations_table), "schema_migrations", 0, 0},
	{"monitor", "server_log", "PGWARDEN_SERVER_LOG", CFG_STR,
	 STR(server_log), "", 0, 0},
	{"monitor", "patterns_file", "PGWARDEN_PATTERNS_FILE", CFG_PATH,
	 STR(patterns_file), "", 0, 0},
	{"monitor", "corruption_policy", "PGWARDEN_CORRUPTION_POLICY", CFG_ENUM,
	 STR(corruption_policy), "confirm", 0, 0,
	 "confirm|immediate|alert-only"},
	{"monitor", "heartbeat", "PGWARDEN_HEARTBEAT", CFG_ENUM, STR(heartbeat),
	 "database", 0, 0, "database|off"},
	{"monitor", "sidecar_timeout", "PGWARDEN_SIDECAR_TIMEOUT", CFG_DURATION,
	 NUM(sidecar_timeout), "2m", 1, 86400},

	{"backupper", "schedule", "PGWARDEN_BACKUP_SCHEDULE", CFG_SCHED,
	 STR(schedule), "06:00,18:00", 0, 0},
	{"backupper", "databases", "PGWARDEN_BACKUP_DATABASES", CFG_STR,
	 STR(databases), "all", 0, 0},
	{"backupper", "base_backup_schedule", "PGWARDEN_BASE_BACKUP_SCHEDULE",
	 CFG_SCHED, STR(base_backup_schedule), "05:00", 0, 0},
	{"backupper", "compression_level", "PGWARDEN_COMPRESSION_LEVEL",
	 CFG_INT, NUM(compression_level), "6", 1, 12},
	{"backupper", "compress_threads", "PGWARDEN_COMPRESS_THREADS", CFG_INT,
	 NUM(compress_threads), "0", 0, 64},
	{"backupper", "retention_days", "PGWARDEN_RETENTION_DAYS", CFG_INT,
	 NUM(retention_days), "30", 1, 36500},
	{"backupper", "min_backups", "PGWARDEN_MIN_BACKUPS", CFG_INT,
	 NUM(min_backups), "2", 1, 10000},
	{"backupper", "retention_schedule", "PGWARDEN_RETENTION_SCHEDULE",
	 CFG_SCHED, STR(retention_schedule), "02:00", 0, 0},
	{"backupper", "log_retention_days", "PGWARDEN_LOG_RETENTION_DAYS",
	 CFG_INT, NUM(log_retention_days), "7", 1, 36500},
	{"backupper", "alert_retention_days", "PGWARDEN_ALERT_RETENTION_DAYS",
	 CFG_INT, NUM(alert_retention_days), "3", 1, 36500},
	{"backupper", "space_margin_pct", "PGWARDEN_SPACE_MARGIN_PCT", CFG_INT,
	 NUM(space_margin_pct), "120", 100, 1000},
	{"backupper", "progress_interval", "PGWARDEN_PROGRESS_INTERVAL",
	 CFG_DURATION, NUM(progress_interval), "10", 1, 3600},
	{"backupper", "lock_wait_timeout", "PGWARDEN_LOCK_WAIT_TIMEOUT",
	 CFG_DURATION, NUM(lock_wait_timeout), "300", 1, 86400},
	{"backupper", "lock_wait_alert", "PGWARDEN_LOCK_WAIT_ALERT",
	 CFG_DURATION, NUM(lock_wait_alert), "10", 1, 86400},

	{"backupper", "wal_chain_check_interval",
	 "PGWARDEN_WAL_CHAIN_CHECK_INTERVAL", CFG_DURATION,
	 NUM(wal_chain_check_interval), "60", 1, 86400},
	{"backupper", "wal_reread_interval", "PGWARDEN_WAL_REREAD_INTERVAL",
	 CFG_DURATION, NUM(wal_reread_interval), "86400", 10, 30L * 86400},

	{"backupper", "encryption_key_file", "PGWARDEN_ENCRYPTION_KEY_FILE",
	 CFG_STR, STR(encryption_key_file), "", 0, 0},
	{"server", "pgdata", "PGWARDEN_PGDATA", CFG_PATH, STR(pgdata),
	 "/var/lib/postgresql/data/pgdata", 0, 0},
	{"server", "initdb_options", "PGWARDEN_INITDB_OPTIONS", CFG_STR,
	 STR(initdb_options), "--data-checksums --encoding=UTF8", 0, 0},
	{"server", "postgres_options", "PGWARDEN_POSTGRES_OPTIONS", CFG_STR,
	 STR(postgres_options), "", 0, 0},
	{"server", "wal_archive", "PGWARDEN_WAL_ARCHIVE", CFG_ENUM,
	 STR(wal_archive), "on", 0, 0, "on|off"},
	{"server", "wal_archive_timeout", "PGWARDEN_WAL_ARCHIVE_TIMEOUT",
	 CFG_DURATION, NUM(wal_archive_timeout), "60", 1, 3600},
	{"server", "wal_keep_free_pct", "PGWARDEN_WAL_KEEP_FREE_PCT", CFG_INT,
	 NUM(wal_keep_free_pct), "10", 0, 90},
	{"server", "shutdown_timeout", "PGWARDEN_SHUTDOWN_TIMEOUT",
	 CFG_DURATION, NUM(shutdown_timeout), "285", 1, 86400},
	{"server", "hang_timeout", "PGWARDEN_HANG_TIMEOUT", CFG_DURATION,
	 NUM(hang_timeout), "60", 0, 86400},
	{"server", "space_check_interval", "PGWARDEN_SPACE_CHECK_INTERVAL",
	 CFG_DURATION, NUM(space_check_interval), "60", 1, 86400},
	{"server", "max_start_failures", "PGWARDEN_MAX_START_FAILURES", CFG_INT,
	 NUM(max_start_failures), "3", 1, 100},

	{"restorer", "init_dir", "PGWARDEN_INIT_DIR", CFG_STR, STR(init_dir),
	 "/etc/pgwarden/init", 0, 0},
	{"restorer", "migrations_dir", "PGWARDEN_MIGRATIONS_DIR", CFG_STR,
	 STR(migrations_dir), "/etc/pgwarden/migrations", 0, 0},
	{"restorer", "damaged_keep_days", "PGWARDEN_DAMAGED_KEEP_DAYS", CFG_INT,
	 NUM(damaged_keep_days), "7", 1, 36500},
	{"restorer", "server_wait", "PGWARDEN_SERVER_WAIT", CFG_DURATION,
	 NUM(server_wait), "120", 1, 86400},
	{"restorer", "recovery_method", "PGWARDEN_RECOVERY_METHOD", CFG_ENUM,
	 STR(recovery_method), "auto", 0, 0, "auto|physical|logical"},
	{"restorer", "verify_schedule", "PGWARDEN_VERIFY_SCHEDULE", CFG_SCHED,
	 STR(verify_schedule), "03:00", 0, 0},
	{"restorer", "verify_newest", "PGWARDEN_VERIFY_NEWEST", CFG_INT,
	 NUM(verify_newest), "0", 0, 100000},
	{"restorer", "verify_target", "PGWARDEN_VERIFY_TARGET", CFG_ENUM,
	 STR(verify_target), "database", 0, 0, "database|cluster"},
	{"restorer", "verify_cluster_dir", "PGWARDEN_VERIFY_CLUSTER_DIR",
	 CFG_PATH, STR(verify_cluster_dir), "", 0, 0},
	{"restorer", "verify_cluster_port", "PGWARDEN_VERIFY_CLUSTER_PORT",
	 CFG_INT, NUM(verify_cluster_port), "5433", 1024, 65535},

	{"restorer", "restore_procedures", "PGWARDEN_RESTORE_PROCEDURES",
	 CFG_NAMES, STR(restore_procedures), "timescaledb", 0, 0},
	{"restorer", "fresh_reset", "PGWARDEN_FRESH_RESET", CFG_ENUM,
	 STR(fresh_reset), "no-backups", 0, 0, "no-backups|always|never"},

	{"alerts", "min_severity", "ALERT_MIN_SEVERITY", CFG_ENUM,
	 STR(min_severity), "info", 0, 0,
	 "critical|error|warning|success|info"},
	{"alerts", "telegram_api_url", "TELEGRAM_API_URL", CFG_STR,
	 STR(telegram_api_url), "https://api.telegram.org", 0, 0},
	{"alerts", "telegram_chat_id", "TELEGRAM_CHAT_ID", CFG_STR,
	 STR(telegram_chat_id), "", 0, 0},
	{"alerts", "telegram_token_file", "TELEGRAM_BOT_TOKEN_FILE", CFG_STR,
	 STR(telegram_token_file), "", 0, 0},
	{"alerts", "telegram_format", "TELEGRAM_PARSE_MODE", CFG_ENUM,
	 STR(telegram_format), "html", 0, 0, "html|markdownv2"},
	{"alerts", "webhook_url_file", "WEBHOOK_URL_FILE", CFG_STR,
	 STR(webhook_url_file), "", 0, 0},
	{"alerts", "dedup_window", "ALERT_DEDUP_WINDOW", CFG_DURATION,
	 NUM(dedup_window), "5m", 0, 86400},
	{"alerts", "retry_for", "ALERT_RETRY_FOR", CFG_DURATION, NUM(retry_for),
	 "30m", 1, 7L * 86400},
	{"alerts", "send_timeout", "ALERT_SEND_TIMEOUT", CFG_DURATION,
	 NUM(send_timeout), "15", 1, 600},
	{"alerts", "rate_limit", "ALERT_RATE_LIMIT", CFG_INT, NUM(rate_limit),
	 "20", 0, 6000},
	{"alerts", "backup_max_age", "BACKUP_MAX_AGE", CFG_DURATION,
	 NUM(backup_max_age), "13h", 0, 365L * 86400},
	{"alerts", "wal_archive_max_lag", "WAL_ARCHIVE_MAX_LAG", CFG_DURATION,
	 NUM(wal_archive_max_lag), "15m", 0, 7L * 86400},
	{"alerts", "base_backup_max_age", "BASE_BACKUP_MAX_AGE", CFG_DURATION,
	 NUM(base_backup_max_age), "49h", 0, 365L * 86400},
	{"alerts", "daily_summary", "PGWARDEN_DAILY_SUMMARY", CFG_SCHED,
	 STR(daily_summary), "off", 0, 0},
	{"alerts", "kube_workload", "PGWARDEN_KUBE_WORKLOAD", CFG_STR,
	 STR(kube_workload), "statefulset/db", 0, 0},
};

#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static int set_number(const struct cfg_key *k, const char *val, void *field,
		      char *why, size_t whylen)
{
	long v;
	char *end;

	if (k->type == CFG_DURATION) {
		v = tm_parse_duration(val);
		if (v < 0) {
			snprintf(why, whylen,
				 "not a duration (e.g. 60, 90s, 5m, 1h)");
			return -1;
		}
	} else {
		errno = 0;
		v = strtol(val, &end, 10);
		if (end == val || *end || errno) {
			snprintf(why, whylen, "not an integer");
			return -1;
		}
	}
	if (v < k->min || v > k->max) {
		snprintf(why, whylen, "out of range %ld..%ld", k->min, k->max);
		return -1;
	}
	*(int *)field = (int)v;
	return 0;
}

static bool enum_allowed(const char *choices, const char *val)
{
	size_t n = strlen(val);

	for (const char *p = choices; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, val, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

/* Each name of the list is put into SQL by its reader (an extension's
 * <name>_pre_restore()), so only plain lower-case identifiers pass. */
static bool names_valid(const char *val)
{
	size_t len = 0;

	for (const char *p = val;; p++) {
		if (*p == ',' || *p == '\0') {
			if (len == 0 && (*p == ',' || p != val))
				return false; /* an empty name */
			if (len > 48)
				return false;
			if (*p == '\0')
				return true;
			len = 0;
		} else if ((*p >= 'a' && *p <= 'z') ||
			   (*p >= '0' && *p <= '9') || *p == '_') {
			len++;
		} else {
			return false;
		}
	}
}

static int set_value(const struct cfg_key *k, const char *val,
		     struct pgw_config *c, char *why, size_t whylen)
{
	char *field = (char *)c + k->offset;
	struct sched sc;

	switch (k->type) {
	case CFG_INT:
	case CFG_DURATION: return set_number(k, val, field, why, whylen);
	case CFG_PATH:
		if (val[0] != '\0' && val[0] != '/') {
			snprintf(why, whylen, "not an absolute path");
			return -1;
		}
		break;
	case CFG_SCHED:
		if (sched_parse(val, &sc, why, whylen) < 0)
			return -1;
		break;
	case CFG_LEVEL:
		if (log_level_parse(val) < 0) {
			snprintf(why, whylen,
				 "not one of debug, info, warning, error");
			return -1;
		}
		break;
	case CFG_ENUM:
		if (!enum_allowed(k->choices, val)) {
			snprintf(why, whylen, "not one of %s", k->choices);
			return -1;
		}
		break;
	case CFG_NAMES:
		if (!names_valid(val)) {
			snprintf(why, whylen,
				 "not a comma list of names (a-z, 0-9, '_', no "
				 "spaces)");
			return -1;
		}
		break;
	case CFG_STR: break;
	}
	if (strlen(val) >= k->size) {
		snprintf(why, whylen, "longer than %zu characters",
			 k->size - 1);
		return -1;
	}
	memcpy(field, val, strlen(val) + 1);
	return 0;
}

size_t cfg_key_count(void)
{
	return NKEYS;
}

void cfg_key_at(size_t i, const char **section, const char **name,
		const char **env)
{
	*section = cfg_keys[i].section;
	*name = cfg_keys[i].name;
	*env = cfg_keys[i].env;
}

void cfg_defaults(struct pgw_config *out)
{
	char why[64];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < NKEYS; i++)
		if (set_value(&cfg_keys[i], cfg_keys[i].def, out, why,
			      sizeof(why)) < 0)
			abort(); /* a default outside its own range is a bug */
}

static const struct cfg_key *cfg_find(const char *sec, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcasecmp(cfg_keys[i].section, sec) == 0 &&
		    strcasecmp(cfg_keys[i].name, name) == 0)
			return &cfg_keys[i];
	return NULL;
}

static bool section_known(const char *sec)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcasecmp(cfg_keys[i].section, sec) == 0)
			return true;
	return false;
}

/* iniparser's own diagnostics go to stderr unformatted; keep them quiet. */
static int ini_quiet(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

/* A line's key (before '='), trimmed, into out; "" for a line without. */
static void line_key(const char *line, char *out, size_t cap)
{
	size_t n = strcspn(line, "=");

	while (n > 0 && isspace((unsigned char)line[n - 1]))
		n--;
	if (!line[strcspn(line, "=")])
		n = 0;
	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), line);
}

/* What iniparser lets pass silently: a key before any [section], a key
 * given twice in a section, a line too long to read (named by its key). */
static int lint_file(FILE *f, const char *file, char *err, size_t errlen)
{
	char line[1100], sec[128] = "", key[128], seen[256][160];
	int nseen = 0, no = 0;

	while (fgets(line, sizeof(line), f)) {
		const char *p = line;
		no++;
		while (isspace((unsigned char)*p))
			p++;
		line_key(p, key, sizeof(key));
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen,
				 "config file '%s' line %d: the value of '%s' "
				 "is too long (at most 1000 characters)",
				 file, no, *key ? key : "?");
			return -1;
		}
		if (*p == '\0' || *p == ';' || *p == '#')
			continue;
		if (*p == '[') {
			snprintf(sec, sizeof(sec), "%.*s",
				 (int)strcspn(p + 1, "]"), p + 1);
			continue;
		}
		if (!*key)
			continue; /* iniparser says what is wrong with it */
		if (!*sec) {
			snprintf(err, errlen,
				 "config file '%s' line %d: key '%s' comes "
				 "before any [section]",
				 file, no, key);
			return -1;
		}
		snprintf(line, sizeof(line), "%s:%s", sec, key);
		for (int i = 0; i < nseen; i++)
			if (strcasecmp(seen[i], line) == 0) {
				snprintf(err, errlen,
					 "config file '%s' line %d: key '%s' "
					 "is given twice in [%s]",
					 file, no, key, sec);
				return -1;
			}
		if (nseen < 256)
			snprintf(seen[nseen++], sizeof(seen[0]), "%.159s",
				 line);
	}
	return 0;
}

/* A readable regular file (a directory passes access() and reads as an
 * empty config: a mis-mounted ConfigMap must not mean "defaults"). */
static int check_file(const char *file, char *err, size_t errlen)
{
	const char *why = NULL;
	struct stat st;
	FILE *f = NULL;
	int rc;

	if (stat(file, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = S_ISDIR(st.st_mode) ? "it is a directory"
					  : "not a regular file";
	else if (!(f = fopen(file, "r")))
		why = strerror(errno);
	if (why) {
		snprintf(err, errlen, "unable to read config file '%s': %s",
			 file, why);
		return -1;
	}
	rc = lint_file(f, file, err, errlen);
	fclose(f);
	return rc;
}

static int load_file(const char *file, struct pgw_config *c, char *err,
		     size_t errlen)
{
	dictionary *d;
	char why[256];
	int rc = 0;

	if (check_file(file, err, errlen) < 0)
		return -1;
	iniparser_set_error_callback(ini_quiet);
	d = iniparser_load(file);
	if (!d) {
		snprintf(err, errlen, "config file '%s' is not valid INI",
			 file);
		return -1;
	}
	for (int s = 0; rc == 0 && s < iniparser_getnsec(d); s++) {
		const char *sec = iniparser_getsecname(d, s);
		int nk = iniparser_getsecnkeys(d, sec);
		const char **keys = calloc((size_t)nk + 1, sizeof(*keys));
		if (!section_known(sec)) {
			snprintf(err, errlen,
				 "unknown section [%s] in config file '%s'",
				 sec, file);
			rc = -1;
		}
		if (rc == 0 && nk > 0 &&
		    (!keys || !iniparser_getseckeys(d, sec, keys)))
			rc = -1, snprintf(err, errlen, "out of memory");
		for (int k = 0; rc == 0 && k < nk; k++) {
			const char *name = strchr(keys[k], ':') + 1;
			const struct cfg_key *key = cfg_find(sec, name);
			const char *val = ini_get(d, keys[k], "");
			if (!key) {
				snprintf(err, errlen,
					 "unknown key '%s' in section [%s] of "
					 "config file '%s'",
					 name, sec, file);
				rc = -1;
			} else if (set_value(key, val, c, why, sizeof(why)) <
				   0) {
				snprintf(err, errlen,
					 "invalid value '%s' for %s (config "
					 "file '%s' [%s]): %s",
					 val, key->name, file, sec, why);
				rc = -1;
			}
		}
		free(keys);
	}
	iniparser_freedict(d);
	return rc;
}

/* k's value from the environment variable env (already read: val). */
static int set_from_env(const struct cfg_key *k, const char *env,
			const char *val, struct pgw_config *c, char *err,
			size_t errlen)
{
	char why[256];

	if (set_value(k, val, c, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "invalid value '%s' for %s (environment %s): %s",
		 val, k->name, env, why);
	return -1;
}

static int load_env(struct pgw_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const char *val = getenv(cfg_keys[i].env);
		if (val && set_from_env(&cfg_keys[i], cfg_keys[i].env, val, c,
					err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* Conventions of the software around us that stand in for a built-in
 * default: a postgres container says where its data is in PGDATA, so an
 * injected pgwarden-db manages that directory without being told again
 * (docs/KUBERNETES.md). The config file and PGWARDEN_* still win. */
static const struct {
	const char *section, *name, *env;
} env_defaults[] = {
	{"server", "pgdata", "PGDATA"},
};

static int load_env_defaults(struct pgw_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(env_defaults) / sizeof(env_defaults[0]);
	     i++) {
		const char *val = getenv(env_defaults[i].env);
		const struct cfg_key *k =
			cfg_find(env_defaults[i].section, env_defaults[i].name);
		if (val && *val && k &&
		    set_from_env(k, env_defaults[i].env, val, c, err, errlen) <
			    0)
			return -1;
	}
	return 0;
}

int cfg_load(const char *path, struct pgw_config *out, struct cfg_source *src,
	     char *err, size_t errlen)
{
	struct pgw_config c;
	const char *file = path;

	cfg_defaults(&c);
	if (load_env_defaults(&c, err, errlen) < 0)
		return -1;
	if (!file)
		file = getenv("PGWARDEN_CONFIG");
	if (!file && access(DEFAULT_CONFIG_FILE, F_OK) == 0)
		file = DEFAULT_CONFIG_FILE;
	if (file && *file && load_file(file, &c, err, errlen) < 0)
		return -1;
	if (load_env(&c, err, errlen) < 0)
		return -1;
	if (src)
		snprintf(src->file, sizeof(src->file), "%s", file ? file : "");
	*out = c;
	return 0;
}

void cfg_dump(const struct pgw_config *c, FILE *f)
{
	const char *sec = "";

	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const char *field = (const char *)c + k->offset;
		if (strcmp(sec, k->section) != 0)
			fprintf(f, "%s[%s]\n", i ? "\n" : "", sec = k->section);
		if (k->type == CFG_INT || k->type == CFG_DURATION)
			fprintf(f, "%s = %d\n", k->name, *(const int *)field);
		else
			fprintf(f, "%s = %s\n", k->name, field);
	}
}
