/*
 * watch.h - wake up when files in a directory change (inotify), with a
 * timeout that doubles as the periodic rescan for volumes where inotify
 * misses events (network filesystems, another node writing).
 *
 * Contract: watch_wait() returns after at least one event, the timeout, or a
 * signal. Callers never trust events alone: after every wake-up they look at
 * the files themselves (lstat/claim), so a missed event costs at most one
 * rescan interval and an extra event costs nothing.
 */
#ifndef PGW_WATCH_H
#define PGW_WATCH_H

struct watch {
	int fd; /* inotify fd, -1 when inotify is unavailable */
	int wd;
};

/* -1 only when the directory cannot be watched at all (logged); the
 * watch still works in polling mode. */
int watch_open(struct watch *w, const char *dir);
/* Add one more path (e.g. a log file) to the same inotify instance;
 * returns the watch descriptor or -1. */
int watch_add(struct watch *w, const char *path, unsigned int mask);
void watch_remove(struct watch *w, int wd);
/* Wait up to timeout_ms. Returns the number of events read (0 on timeout
 * or signal). If wds is not NULL, sets wds[i] nonzero for each event on
 * watch descriptor i (< nwds). */
int watch_wait(struct watch *w, int timeout_ms, char *wds, int nwds);
void watch_close(struct watch *w);

#endif
