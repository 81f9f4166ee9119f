#include "child.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm.h"

static int child_low_priority;

void child_set_low_priority(int on)
{
	child_low_priority = on;
}

static void child_exec(const char *const argv[], int in_fd, int out_fd,
		       int err_fd)
{
	int devnull = open("/dev/null", O_RDWR);
	sigset_t none;

	/* the parent ignores SIGPIPE; a pg tool should see default actions */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (child_low_priority) {
		/* best effort: nice 10, I/O class idle (ioprio_set has no
		 * wrapper) */
		if (setpriority(PRIO_PROCESS, 0, 10) < 0) {
		}
		syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
			3 << 13 /* IDLE */);
	}
	dup2(in_fd >= 0 ? in_fd : devnull, STDIN_FILENO);
	dup2(out_fd >= 0 ? out_fd : devnull, STDOUT_FILENO);
	dup2(err_fd, STDERR_FILENO);
	execv(argv[0], (char *const *)argv);
	dprintf(STDERR_FILENO, "unable to execute '%s': %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

int child_start_io(struct child *c, const char *const argv[], int in_fd,
		   int out_fd, int err_fd)
{
	const char *base = strrchr(argv[0], '/');

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", base ? base + 1 : argv[0]);
	c->err_fd = err_fd >= 0 ? dup(err_fd)
				: memfd_create("child-stderr", MFD_CLOEXEC);
	if (c->err_fd < 0)
		return -1;
	fcntl(c->err_fd, F_SETFD, FD_CLOEXEC);
	c->pid = fork();
	if (c->pid < 0) {
		close(c->err_fd);
		return -1;
	}
	if (c->pid == 0)
		child_exec(argv, in_fd, out_fd, c->err_fd);
	return 0;
}

int child_start(struct child *c, const char *const argv[], int in_fd,
		int out_fd)
{
	return child_start_io(c, argv, in_fd, out_fd, -1);
}

int child_poll(struct child *c)
{
	if (c->pid <= 0)
		return 1;
	if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
		close(c->err_fd);
		c->err_fd = -1;
		c->pid = -1;
		return 1;
	}
	return 0;
}

static bool line_has(const char *line, size_t len, const char *what)
{
	size_t w = strlen(what);

	for (size_t i = 0; i + w <= len; i++)
		if (memcmp(line + i, what, w) == 0)
			return true;
	return false;
}

/* The line of the child's stderr that says why, for the error message:
 * the last one with a server ERROR or FATAL (psql prints CONTEXT and
 * LOCATION lines after it), else the last non-empty one. */
static void last_stderr_line(int fd, char *out, size_t cap)
{
	char buf[2048];
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from =
		end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
	const char *last = NULL, *why = NULL;
	size_t last_len = 0, why_len = 0;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (const char *l = buf; *l;) {
		size_t len = strcspn(l, "\n");
		if (len > 0 && strspn(l, " ") < len) {
			last = l;
			last_len = len;
		}
		if (line_has(l, len, "ERROR:  ") ||
		    line_has(l, len, "FATAL:  ")) {
			why = l;
			why_len = len;
		}
		l += len;
		if (*l == '\n')
			l++;
	}
	if (!why) {
		why = last;
		why_len = last_len;
	}
	if (why)
		snprintf(out, cap, "%.*s", (int)why_len, why);
}

int child_finish(struct child *c, char *why, size_t whylen)
{
	char err[512];
	pid_t r;

	do {
		r = waitpid(c->pid, &c->status, 0);
	} while (r < 0 && errno == EINTR);
	last_stderr_line(c->err_fd, err, sizeof(err));
	close(c->err_fd);
	c->err_fd = -1;
	if (r < 0) {
		snprintf(why, whylen, "unable to wait for %s: %s", c->name,
			 strerror(errno));
		return -1;
	}
	if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0)
		return 0;
	if (WIFSIGNALED(c->status))
		snprintf(why, whylen, "%s was killed by signal %d%s%s", c->name,
			 WTERMSIG(c->status), err[0] ? ": " : "", err);
	else
		snprintf(why, whylen, "%s exited with code %d%s%s", c->name,
			 WEXITSTATUS(c->status), err[0] ? ": " : "", err);
	return -1;
}

void child_kill(struct child *c, int grace_ms)
{
	int64_t deadline = tm_mono_ms() + grace_ms;
	char why[64];

	if (c->pid <= 0)
		return;
	kill(c->pid, SIGTERM);
	while (tm_mono_ms() < deadline) {
		if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
			close(c->err_fd);
			c->err_fd = -1;
			c->pid = -1;
			return;
		}
		tm_sleep_ms(20);
	}
	kill(c->pid, SIGKILL);
	child_finish(c, why, sizeof(why));
	c->pid = -1;
}

/* A pipe whose child end (end 1 for reading, 0 for writing) is given to
 * the child as out_fd or in_fd; ours is returned. */
static int start_piped(struct child *c, const char *const argv[], int in_fd,
		       int out_fd, bool child_writes, int *ours)
{
	int p[2], saved;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if (child_start(c, argv, child_writes ? in_fd : p[0],
			child_writes ? p[1] : out_fd) < 0) {
		saved = errno;
		close(p[0]);
		close(p[1]);
		errno = saved;
		return -1;
	}
	close(child_writes ? p[1] : p[0]);
	*ours = child_writes ? p[0] : p[1];
	return 0;
}

int child_start_reading(struct child *c, const char *const argv[], int in_fd,
			int *out_fd)
{
	return start_piped(c, argv, in_fd, -1, true, out_fd);
}

int child_start_writing(struct child *c, const char *const argv[], int *in_fd,
			int out_fd)
{
	return start_piped(c, argv, -1, out_fd, false, in_fd);
}

int child_run(const char *const argv[], char *out, size_t outcap, char *why,
	      size_t whylen)
{
	return child_run_for(argv, out, outcap, -1, why, whylen);
}

int child_run_for(const char *const argv[], char *out, size_t outcap,
		  int timeout_ms, char *why, size_t whylen)
{
	struct child c;
	int out_fd;
	size_t got = 0;
	char sink[4096];
	int64_t deadline = tm_mono_ms() + timeout_ms;

	if (child_start_reading(&c, argv, -1, &out_fd) < 0) {
		snprintf(why, whylen, "unable to start '%s': %s", argv[0],
			 strerror(errno));
		return -1;
	}
	for (;;) {
		char *dst = out && got + 1 < outcap ? out + got : sink;
		size_t room = out && got + 1 < outcap ? outcap - 1 - got
						      : sizeof(sink);
		ssize_t n;
		if (timeout_ms >= 0) {
			struct pollfd p = {.fd = out_fd, .events = POLLIN};
			int64_t left = deadline - tm_mono_ms();
			if (left <= 0 || poll(&p, 1, (int)left) == 0) {
				close(out_fd);
				child_kill(&c, 500);
				snprintf(why, whylen,
					 "'%s' timed out after %d ms", argv[0],
					 timeout_ms);
				return -1;
			}
		}
		n = read(out_fd, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			got += (size_t)n;
	}
	close(out_fd);
	if (out)
		out[got] = '\0';
	return child_finish(&c, why, whylen);
}

int child_split_words(char *buf, const char *argv[], int *n, int max)
{
	char *save = NULL;

	for (char *t = strtok_r(buf, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save)) {
		if (*n >= max - 1)
			return -1;
		argv[(*n)++] = t;
	}
	argv[*n] = NULL;
	return 0;
}
