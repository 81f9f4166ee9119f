#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert.h"
#include "exitcode.h"
#include "fs.h"
#include "log.h"
#include "manifest_auth.h"
#include "pg.h"
#include "proto.h"
#include "sig.h"

static void usage(const char *name, FILE *f)
{
	fprintf(f,
		"usage: pgwarden-%s [--config FILE] [--check-config]\n"
		"  --config FILE    INI configuration (default "
		"$PGWARDEN_CONFIG or\n"
		"                   /etc/pgwarden/pgwarden.ini when it "
		"exists)\n"
		"  --check-config   validate the configuration, print it, "
		"exit\n"
		"  --version        print the version\n",
		name);
}

/* The daemon's own options (getopt_long's table; short ones: -c, -h, -V). */
static const struct option daemon_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"check-config", no_argument, NULL, 'C'},
	{"once", no_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0}};

/* How many words one of daemon_opts takes at argv[i] ("--config F" 2,
 * "--config=F" 1), 0 when argv[i] is not one of them. */
static int own_option_words(int argc, char **argv, int i)
{
	const char *a = argv[i];

	if (strcmp(a, "-h") == 0 || strcmp(a, "-V") == 0)
		return 1;
	for (const struct option *o = daemon_opts; o->name; o++) {
		size_t len = strlen(o->name);
		if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, o->name, len))
			continue;
		if (a[2 + len] == '=' && o->has_arg == required_argument)
			return 1;
		if (a[2 + len] == '\0')
			return o->has_arg == required_argument
				       ? (i + 1 < argc ? 2 : 0)
				       : 1;
	}
	return 0;
}

/* The index of the first word that is not one of the daemon's own
 * options: where a postgres command line given to pgwarden-db begins (its
 * "-c name=value" must not be taken for our --config). */
static int own_args_end(int argc, char **argv)
{
	int i = 1, n;

	while (i < argc && (n = own_option_words(argc, argv, i)) > 0)
		i += n;
	return i;
}

static bool is_setting(const char *s)
{
	const char *eq = strchr(s, '=');
	return eq && eq > s &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") == (size_t)(eq - s);
}

/* "[postgres] (-c name=value | -cname=value | --name=value)...": the
 * forms postgres's own command line takes for settings */
static void take_server_args(struct daemon *d, int first, int argc, char **argv)
{
	int i = first;

	if (i < argc && strcmp(argv[i], "postgres") == 0)
		i++;
	d->server_argv = argv + i;
	d->server_argc = argc - i;
	for (; i < argc; i++) {
		const char *a = argv[i];
		bool ok = (strcmp(a, "-c") == 0 && i + 1 < argc &&
			   is_setting(argv[++i])) ||
			  (strncmp(a, "-c", 2) == 0 && is_setting(a + 2)) ||
			  (strncmp(a, "--", 2) == 0 && is_setting(a + 2));
		if (!ok)
			fatalx(PGW_EXIT_USAGE,
			       "server argument '%s' is not accepted: give "
			       "postgres settings as -c name=value",
			       argv[i]);
	}
	if (d->server_argc > SERVER_ARGS_MAX)
		fatalx(PGW_EXIT_USAGE, "more than %d server arguments",
		       SERVER_ARGS_MAX);
}

static void parse_args(struct daemon *d, int argc, char **argv, int *check)
{
	int o;

	if (d->takes_server_args) {
		int end = own_args_end(argc, argv);
		take_server_args(d, end, argc, argv);
		argc = end;
	}
	while ((o = getopt_long(argc, argv,
				d->takes_server_args ? "+hV" : "c:hV",
				daemon_opts, NULL)) != -1) {
		switch (o) {
		case 'c': d->config_path = optarg; break;
		case 'C': *check = 1; break;
		case 'o': d->once = 1; break;
		case 'h':
			usage(d->name, stdout);
			if (d->takes_server_args)
				printf("  [postgres] -c name=value ...  "
				       "settings for every start of the "
				       "server\n");
			exit(PGW_EXIT_OK);
		case 'V':
			printf("pgwarden-%s %s\n", d->name, PGW_VERSION);
			exit(PGW_EXIT_OK);
		default: usage(d->name, stderr); exit(PGW_EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pgwarden-%s: unexpected argument '%s'\n",
			d->name, argv[optind]);
		exit(PGW_EXIT_USAGE);
	}
}

static void open_logs(struct daemon *d)
{
	char path[PATH_MAX];

	log_open(LOG_MAIN, fs_join(path, d->cfg.backup_dir, d->main_log));
	if (d->aux_log)
		log_open(LOG_AUX, fs_join(path, d->cfg.backup_dir, d->aux_log));
}

const struct crypt_key *daemon_key(const struct daemon *d)
{
	return d->have_key ? &d->key : NULL;
}

/* Into k (wiped first) for a daemon that uses a key; nothing otherwise. */
static int load_key(const struct daemon *d, const struct pgw_config *c,
		    struct crypt_key *k, bool *have, char *err, size_t errlen)
{
	int rc = d->uses_key ? crypt_key_configured(c->encryption_key_file, k,
						    err, errlen)
			     : 0;

	*have = rc == 1;
	return rc < 0 ? -1 : 0;
}

static void apply_config(struct daemon *d)
{
	struct alert_ctx ac = {d->cfg.backup_dir, "PostgreSQL Backup System",
			       d->cfg.environment, d->name};

	log_set_level((enum log_level)log_level_parse(d->cfg.log_level));
	alert_init(&ac);
	manifest_auth_key(daemon_key(d));
}

static void take_instance_lock(struct daemon *d)
{
	char lockname[64];

	snprintf(lockname, sizeof(lockname), "%s%s", PROTO_LOCK_PREFIX,
		 d->name);
	d->instance_lock = fs_lock(d->cfg.backup_dir, lockname, 0, NULL);
	if (d->instance_lock < 0)
		fatalx(PGW_EXIT_RUNNING,
		       "another %s is already running on '%s' (lock %s)",
		       d->name, d->cfg.backup_dir, lockname);
}

/* {0} when the file cannot be read: a vanished file is a change too */
static struct config_stamp config_stamp_of(const char *file)
{
	struct config_stamp st = {0};
	struct stat sb;

	if (file[0] && stat(file, &sb) == 0) {
		st.dev = (unsigned long long)sb.st_dev;
		st.ino = (unsigned long long)sb.st_ino;
		st.size = (unsigned long long)sb.st_size;
		st.mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000LL +
			      sb.st_mtim.tv_nsec;
	}
	return st;
}

static void check_config_file(struct daemon *d)
{
	struct config_stamp now = config_stamp_of(d->config_file);

	if (!d->config_file[0] ||
	    memcmp(&now, &d->config_stamp, sizeof(now)) == 0)
		return;
	d->config_stamp = now;
	log_info("config file '%s' changed: reloading", d->config_file);
	sig_reload = 1;
}

void daemon_start(struct daemon *d, int argc, char **argv)
{
	char err[CFG_ERR_MAX];
	struct cfg_source src;
	int check = 0;

	log_init(d->name);
	/* first: as a container's PID 1, a signal before its handler is
	 * installed would be ignored (PID 1 has no default actions) */
	sig_install();
	umask(077);
	parse_args(d, argc, argv, &check);
	if (cfg_load(d->config_path, &d->cfg, &src, err, sizeof(err)) < 0 ||
	    load_key(d, &d->cfg, &d->key, &d->have_key, err, sizeof(err)) < 0)
		fatalx(PGW_EXIT_CONFIG, "configuration error: %s", err);
	if (check) {
		printf("# configuration is valid (file: %s)\n",
		       src.file[0] ? src.file : "none, defaults + environment");
		cfg_dump(&d->cfg, stdout);
		exit(PGW_EXIT_OK);
	}
	apply_config(d);
	if (fs_check_backup_dir(d->cfg.backup_dir, err, sizeof(err)) < 0 ||
	    fs_check_dir_safe(d->cfg.backup_dir, &d->dir_id, err, sizeof(err)) <
		    0)
		fatalx(PGW_EXIT_BACKUP_DIR, "%s", err);
	take_instance_lock(d);
	open_logs(d);
	if (pg_auth_setup(&d->cfg, err, sizeof(err)) < 0)
		fatalx(PGW_EXIT_CONFIG, "configuration error: %s", err);
	watch_open(&d->watch, d->cfg.backup_dir);
	snprintf(d->config_file, sizeof(d->config_file), "%s", src.file);
	d->config_stamp = config_stamp_of(d->config_file);
	log_info("started (pid %d, backups in '%s', config %s)", (int)getpid(),
		 d->cfg.backup_dir, src.file[0] ? src.file : "defaults");
}

int daemon_reload(struct daemon *d)
{
	struct pgw_config next;
	struct crypt_key key = {0};
	char err[CFG_ERR_MAX];
	bool have_key;

	sig_reload = 0;
	d->config_stamp = config_stamp_of(d->config_file);
	if (cfg_load(d->config_path, &next, NULL, err, sizeof(err)) < 0 ||
	    load_key(d, &next, &key, &have_key, err, sizeof(err)) < 0) {
		crypt_key_wipe(&key);
		log_error("reload failed, keeping the old configuration: %s",
			  err);
		return 0;
	}
	if (strcmp(next.backup_dir, d->cfg.backup_dir) != 0) {
		crypt_key_wipe(&key);
		log_error("reload failed, keeping the old configuration: "
			  "backup_dir cannot change while running (restart "
			  "instead)");
		return 0;
	}
	d->cfg = next;
	/* the old key and the stack copy of the new one are wiped */
	crypt_key_wipe(&d->key);
	d->key = key;
	d->have_key = have_key;
	crypt_key_wipe(&key);
	apply_config(d);
	open_logs(d); /* reopens: also lets operators rotate the log files */
	log_info("configuration reloaded");
	return 1;
}

void daemon_stop(struct daemon *d)
{
	crypt_key_wipe(&d->key);
	d->have_key = false;
	log_info("stopped");
	watch_close(&d->watch);
	pg_auth_cleanup();
	proto_instance_mark_stopped(d->instance_lock);
	fs_unlock(d->instance_lock);
	log_close_all();
	log_clear_secrets();
}

int daemon_take_request(struct daemon *d, const char *req, char *content,
			size_t cap, int *wake_ms)
{
	int wait = 0;
	enum request_state st;

	if (d->dir_unsafe_now)
		return REQ_NONE;
	st = proto_request_claim(d->cfg.backup_dir, req,
				 d->cfg.request_settle_ms, content, cap, &wait);

	if (st == REQ_SETTLING && wait < *wake_ms)
		*wake_ms = wait;
	if (st == REQ_REJECTED)
		alert_emit(ALERT_ERROR, "request-rejected", "Request rejected",
			   content, NULL);
	return (int)st;
}

int daemon_parse_request(const char *req, const char *title,
			 const char *content, const char *const *allowed,
			 const char *bare_key, struct request_kv *kv, int max)
{
	char err[256], msg[200];
	int n = proto_request_parse(content, allowed, bare_key, kv, max, err,
				    sizeof(err));

	if (n >= 0)
		return n;
	log_error("%s refused: %s", req, err);
	snprintf(msg, sizeof(msg),
		 "A %s was refused: it is not a valid request; nothing was "
		 "done",
		 req);
	alert_emit(ALERT_ERROR, "request-rejected", title, msg, err);
	return -1;
}

int daemon_request_reason(const char *req, const char *title,
			  const char *content, char *out, size_t cap)
{
	static const char *const keys[] = {"reason", NULL};
	struct request_kv kv[8];
	const char *why;
	int n = daemon_parse_request(req, title, content, keys, NULL, kv, 8);

	if (n < 0)
		return -1;
	why = proto_request_get(kv, n, "reason");
	snprintf(out, cap, "requested%s%s", why ? ": " : "", why ? why : "");
	return 0;
}

/* The directory as it is now, against the one we started in. */
static void check_dir(struct daemon *d)
{
	const char *dir = d->cfg.backup_dir;
	char err[CFG_ERR_MAX];
	struct fs_dir_id now;
	struct stat st;

	if (stat(dir, &st) < 0 && errno == ENOENT) {
		if (!d->dir_gone)
			log_error("backups directory '%s' is gone: nothing "
				  "can be written until it is back",
				  dir);
		d->dir_gone = true;
		return;
	}
	if (fs_check_dir_safe(dir, &now, err, sizeof(err)) < 0) {
		if (d->serve_on_unsafe_dir) {
			if (!d->dir_unsafe_now)
				log_msg(LOG_MAIN, LOG_FATAL,
					"CRITICAL: the backups directory "
					"changed while running (%s): no "
					"request is read and nothing is "
					"written there any more; the server "
					"keeps running",
					err);
			d->dir_unsafe_now = true;
			return;
		}
		if (d->dir_unsafe)
			d->dir_unsafe(d, err);
		fatalx(PGW_EXIT_BACKUP_DIR,
		       "CRITICAL: the backups directory changed while running "
		       "(%s): stopping, so that nothing more is written there",
		       err);
	}
	d->dir_gone = d->dir_unsafe_now = false;
	if (now.dev == d->dir_id.dev && now.ino == d->dir_id.ino)
		return;
	/* deleted and created again (or another volume mounted): our lock,
	 * logs and watch are on the old one */
	d->dir_id = now;
	fs_unlock(d->instance_lock);
	take_instance_lock(d);
	open_logs(d);
	watch_close(&d->watch);
	watch_open(&d->watch, dir);
	log_warn("backups directory '%s' was replaced by another directory: "
		 "lock, logs and watch taken again there",
		 dir);
	alert_emit(ALERT_WARNING, "backups-dir-replaced", "Backup System",
		   "The backups directory was replaced while running; what "
		   "the old one held is not in it",
		   dir);
}

void daemon_wait(struct daemon *d, int wake_ms)
{
	check_config_file(d);
	if (sig_stop || sig_reload)
		return;
	check_dir(d);
	watch_wait(&d->watch, wake_ms, NULL, 0);
}

int daemon_tool_command(const struct daemon *d, const char *args, char *out,
			size_t cap)
{
	char self[PATH_MAX], conf[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len <= 0)
		return -1;
	self[len] = '\0';
	*strrchr(self, '/') = '\0';
	conf[0] = '\0';
	if (d && d->config_path && !realpath(d->config_path, conf))
		return -1;
	snprintf(out, cap, "'%s/pgwarden' %s%s%s%s", self, args,
		 conf[0] ? " --config '" : "", conf, conf[0] ? "'" : "");
	return 0;
}
