#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tm.h"

#define LOG_LINE_MAX	4096
#define LOG_MAX_SECRETS 8

static const char *log_component = "pgwarden";
static int log_fds[LOG_NCHANNELS] = {-1, -1};
static char log_paths[LOG_NCHANNELS][4096];
static time_t log_checked;
static enum log_level log_min = LOG_INFO;
static char *log_secrets[LOG_MAX_SECRETS];
/* the monitor's delivery thread logs too: one line at a time */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *log_names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "FATAL"};

void log_init(const char *component)
{
	log_component = component;
}

int log_open(enum log_channel ch, const char *path)
{
	int fd = -1;

	if (path) {
		fd = open(path,
			  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				  O_NOFOLLOW,
			  0600);
		if (fd < 0) {
			int e = errno;
			log_msg(LOG_MAIN, LOG_ERROR, "unable to open '%s': %s",
				path, strerror(e));
			return -1;
		}
	}
	if (log_fds[ch] >= 0)
		close(log_fds[ch]);
	log_fds[ch] = fd;
	snprintf(log_paths[ch], sizeof(log_paths[ch]), "%s", path ? path : "");
	return 0;
}

void log_close_all(void)
{
	for (int i = 0; i < LOG_NCHANNELS; i++)
		log_open((enum log_channel)i, NULL);
}

void log_set_level(enum log_level min)
{
	log_min = min;
}

int log_level_parse(const char *s)
{
	for (int i = LOG_DEBUG; i <= LOG_ERROR; i++)
		if (strcasecmp(s, log_names[i]) == 0)
			return i;
	return -1;
}

void log_add_secret(const char *secret)
{
	if (!secret || strlen(secret) < 3)
		return; /* too short to redact without mangling every line */
	for (int i = 0; i < LOG_MAX_SECRETS; i++) {
		if (log_secrets[i] && strcmp(log_secrets[i], secret) == 0)
			return;
		if (!log_secrets[i]) {
			log_secrets[i] = strdup(secret);
			return;
		}
	}
}

void log_clear_secrets(void)
{
	for (int i = 0; i < LOG_MAX_SECRETS; i++) {
		free(log_secrets[i]);
		log_secrets[i] = NULL;
	}
}

static void scrub_span(char *buf, size_t cap, char *at, size_t len)
{
	size_t tail = strlen(at + len);

	if ((size_t)(at - buf) + 3 + tail + 1 > cap)
		tail = cap - (size_t)(at - buf) - 4;
	memmove(at + 3, at + len, tail);
	at[3 + tail] = '\0';
	memcpy(at, "***", 3);
}

/* "password=xyz" / "password: xyz" keyword forms, as in conninfo strings. */
static void scrub_keywords(char *buf, size_t cap)
{
	static const char *keys[] = {"password=", "password:", "token=", "bot"};
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char *p = buf;
		while ((p = strcasestr(p, keys[k])) != NULL) {
			char *v = p + strlen(keys[k]);
			size_t n;
			if (k == 3) { /* Telegram URL form: bot<id>:<secret> */
				n = strspn(v, "0123456789");
				if (n == 0 || v[n] != ':') {
					p = v;
					continue;
				}
				v += n + 1;
			}
			while (*v == ' ')
				v++;
			n = strcspn(v, " '\"&,;/\n");
			if (n > 0 && strncmp(v, "***", 3) != 0)
				scrub_span(buf, cap, v, n);
			p = n > 0 ? v + 3 : v;
		}
	}
}

void log_scrub(char *buf, size_t cap)
{
	for (int i = 0; i < LOG_MAX_SECRETS && log_secrets[i]; i++) {
		char *p;
		size_t n = strlen(log_secrets[i]);
		while ((p = strstr(buf, log_secrets[i])) != NULL)
			scrub_span(buf, cap, p, n);
	}
	scrub_keywords(buf, cap);
}

/* Retention rotates the files under us: follow the name, not the inode. */
static void log_follow_rotation(void)
{
	time_t now = time(NULL);

	if (now == log_checked)
		return;
	log_checked = now;
	for (int i = 0; i < LOG_NCHANNELS; i++) {
		struct stat a, b;
		if (log_fds[i] < 0 || fstat(log_fds[i], &a) < 0)
			continue;
		if (stat(log_paths[i], &b) < 0 || a.st_ino != b.st_ino ||
		    a.st_dev != b.st_dev) {
			int fd = open(log_paths[i],
				      O_WRONLY | O_APPEND | O_CREAT |
					      O_CLOEXEC | O_NOFOLLOW,
				      0600);
			if (fd >= 0) {
				close(log_fds[i]);
				log_fds[i] = fd;
			}
		}
	}
}

static void log_vwrite(enum log_channel ch, enum log_level lvl, const char *fmt,
		       va_list ap)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 128], ts[TM_ISO_LEN];
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_scrub(msg, sizeof(msg));
	n = snprintf(line, sizeof(line), "%s %s [%s] %s\n", tm_iso_ms_now(ts),
		     log_names[lvl], log_component, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	pthread_mutex_lock(&log_lock);
	log_follow_rotation();
	/* best effort: a log that cannot be written must not stop the job */
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
	}
	if (log_fds[ch] >= 0 && write(log_fds[ch], line, (size_t)n) < 0) {
	}
	if (ch != LOG_MAIN && log_fds[LOG_MAIN] >= 0 &&
	    write(log_fds[LOG_MAIN], line, (size_t)n) < 0) {
	}
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_channel ch, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (lvl < log_min)
		return;
	va_start(ap, fmt);
	log_vwrite(ch, lvl, fmt, ap);
	va_end(ap);
	errno = saved;
}

void fatalx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_MAIN, LOG_FATAL, fmt, ap);
	va_end(ap);
	exit(code);
}
