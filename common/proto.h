/*
 * proto.h - the /backups protocol: every file name the sidecars exchange and
 * the rules for using them. docs/PROTOCOL.md is the prose version of this
 * header; a unit test (tests/unit/test_protocol.c) keeps the two in step:
 * every name in the doc's table is in proto_file_names and back.
 *
 * Names starting with '.' are private temporaries and never part of the
 * protocol (except the .lock-* files); readers ignore them.
 */
/* clang-format off */
/*
 * Files (directly in the backups directory, but for wal/):
 *   backup_<YYYYMMDD_HHMMSS>_<db>.sql.gz  a database dump (plain SQL, gzip)
 *   globals_<YYYYMMDD_HHMMSS>.sql.gz      pg_dumpall --globals-only
 *   <either>.enc                          the same, encrypted (crypt.h)
 *   <either>.manifest                     its manifest (INI): a backup is
 *                                         valid only if the manifest says so
 *   <either>.partial                      being written; never trusted
 *   request-backup, request-restore,      requests: anyone may touch them;
 *   request-verify, request-reinit,       each is consumed exactly once
 *   request-basebackup, request-physical-restore
 *   base_<YYYYMMDD_HHMMSS>.tar.gz         a physical base backup (and its
 *                                         .manifest; .enc when encrypted)
 *   recovery-in-progress                  exclusive marker, flock-held by
 *                                         the running recovery
 *   alert-<stamp>-<SEVERITY>-<event>      one alert per event
 *   monitor.state, monitor.status         the monitor's memory, heartbeat
 *   server.status                         pgwarden-db's heartbeat
 *   restorer.status, metrics.prom         the last recovery; Prometheus
 *   job-progress, pause                   the running job; maintenance
 *   .lock-<name>                          flock locks (PROTO_LOCK_*)
 *   wal/<WAL file>.gz[.enc]               the WAL archive (walarchive.h)
 *   *.log                                 the LOG_* job logs
 */
/* clang-format on */
#ifndef PGW_PROTO_H
#define PGW_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define PROTO_REQ_BACKUP       "request-backup"
#define PROTO_REQ_RESTORE      "request-restore"
#define PROTO_REQ_VERIFY       "request-verify"
#define PROTO_REQ_REINIT       "request-reinit"
#define PROTO_REQ_BASEBACKUP   "request-basebackup"
#define PROTO_REQ_PHYSICAL     "request-physical-restore"
#define PROTO_RECOVERY	       "recovery-in-progress"
#define PROTO_MONITOR_STATE    "monitor.state"
#define PROTO_MONITOR_STATUS   "monitor.status"
#define PROTO_SERVER_STATUS    "server.status"
#define PROTO_ARCHIVE_STATUS   "archive.status"
#define PROTO_RESTORER_STATUS  "restorer.status"
#define PROTO_METRICS	       "metrics.prom"
#define PROTO_JOB_PROGRESS     "job-progress"
#define PROTO_PAUSE	       "pause"
#define PROTO_ALERT_PREFIX     "alert-"
#define PROTO_BACKUP_PREFIX    "backup_"
#define PROTO_GLOBALS_PREFIX   "globals_"
#define PROTO_BASE_PREFIX      "base_"	    /* base_<stamp>.tar.gz: physical */
#define PROTO_LOCK_JOBS	       ".lock-jobs" /* backup, verification, restore */
#define PROTO_LOCK_PREFIX      ".lock-"	    /* + sidecar name: one instance */
#define PROTO_PARTIAL_SUFFIX   ".partial"
#define PROTO_MANIFEST_SUFFIX  ".manifest"
#define PROTO_ENCRYPTED_SUFFIX ".enc" /* AES-256-GCM, crypt.h */
#define PROTO_WAL_DIR	       "wal"  /* the WAL archive, walarchive.h */
#define PROTO_REQUEST_MAX      4096

#define LOG_BACKUP	 "backup.log"
#define LOG_HEALTH	 "health-monitor.log"
#define LOG_RECOVERY	 "recovery.log"
#define LOG_VERIFICATION "verification.log"
#define LOG_RETENTION	 "retention.log"
#define LOG_SERVER	 "db-supervisor.log"
/* where pgwarden-db writes the server output when server_log is unset */
#define PROTO_SERVER_LOG "postgresql.log"

/* Every name above, and every prefix: the protocol's whole vocabulary, as
 * docs/PROTOCOL.md lists it (NULL-terminated). */
extern const char *const proto_file_names[];

enum backup_kind { BACKUP_DATABASE, BACKUP_GLOBALS };

struct backup_name {
	enum backup_kind kind;
	time_t when;
	char stamp[16];
	char database[128]; /* decoded; empty for globals */
	bool encrypted;	    /* ".enc" after ".sql.gz" */
};

/* Build the final file name of a backup into out (NAME_MAX+1). -1 if the
 * database name cannot be encoded. */
int proto_backup_filename(const struct backup_name *b, char *out, size_t cap);
/* Parse a final backup file name (not .partial, not .manifest). */
int proto_backup_parse(const char *name, struct backup_name *out);
/* "<file>.manifest" */
void proto_manifest_name(const char *backup_file, char *out, size_t cap);

/* Outcome of looking at a request file. */
enum request_state {
	REQ_NONE = 0,	  /* no request */
	REQ_CLAIMED = 1,  /* claimed: content filled, file removed */
	REQ_SETTLING = 2, /* touched too recently: look again later */
	REQ_REJECTED = 3, /* not a regular file, or unreadable: moved away */
};

/* Claim dir/name once it has been quiet for settle_ms. Exactly one caller
 * wins the claim (rename is atomic). content gets up to PROTO_REQUEST_MAX
 * bytes, NUL terminated. On REQ_SETTLING, *wait_ms says how long to wait.
 * On REQ_REJECTED, content holds the reason. */
enum request_state proto_request_claim(const char *dir, const char *name,
				       int settle_ms, char *content, size_t cap,
				       int *wait_ms);

/* Request contents: empty, or "key=value" lines (a bare first line is taken
 * as the value of bare_key when bare_key is not NULL). Unknown keys, binary
 * bytes or overlong values make the request invalid (-1, reason in err). */
struct request_kv {
	char key[32];
	char value[256];
};
int proto_request_parse(const char *content, const char *const *allowed,
			const char *bare_key, struct request_kv *out, int max,
			char *err, size_t errlen);
/* The value of key in parsed pairs, or NULL. */
const char *proto_request_get(const struct request_kv *kv, int n,
			      const char *key);

/* Write a request atomically (used by the monitor and the CLI). */
int proto_request_write(const char *dir, const char *name, const char *content);
/* dir/name exists and nobody has claimed it yet. */
bool proto_request_pending(const char *dir, const char *name);

/* request-restore's body, for every writer (the monitor, pgwarden restore,
 * the restorer queueing one again): "backup=<file>" when one is named,
 * then "reason=<text>" (line breaks in text become blanks). Its reader,
 * the restorer, takes exactly PROTO_RESTORE_KEYS (NULL-terminated), with a
 * bare first line read as the backup. */
extern const char *const proto_restore_keys[];
void proto_restore_request(char *buf, size_t cap, const char *backup,
			   const char *reason);

/* recovery-in-progress: returns an fd holding the lock (>= 0), -1 on error,
 * -2 when a live recovery holds it, -3 when a stale one exists (its content
 * is copied to stale, then call proto_recovery_clear_stale()). */
int proto_recovery_begin(const char *dir, const char *content, char *stale,
			 size_t stalecap);
int proto_recovery_update(int fd, const char *content);
void proto_recovery_end(const char *dir, int fd);
int proto_recovery_clear_stale(const char *dir);
/* Held by a live process right now. */
bool proto_recovery_active(const char *dir);
/* The marker exists (live or stale). */
bool proto_recovery_exists(const char *dir);

/* A database a recovery renamed aside, never dropped by it: <db> + kind +
 * <YYYYMMDD_HHMMSS>. "_damaged_" when the recovery mended damage (the
 * monitor asked), "_before_restore_" when a person asked for a restore of
 * a database that may have been healthy. Retention drops both after
 * damaged_keep_days; backups skip them. */
#define PROTO_ASIDE_DAMAGED	   "_damaged_"
#define PROTO_ASIDE_BEFORE_RESTORE "_before_restore_"
#define PROTO_ASIDE_DB_REGEX	   "_(damaged|before_restore)_[0-9]{8}_[0-9]{6}$"

/* A sidecar's instance lock (.lock-<name>): held while it runs, holding
 * its pid; a clean stop (SIGTERM, the end of --once) leaves "stopped" in
 * it, a crash the pid. */
enum instance_state {
	INSTANCE_NEVER,	  /* no lock file: it never ran on this volume */
	INSTANCE_UP,	  /* held */
	INSTANCE_STOPPED, /* stopped cleanly */
	INSTANCE_DOWN,	  /* not held, and it did not stop cleanly */
};
void proto_instance_mark_stopped(int lock_fd);
enum instance_state proto_instance_state(const char *dir, const char *name);

#endif
