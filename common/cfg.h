/*
 * cfg.h - configuration: one declarative table of every key (section, name,
 * environment variable, type, default, range), loaded from an INI file with
 * iniparser and then overridden from the environment.
 *
 * Contract:
 *  - cfg_load() fills a complete struct pgw_config or returns -1 with one
 *    human line in err naming the key and where the bad value came from
 *    ("file /etc/x.ini" or "environment MAX_FAILURE_COUNT"). Unknown sections
 *    and keys in the file are errors, so typos do not pass silently.
 *  - the file is optional unless named explicitly: path NULL means "use
 *    $PGWARDEN_CONFIG, else /etc/pgwarden/pgwarden.ini if it exists".
 *  - the struct is plain data: a reload builds a new one and swaps only on
 *    success, so a bad reload keeps the old configuration.
 */
#ifndef PGW_CFG_H
#define PGW_CFG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CFG_ERR_MAX 512
#define CFG_STR_MAX 1024

struct pgw_config {
	/* [general] */
	char backup_dir[PATH_MAX];
	char log_level[16];
	char pg_bindir[PATH_MAX];
	char database[128];
	char password_file[PATH_MAX];
	char environment[64];
	int rescan_interval;
	int request_settle_ms;
	/* [monitor] */
	int health_check_interval;
	int max_failure_count;
	int recovery_cooldown;
	int check_timeout;
	char migrations_table[128];
	char server_log[PATH_MAX];
	char patterns_file[PATH_MAX];
	char corruption_policy[16];
	char heartbeat[16];  /* database | off */
	int sidecar_timeout; /* s: a sidecar down, a request unclaimed */
	/* [backupper] */
	char schedule[CFG_STR_MAX];
	char databases[CFG_STR_MAX];
	int compression_level;
	int compress_threads;
	int retention_days;
	int min_backups;
	char retention_schedule[CFG_STR_MAX];
	char base_backup_schedule[CFG_STR_MAX];
	int log_retention_days;
	int alert_retention_days;
	int space_margin_pct;
	int progress_interval;
	int lock_wait_timeout; /* s: pg_dump --lock-wait-timeout */
	int lock_wait_alert;   /* s of waiting on a lock before a WARNING */
	char encryption_key_file[PATH_MAX];
	/* [server] (pgwarden-db, the db container's supervisor) */
	char pgdata[PATH_MAX];
	char initdb_options[CFG_STR_MAX];
	int max_start_failures;
	int hang_timeout; /* s without an answer before a restart; 0 = off */
	int space_check_interval; /* s between looks at PGDATA's free space */
	char postgres_options[CFG_STR_MAX]; /* more postgres args: "-c k=v" */
	int shutdown_timeout; /* s of fast shutdown before immediate */
	char wal_archive[8];  /* on | off: the WAL archive (docs/WAL.md) */
	int wal_chain_check_interval; /* s: the backupper's gap check */
	int wal_reread_interval;      /* s: the whole archive read back again */
	int wal_archive_timeout; /* s: archive_timeout, the archive's lag */
	int wal_keep_free_pct;	 /* a failing archive never fills pg_wal's
				  * volume past this: the segment is dropped */
	/* [restorer] */
	char init_dir[PATH_MAX];
	char migrations_dir[PATH_MAX];
	int damaged_keep_days;
	int server_wait;
	char recovery_method[16]; /* auto | physical | logical (docs/WAL.md) */
	char verify_schedule[CFG_STR_MAX];
	int verify_newest;
	char verify_target[16];
	char verify_cluster_dir[PATH_MAX];
	int verify_cluster_port;
	char restore_procedures[CFG_STR_MAX]; /* extensions, comma list */
	char fresh_reset[16];		      /* no-backups | always | never */
	/* [alerts] (delivery by the monitor; secrets stay in files/env) */
	char min_severity[16];
	char telegram_api_url[CFG_STR_MAX];
	char telegram_chat_id[64];
	char telegram_token_file[PATH_MAX];
	char telegram_format[16];
	char webhook_url_file[PATH_MAX];
	int dedup_window;
	int retry_for;
	int rate_limit; /* messages per channel per minute, 0 = no limit */
	int send_timeout;
	int backup_max_age;
	int wal_archive_max_lag; /* s: dead man's switch on the archive */
	int base_backup_max_age; /* s: and on the newest base backup */
	char daily_summary[CFG_STR_MAX];
	char kube_workload[128];
};

/* Where cfg_load found its file ("" when none was used). */
struct cfg_source {
	char file[PATH_MAX];
};

int cfg_load(const char *path, struct pgw_config *out, struct cfg_source *src,
	     char *err, size_t errlen);
/* Fill defaults only (used by tests and as the base of cfg_load). */
/* The key table, for tests that keep the docs in step with it. */
size_t cfg_key_count(void);
void cfg_key_at(size_t i, const char **section, const char **name,
		const char **env);
void cfg_defaults(struct pgw_config *out);
/* Print every key = value (secrets are never stored in the struct). */
void cfg_dump(const struct pgw_config *c, FILE *f);

#endif
