/*
 * child.h - run the PostgreSQL tools (pg_dump, psql, initdb...) as child
 * processes wired to pipes, never through a shell, never with a secret in
 * argv (passwords travel through PGPASSFILE).
 *
 * Contract: child_start() forks and execs argv with stdin/stdout connected to
 * the given fds (-1: /dev/null), stderr captured in an anonymous memory file
 * so a chatty child can never block on a full pipe. child_finish() waits and
 * fills a one-line summary of how it ended plus the last stderr lines.
 */
#ifndef PGW_CHILD_H
#define PGW_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct child {
	pid_t pid;
	int err_fd; /* memfd holding the child's stderr */
	int status; /* raw wait status after child_finish */
	char name[64];
};

int child_start(struct child *c, const char *const argv[], int in_fd,
		int out_fd);
/* Same, with stderr going to err_fd (e.g. a log file) instead. */
int child_start_io(struct child *c, const char *const argv[], int in_fd,
		   int out_fd, int err_fd);
/* The same with one end on a new pipe: the child's stdout, whose read
 * end is *out_fd (child_start_reading), or its stdin, whose write end is
 * *in_fd (child_start_writing). The caller closes that fd (the child sees
 * EOF, or we do), then child_finish()es. -1 with errno, nothing left open. */
int child_start_reading(struct child *c, const char *const argv[], int in_fd,
			int *out_fd);
int child_start_writing(struct child *c, const char *const argv[], int *in_fd,
			int out_fd);
/* Non-blocking: 1 when the child has ended (status filled), else 0. */
int child_poll(struct child *c);
/* Wait for the child. Returns 0 when it exited 0, else -1; why gets e.g.
 * "pg_dump exited with code 1: <last stderr line>". */
int child_finish(struct child *c, char *why, size_t whylen);
/* SIGTERM then, after grace_ms, SIGKILL; then reap. */
void child_kill(struct child *c, int grace_ms);
/* From now on, start children at nice 10 and idle I/O priority (1), or
 * normally (0). For background work such as restore drills. */
void child_set_low_priority(int on);
/* Run to completion with no input, capturing stdout into out (may be NULL). */
int child_run(const char *const argv[], char *out, size_t outcap, char *why,
	      size_t whylen);
/* Same, killed (and -1) when it has not finished within timeout_ms. */
int child_run_for(const char *const argv[], char *out, size_t outcap,
		  int timeout_ms, char *why, size_t whylen);
/* Split a config value of command-line options ("--data-checksums -E
 * UTF8") in place at blanks, appending the words to argv from *n on;
 * never past max - 1 (argv stays NULL-terminated). No quoting: a value
 * with a blank in it is not an option list. Returns -1 when the words do
 * not fit. */
int child_split_words(char *buf, const char *argv[], int *n, int max);

#endif
