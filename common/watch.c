#include "watch.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"

#define WATCH_DIR_MASK                                                         \
	(IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_MOVED_TO | IN_DELETE |    \
	 IN_MOVED_FROM)

int watch_open(struct watch *w, const char *dir)
{
	w->wd = -1;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		log_warn("unable to start inotify: %s; polling instead",
			 strerror(errno));
		return -1;
	}
	w->wd = inotify_add_watch(w->fd, dir, WATCH_DIR_MASK | IN_ONLYDIR);
	if (w->wd < 0) {
		log_warn("unable to watch '%s': %s; polling instead", dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int watch_add(struct watch *w, const char *path, unsigned int mask)
{
	if (w->fd < 0)
		return -1;
	return inotify_add_watch(w->fd, path, mask);
}

void watch_remove(struct watch *w, int wd)
{
	if (w->fd >= 0 && wd >= 0)
		inotify_rm_watch(w->fd, wd);
}

static int watch_drain(struct watch *w, char *wds, int nwds)
{
	char buf[8192]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	int events = 0;

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n <= 0)
			return events;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (wds && ev->wd >= 0 && ev->wd < nwds)
				wds[ev->wd] = 1;
			events++;
			p += sizeof(*ev) + ev->len;
		}
	}
}

int watch_wait(struct watch *w, int timeout_ms, char *wds, int nwds)
{
	struct pollfd pfd;

	if (wds)
		memset(wds, 0, (size_t)nwds);
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (w->fd < 0) {
		poll(NULL, 0, timeout_ms); /* EINTR on a signal: fine */
		return 0;
	}
	pfd.fd = w->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	return watch_drain(w, wds, nwds);
}

void watch_close(struct watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
