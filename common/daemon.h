/*
 * daemon.h - the start-up and reload sequence every sidecar shares:
 * arguments, configuration, backups directory, single-instance lock, log
 * files, authentication, alerts, signals.
 *
 * Start-up failures exit with the codes of exitcode.h after one clear line:
 * bad config 2, bad arguments 3, unusable backups directory 4, another
 * instance running 5. "--check-config" validates, prints the effective
 * configuration and exits 0 (or 2).
 */
#ifndef PGW_DAEMON_H
#define PGW_DAEMON_H

/* every binary, the sidecars and the CLI, says this version */
#define PGW_VERSION "0.2.0"

#include <limits.h>
#include <stdbool.h>

#include "cfg.h"
#include "crypt.h"
#include "fs.h"
#include "proto.h"
#include "watch.h"

struct daemon {
	const char *name;	 /* "backupper" */
	const char *main_log;	 /* "backup.log" */
	const char *aux_log;	 /* "retention.log" or NULL */
	const char *config_path; /* --config, or NULL */
	struct pgw_config cfg;
	struct watch watch;
	int instance_lock;
	int once; /* --once: do the sidecar's job one time in the foreground */
	/* The processes that read or write backups (backupper, restorer) set
	 * uses_key: the key encryption_key_file names is loaded into key at
	 * start (and checked by --check-config) and at every reload; a reload
	 * whose key does not load keeps the old one. Never in cfg. */
	bool uses_key;
	bool have_key;
	struct crypt_key key;
	/* Called before the sidecar stops because the backups directory
	 * became unsafe (daemon_wait): the monitor tells people directly, as
	 * no alert file can be trusted there. May be NULL. */
	void (*dir_unsafe)(struct daemon *d, const char *why);
	struct fs_dir_id dir_id; /* the backups directory we started in */
	bool dir_gone;		 /* told that it is gone */
	/* pgwarden-db keeps the server running when the directory becomes
	 * unsafe (stopping it would take the database down): it stops
	 * reading requests and writing there instead (dir_unsafe_now). */
	bool serve_on_unsafe_dir;
	bool dir_unsafe_now;
	/* pgwarden-db replaces a postgres image's entrypoint, so it takes what
	 * the pod's args give postgres: "[postgres] -c name=value ..." (or
	 * --name=value) after its own options, passed on to every start of
	 * the server. Anything else there is refused at start-up. */
	bool takes_server_args;
	/* the config file as loaded: a change (a ConfigMap update swaps the
	 * file under its mount) reloads as SIGHUP does */
	char config_file[PATH_MAX];
	struct config_stamp {
		unsigned long long dev, ino, size;
		long long mtime_ns;
	} config_stamp;
	int server_argc;
	char **server_argv;
};

/* at most this many words of server args */
#define SERVER_ARGS_MAX 64

/* The loaded backup key, or NULL when none is configured. */
const struct crypt_key *daemon_key(const struct daemon *d);

/* Everything up to the main loop; exits on failure as described above. */
void daemon_start(struct daemon *d, int argc, char **argv);
/* Called by the main loop when sig_reload is set: reloads the config; on
 * failure keeps the old one and logs why. Returns 1 when changed. */
int daemon_reload(struct daemon *d);
/* Look at one request file (see proto_request_claim). Rejected requests are
 * logged and alerted here; a settling request lowers *wake_ms to when it
 * should be looked at again. */
int daemon_take_request(struct daemon *d, const char *req, char *content,
			size_t cap, int *wake_ms);
/* Parse a claimed request's content strictly (proto_request_parse). An
 * invalid one is logged and alerted here (request-rejected under title,
 * with the parser's reason and never the raw bytes): -1. Else the number
 * of pairs in kv. */
int daemon_parse_request(const char *req, const char *title,
			 const char *content, const char *const *allowed,
			 const char *bare_key, struct request_kv *kv, int max);
/* The content of a request that takes only reason= (request-backup,
 * request-verify), parsed strictly: 0 with "requested" or "requested:
 * <reason>" in out, or -1 (refused, logged and alerted as above). */
int daemon_request_reason(const char *req, const char *title,
			  const char *content, char *out, size_t cap);
/* Wait for a change in the backups directory, a signal, or wake_ms. First,
 * the directory is looked at again (docs/THREATS.md): one that became
 * unsafe (a symlink to or a chmod into a world-writable or foreign
 * directory) stops the sidecar with a CRITICAL line and exit 4; one that
 * was deleted and created again, safe, gets the sidecar's lock, logs and
 * watch again, with a WARNING. */
void daemon_wait(struct daemon *d, int wake_ms);
/* Release lock, logs, auth. */
void daemon_stop(struct daemon *d);
/* "'<dir of this binary>/pgwarden' <args>", with --config when the
 * process has one: a shell command for a server to run (archive_command,
 * restore_command). 0, or -1 when the binary or config is not found. */
int daemon_tool_command(const struct daemon *d, const char *args, char *out,
			size_t cap);

#endif
