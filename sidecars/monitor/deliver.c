#include "deliver.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "fs.h"
#include "log.h"
#include "notify.h"
#include "tm.h"
#include "watch.h"

#define GATHER_MS	 2000  /* a burst ends after 2 s of quiet... */
#define GATHER_MAX_MS	 10000 /* ...or 10 s after its first alert */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS	 60000
#define RESCAN_MS	 30000
#define SCAN_GAP_MS	 250 /* our own marks wake the watch: not a scan each */
#define STOP_POLL_MS	 500
#define QUEUE_MAX	 32   /* alerts in memory; the rest wait on disk */
#define BACKLOG_MAX	 200  /* pending past this: the rest are summarised */
#define BACKLOG_AGE_S	 3600 /* pending and older: summarised, not sent */

/* One channel's progress with one alert. */
struct chan_state {
	bool done, busy;
	int attempts;
	int64_t next_ms;
	char failed[200];
};

/* One alert on its way out (the lead of a group, or a window summary). */
struct item {
	struct item *next;
	struct alert_rec rec;
	int count;
	int64_t first_ms;
	struct chan_state ch[NOTIFY_NCHANNELS];
};

/* Identical alerts seen within one dedup window. */
struct group {
	struct group *next;
	uint64_t key;
	int64_t window_end;
	struct item *lead; /* while the first one is still on its way */
	char lead_file[256];
	int extra; /* duplicates after the lead went out */
	char last_extra[256];
};

/* Names already handled, as 64-bit hashes: O(1) per name, rebuilt from the
 * directory at every scan so it never outgrows it. */
struct seen {
	uint64_t *slot; /* 0 = empty */
	size_t cap, n;
};

struct candidate {
	char name[256];
	int sev;
	uint64_t hash;
	bool retry; /* undelivered at start: sent again */
};

struct deliverer;

/* One sender per channel: a channel that hangs delays no other. */
struct sender {
	pthread_t thread;
	bool started;
	enum notify_channel ch;
	struct deliverer *d;
	double tokens; /* rate limit: messages it may send now */
	int64_t refill_ms;
};

struct deliverer {
	pthread_t thread;
	volatile sig_atomic_t stop;
	pthread_mutex_t mu; /* items, groups, queued, senders' tokens */
	pthread_cond_t cv;
	struct notify_targets t;
	char dir[PATH_MAX];
	int min_sev, rate_limit;
	int64_t window_ms, retry_ms;
	struct item *items;
	int queued;
	bool want_scan; /* a slot came free */
	struct group *groups;
	struct seen seen;
	/* pending alerts past the queue, by priority, read when a slot frees;
	 * at most BACKLOG_MAX (the rest are summarised) */
	struct candidate *waiting;
	size_t nwaiting;
	unsigned int seed;
	struct sender senders[NOTIFY_NCHANNELS];
};

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	h ^= 0xff; /* separator: ("ab","c") differs from ("a","bc") */
	return h * 1099511628211ULL;
}

/* What makes two alerts "the same" for noise control: all they say,
 * details too (two backups are two events, never "repeated 2 times"). */
static uint64_t alert_key(const struct alert_rec *a)
{
	uint64_t h = 1469598103934665603ULL;

	h = fnv1a(h, alert_severity_name(a->sev));
	h = fnv1a(h, a->event);
	h = fnv1a(h, a->message);
	return fnv1a(h, a->details);
}

static uint64_t name_hash(const char *name)
{
	return fnv1a(1469598103934665603ULL, name) | 1; /* never 0 */
}

static bool seen_has(const struct seen *s, uint64_t h)
{
	for (size_t i = s->cap ? h % s->cap : 0; s->cap; i = (i + 1) % s->cap)
		if (s->slot[i] == 0)
			return false;
		else if (s->slot[i] == h)
			return true;
	return false;
}

static void seen_put(struct seen *s, uint64_t h)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct seen big = {calloc(s->cap ? s->cap * 2 : 256, 8),
				   s->cap ? s->cap * 2 : 256, 0};
		if (!big.slot)
			return; /* looked at again on the next scan: harmless */
		for (size_t k = 0; k < s->cap; k++)
			if (s->slot[k])
				seen_put(&big, s->slot[k]);
		free(s->slot);
		*s = big;
	}
	for (i = h % s->cap; s->slot[i] && s->slot[i] != h;
	     i = (i + 1) % s->cap)
		;
	if (!s->slot[i])
		s->n++;
	s->slot[i] = h;
}

static void mark(struct deliverer *d, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mark(struct deliverer *d, const char *file, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	alert_mark(d->dir, file, text);
}

static struct item *item_new(struct deliverer *d, const struct alert_rec *a,
			     int64_t now, int64_t delay)
{
	struct item *it = calloc(1, sizeof(*it));

	if (!it) {
		log_error("out of memory: alert '%s' stays pending", a->file);
		return NULL;
	}
	it->rec = *a;
	it->count = 1;
	it->first_ms = now;
	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++) {
		it->ch[ch].done =
			!notify_channel_on(&d->t, (enum notify_channel)ch);
		it->ch[ch].next_ms = now + delay;
	}
	it->next = d->items;
	d->items = it;
	d->queued++;
	pthread_cond_broadcast(&d->cv);
	return it;
}

static struct group *group_find(struct deliverer *d, uint64_t key, int64_t now)
{
	for (struct group *g = d->groups; g; g = g->next)
		if (g->key == key && now < g->window_end)
			return g;
	return NULL;
}

/* Another alert of a group whose lead is still queued: the lead's count
 * grows, and a burst is gathered before it goes out. */
static void lead_grows(struct item *it, int64_t now)
{
	it->count++;
	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++) {
		struct chan_state *c = &it->ch[ch];
		if (c->attempts > 0)
			continue;
		if (c->next_ms < now + GATHER_MS)
			c->next_ms = now + GATHER_MS;
		if (c->next_ms > it->first_ms + GATHER_MAX_MS)
			c->next_ms = it->first_ms + GATHER_MAX_MS;
	}
}

/* A new pending alert: skip, collapse into its group, or queue it. */
static void admit(struct deliverer *d, const struct alert_rec *a, int64_t now)
{
	uint64_t key = alert_key(a);
	struct group *g;

	if ((int)a->sev > d->min_sev) {
		mark(d, a->file, "skipped: below min_severity %s",
		     alert_severity_name((enum alert_severity)d->min_sev));
		return;
	}
	g = d->window_ms > 0 ? group_find(d, key, now) : NULL;
	if (g) {
		if (g->lead) {
			lead_grows(g->lead, now);
		} else {
			g->extra++;
			snprintf(g->last_extra, sizeof(g->last_extra), "%s",
				 a->file);
		}
		mark(d, a->file, "collapsed into %s", g->lead_file);
		return;
	}
	g = calloc(1, sizeof(*g));
	if (!g || !item_new(d, a, now, d->window_ms > 0 ? GATHER_MS : 0)) {
		free(g);
		return;
	}
	g->key = key;
	g->window_end = now + d->window_ms;
	g->lead = d->items;
	snprintf(g->lead_file, sizeof(g->lead_file), "%s", a->file);
	g->next = d->groups;
	d->groups = g;
}

/* The severity in an alert's name (alert-<time>-<SEV>-<event>); 9 when
 * there is none, so it sorts last. */
static int name_severity(const char *name)
{
	const char *p = strchr(name + strlen("alert-"), '-');
	char sev[16];

	if (!p || sscanf(p + 1, "%15[A-Z]", sev) != 1)
		return 9;
	int s = alert_severity_parse(sev);
	return s < 0 ? 9 : s;
}

/* Most severe first, then in the order they happened (names carry the
 * time), so people read a story, not its end first. */
static int by_priority(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->sev != y->sev)
		return x->sev - y->sev;
	return strcmp(x->name, y->name);
}

/* Alert names not handled yet, by priority; the seen set keeps only what
 * is still in the directory. */
static size_t new_names(struct deliverer *d, struct candidate **out)
{
	DIR *dir = opendir(d->dir);
	struct dirent *de;
	struct candidate *c = NULL;
	struct seen kept = {0};
	size_t n = 0, cap = 0;

	*out = NULL;
	if (!dir) {
		log_error("unable to open '%s': %m", d->dir);
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		uint64_t h;
		if (!alert_is_name(de->d_name))
			continue;
		h = name_hash(de->d_name);
		if (seen_has(&d->seen, h)) {
			seen_put(&kept, h);
			continue;
		}
		if (n == cap) {
			void *p = realloc(c, (cap = cap ? cap * 2 : 32) *
						     sizeof(*c));
			if (!p)
				break;
			c = p;
		}
		snprintf(c[n].name, sizeof(c[n].name), "%s", de->d_name);
		c[n].sev = name_severity(de->d_name);
		c[n++].hash = h;
	}
	closedir(dir);
	free(d->seen.slot);
	d->seen = kept;
	if (n > 1) /* no names is NULL, which qsort may not take */
		qsort(c, n, sizeof(*c), by_priority);
	*out = c;
	return n;
}

/* A backlog past BACKLOG_MAX: what is not CRITICAL beyond it goes out as
 * one summary instead of one message each. */
static void summarise(const int *per_sev, int total)
{
	char details[512];
	size_t o = 0;

	if (total == 0)
		return;
	for (int s = 0; s <= ALERT_INFO; s++)
		if (per_sev[s])
			o += (size_t)snprintf(
				details + o, sizeof(details) - o, "• %s: %d\n",
				alert_severity_name((enum alert_severity)s),
				per_sev[s]);
	log_warn("alert backlog: %d older alerts summarised in one message",
		 total);
	alert_emit(ALERT_WARNING, "alert-backlog", "Alert Delivery",
		   "Alerts older than an hour, or more than were pending at "
		   "once, were not sent one by one (see the alert files)",
		   details);
}

/* Room in the queue for an alert of this severity: a CRITICAL may go
 * past the bound, to twice it. */
static bool queue_room(const struct deliverer *d, int sev)
{
	return d->queued < QUEUE_MAX * (sev == ALERT_CRITICAL ? 2 : 1);
}

/* Read one pending alert and queue it; false when it is no longer
 * pending (delivered, gone, unreadable). */
static bool admit_file(struct deliverer *d, const char *name, bool at_start,
		       struct alert_rec *a)
{
	char err[300];

	if (alert_read(d->dir, name, a, err, sizeof(err)) < 0) {
		log_warn("alert delivery: %s", err);
		return false;
	}
	if (a->delivery[0] &&
	    !(at_start && strncmp(a->delivery, "undelivered", 11) == 0))
		return false;
	admit(d, a, tm_mono_ms());
	return true;
}

/* Slots came free: the waiting alerts, most severe and newest first. */
static void admit_waiting(struct deliverer *d)
{
	struct alert_rec *a = malloc(sizeof(*a));

	while (a && d->nwaiting > 0 && queue_room(d, d->waiting[0].sev)) {
		admit_file(d, d->waiting[0].name, d->waiting[0].retry, a);
		memmove(d->waiting, d->waiting + 1,
			--d->nwaiting * sizeof(*d->waiting));
	}
	free(a);
}

/* A pending alert the queue has no room for: it waits, or (past
 * BACKLOG_MAX, and not CRITICAL) goes into the backlog summary. */
static bool wait_or_summarise(struct deliverer *d, const struct candidate *c,
			      int *per_sev)
{
	if (d->nwaiting < BACKLOG_MAX ||
	    (c->sev == ALERT_CRITICAL &&
	     d->nwaiting < BACKLOG_MAX + QUEUE_MAX)) {
		d->waiting[d->nwaiting++] = *c;
		return true;
	}
	mark(d, c->name, "collapsed into the alert-backlog summary");
	per_sev[c->sev <= ALERT_INFO ? c->sev : ALERT_INFO]++;
	return false;
}

static bool pending(const struct alert_rec *a, bool at_start)
{
	return !a->delivery[0] ||
	       (at_start && strncmp(a->delivery, "undelivered", 11) == 0);
}

static void scan(struct deliverer *d, bool at_start)
{
	struct candidate *c = NULL;
	size_t n = new_names(d, &c);
	struct alert_rec *a = malloc(sizeof(*a));
	int per_sev[ALERT_INFO + 1] = {0}, summarised = 0;
	bool waited = false;
	char err[300];

	for (size_t i = 0; a && i < n && !d->stop; i++) {
		int sev = c[i].sev <= ALERT_INFO ? c[i].sev : ALERT_INFO;
		seen_put(&d->seen, c[i].hash);
		if (alert_read(d->dir, c[i].name, a, err, sizeof(err)) < 0) {
			log_warn("alert delivery: %s", err);
			continue;
		}
		if (!pending(a, at_start))
			continue;
		c[i].retry = at_start && a->delivery[0];
		/* an old backlog (delivery was off, or down) is told in one
		 * message; a CRITICAL always on its own */
		if (a->sev != ALERT_CRITICAL &&
		    fs_age(d->dir, c[i].name) > BACKLOG_AGE_S) {
			mark(d, c[i].name,
			     "collapsed into the alert-backlog summary");
			per_sev[sev]++;
			summarised++;
		} else if (queue_room(d, c[i].sev)) {
			admit(d, a, tm_mono_ms());
		} else if (wait_or_summarise(d, &c[i], per_sev)) {
			waited = true;
		} else {
			summarised++;
		}
	}
	if (waited && d->nwaiting > 1)
		qsort(d->waiting, d->nwaiting, sizeof(*d->waiting),
		      by_priority);
	free(a);
	free(c);
	summarise(per_sev, summarised);
}

static void item_finish(struct deliverer *d, struct item *it)
{
	char sent[128] = "", failed[600] = "", iso[TM_ISO_LEN];
	size_t s = 0, f = 0;

	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++) {
		if (!notify_channel_on(&d->t, (enum notify_channel)ch))
			continue;
		const char *name = notify_channel_name((enum notify_channel)ch);
		if (it->ch[ch].failed[0])
			f += (size_t)snprintf(failed + f, sizeof(failed) - f,
					      "%s%s: %s", f ? "; " : "", name,
					      it->ch[ch].failed);
		else
			s += (size_t)snprintf(sent + s, sizeof(sent) - s,
					      "%s%s", s ? ", " : "", name);
	}
	tm_iso(tm_now(), iso);
	if (failed[0]) {
		log_error("alert %s undelivered: %s", it->rec.file, failed);
		mark(d, it->rec.file, "undelivered %s: %s%s%s", iso, failed,
		     sent[0] ? "; sent via " : "", sent);
	} else {
		log_info("alert %s sent via %s%s", it->rec.file, sent,
			 it->count > 1 ? " (identical alerts collapsed)" : "");
		mark(d, it->rec.file, "sent %s via %s (count %d)", iso, sent,
		     it->count);
	}
	for (struct group *g = d->groups; g; g = g->next)
		if (g->lead == it)
			g->lead = NULL;
}

static int64_t backoff_ms(struct deliverer *d, int attempts)
{
	int64_t base = BACKOFF_FIRST_MS << (attempts < 6 ? attempts : 6);

	if (base > BACKOFF_MAX_MS)
		base = BACKOFF_MAX_MS;
	/* jitter: a fleet of pods must not retry in lockstep */
	return base / 2 + rand_r(&d->seed) % (base / 2 + 1);
}

/* Remove an item every channel is done with; locked. */
static void item_retire(struct deliverer *d, struct item *it)
{
	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++)
		if (!it->ch[ch].done || it->ch[ch].busy)
			return;
	for (struct item **pp = &d->items; *pp; pp = &(*pp)->next)
		if (*pp == it) {
			*pp = it->next;
			break;
		}
	item_finish(d, it);
	free(it);
	d->queued--;
	d->want_scan = true;
}

/* What one send on one channel means for the item; locked. */
static void record_result(struct deliverer *d, struct item *it,
			  enum notify_channel ch, const struct notify_result *r)
{
	struct chan_state *c = &it->ch[ch];
	int64_t now = tm_mono_ms(), next;

	c->busy = false;
	if (r->status == NOTIFY_SENT) {
		c->done = true;
		return;
	}
	next = r->retry_after > 0 ? r->retry_after * 1000 + 100
				  : backoff_ms(d, c->attempts);
	if (r->status == NOTIFY_GIVE_UP ||
	    now + next - it->first_ms > d->retry_ms) {
		snprintf(c->failed, sizeof(c->failed), "%s after %d attempt(s)",
			 r->error, c->attempts);
		c->done = true;
		return;
	}
	log_warn("alert %s: %s failed (%s), retrying in %.1f s", it->rec.file,
		 notify_channel_name(ch), r->error, (double)next / 1000.0);
	c->next_ms = now + next;
}

/* The rate limit: rate_limit messages a minute, in bursts of as many. */
static bool take_token(struct sender *s, int rate, int64_t now, int64_t *wake)
{
	if (rate <= 0)
		return true;
	s->tokens += (double)(now - s->refill_ms) * rate / 60000.0;
	s->refill_ms = now;
	if (s->tokens > rate)
		s->tokens = rate;
	if (s->tokens >= 1) {
		s->tokens -= 1;
		return true;
	}
	int64_t at = now + (int64_t)((1 - s->tokens) * 60000.0 / rate) + 1;
	if (at < *wake)
		*wake = at;
	return false;
}

/* The most severe, then oldest, item due on this channel; locked. */
static struct item *pick(struct deliverer *d, enum notify_channel ch,
			 int64_t now, int64_t *wake)
{
	struct item *best = NULL;

	for (struct item *it = d->items; it; it = it->next) {
		struct chan_state *c = &it->ch[ch];
		if (c->done || c->busy)
			continue;
		if (c->next_ms > now) {
			if (c->next_ms < *wake)
				*wake = c->next_ms;
			continue;
		}
		if (!best || it->rec.sev < best->rec.sev ||
		    (it->rec.sev == best->rec.sev &&
		     strcmp(it->rec.file, best->rec.file) < 0))
			best = it;
	}
	return best;
}

static void wait_until(struct deliverer *d, int64_t wake_mono)
{
	struct timespec ts;
	int64_t ms = wake_mono - tm_mono_ms();

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&d->cv, &d->mu, &ts);
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct deliverer *d = s->d;

	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		int64_t now = tm_mono_ms(), wake = now + STOP_POLL_MS;
		struct item *it = pick(d, s->ch, now, &wake);
		struct notify_result r;
		int count;
		if (!it || !take_token(s, d->rate_limit, now, &wake)) {
			wait_until(d, wake);
			continue;
		}
		it->ch[s->ch].busy = true;
		it->ch[s->ch].attempts++;
		count = it->count;
		pthread_mutex_unlock(&d->mu);
		/* it stays: an item is freed only when no channel is busy */
		notify_send(&d->t, s->ch, &it->rec, count, &d->stop, &r);
		pthread_mutex_lock(&d->mu);
		if (d->stop && r.status != NOTIFY_SENT) {
			it->ch[s->ch].busy = false;
			break;
		}
		record_result(d, it, s->ch, &r);
		item_retire(d, it);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Closed windows: one more message for the duplicates that came late. */
static void close_windows(struct deliverer *d, int64_t now)
{
	struct alert_rec *a = malloc(sizeof(*a));
	char err[300];

	for (struct group **pp = &d->groups; *pp;) {
		struct group *g = *pp;
		if (now < g->window_end || g->lead) {
			pp = &g->next;
			continue;
		}
		if (a && g->extra > 0 &&
		    alert_read(d->dir, g->last_extra, a, err, sizeof(err)) ==
			    0) {
			struct item *it = item_new(d, a, now, 0);
			if (it)
				it->count = g->extra;
		}
		*pp = g->next;
		free(g);
	}
	free(a);
}

static int64_t next_wake(const struct deliverer *d, int64_t now)
{
	int64_t wake = now + STOP_POLL_MS;

	for (const struct group *g = d->groups; g; g = g->next)
		if (g->window_end < wake)
			wake = g->window_end;
	return wake < now ? now : wake;
}

/* Admission: the directory, the dedup windows; the senders do the rest. */
static void *deliver_main(void *arg)
{
	struct deliverer *d = arg;
	struct watch w;
	int64_t rescan = tm_mono_ms() + RESCAN_MS, last_scan = 0;
	bool changed = false;

	watch_open(&w, d->dir);
	pthread_mutex_lock(&d->mu);
	scan(d, true);
	pthread_mutex_unlock(&d->mu);
	while (!d->stop) {
		int64_t now = tm_mono_ms(), wake;
		pthread_mutex_lock(&d->mu);
		close_windows(d, now);
		if (d->want_scan) {
			d->want_scan = false;
			admit_waiting(d);
		}
		if ((changed || now >= rescan) &&
		    now - last_scan >= SCAN_GAP_MS) {
			changed = false;
			scan(d, false);
			last_scan = tm_mono_ms();
			rescan = last_scan + RESCAN_MS;
		}
		wake = next_wake(d, tm_mono_ms());
		if ((changed || d->want_scan) && last_scan + SCAN_GAP_MS < wake)
			wake = last_scan + SCAN_GAP_MS;
		pthread_mutex_unlock(&d->mu);
		now = tm_mono_ms();
		if (watch_wait(&w, (int)(wake > now ? wake - now : 0), NULL,
			       0) > 0)
			changed = true;
	}
	watch_close(&w);
	return NULL;
}

static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	/* signals belong to the main loop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static bool init_sync(struct deliverer *d)
{
	pthread_condattr_t ca;

	if (pthread_mutex_init(&d->mu, NULL) != 0)
		return false;
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&d->cv, &ca) != 0) {
		pthread_mutex_destroy(&d->mu);
		return false;
	}
	pthread_condattr_destroy(&ca);
	return true;
}

static int start_threads(struct deliverer *d)
{
	int rc = start_thread(&d->thread, deliver_main, d);

	for (int ch = 0; rc == 0 && ch < NOTIFY_NCHANNELS; ch++) {
		struct sender *s = &d->senders[ch];
		if (!notify_channel_on(&d->t, (enum notify_channel)ch))
			continue;
		*s = (struct sender){.ch = (enum notify_channel)ch,
				     .d = d,
				     .tokens = d->rate_limit,
				     .refill_ms = tm_mono_ms()};
		rc = start_thread(&s->thread, sender_main, s);
		s->started = rc == 0;
	}
	return rc;
}

static void free_all(struct deliverer *d)
{
	while (d->items) {
		struct item *it = d->items;
		d->items = it->next;
		free(it);
	}
	while (d->groups) {
		struct group *g = d->groups;
		d->groups = g->next;
		free(g);
	}
	free(d->seen.slot);
	free(d->waiting);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

static bool channels_ready(const struct pgw_config *c, struct deliverer *d)
{
	char err[512];

	if (notify_targets_load(c, &d->t, err, sizeof(err)) < 0) {
		log_error("alert delivery off: %s", err);
		return false;
	}
	if (!notify_channel_on(&d->t, NOTIFY_TELEGRAM) &&
	    !notify_channel_on(&d->t, NOTIFY_WEBHOOK)) {
		log_info("alert delivery off: no Telegram bot or webhook "
			 "configured (alert files only)");
		return false;
	}
	if (notify_global_init(err, sizeof(err)) < 0) {
		log_error("alert delivery off: %s", err);
		return false;
	}
	return true;
}

struct deliverer *deliver_start(const struct pgw_config *c)
{
	struct deliverer *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return NULL;
	if (!channels_ready(c, d) || !init_sync(d)) {
		free(d);
		return NULL;
	}
	d->waiting = calloc(BACKLOG_MAX + QUEUE_MAX, sizeof(*d->waiting));
	if (!d->waiting) {
		free_all(d);
		return NULL;
	}
	snprintf(d->dir, sizeof(d->dir), "%s", c->backup_dir);
	d->min_sev = alert_severity_parse(c->min_severity);
	d->rate_limit = c->rate_limit;
	d->window_ms = (int64_t)c->dedup_window * 1000;
	d->retry_ms = (int64_t)c->retry_for * 1000;
	d->seed = (unsigned int)tm_mono_ms();
	rc = start_threads(d);
	if (rc != 0) {
		log_error("alert delivery off: unable to start its threads: %s",
			  strerror(rc));
		deliver_stop(d);
		return NULL;
	}
	log_info("alert delivery on:%s%s, min severity %s",
		 notify_channel_on(&d->t, NOTIFY_TELEGRAM) ? " telegram" : "",
		 notify_channel_on(&d->t, NOTIFY_WEBHOOK) ? " webhook" : "",
		 c->min_severity);
	return d;
}

void deliver_stop(struct deliverer *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->thread)
		pthread_join(d->thread, NULL);
	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++)
		if (d->senders[ch].started)
			pthread_join(d->senders[ch].thread, NULL);
	free_all(d);
}

void deliver_direct(struct deliverer *d, const struct pgw_config *c,
		    enum alert_severity sev, const char *event,
		    const char *message)
{
	struct alert_rec a = {.sev = sev};
	struct notify_result r;
	char t[TM_ISO_LEN];

	if (!d)
		return;
	snprintf(a.event, sizeof(a.event), "%s", event);
	snprintf(a.source, sizeof(a.source), "monitor");
	snprintf(a.title, sizeof(a.title), "Backup System");
	snprintf(a.system, sizeof(a.system), "PostgreSQL Backup System");
	snprintf(a.time, sizeof(a.time), "%s", tm_human(tm_now(), t));
	snprintf(a.environment, sizeof(a.environment), "%s", c->environment);
	snprintf(a.message, sizeof(a.message), "%s", message);
	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++) {
		if (!notify_channel_on(&d->t, (enum notify_channel)ch))
			continue;
		notify_send(&d->t, (enum notify_channel)ch, &a, 1, NULL, &r);
		if (r.status != NOTIFY_SENT)
			log_error("direct alert via %s failed: %s",
				  notify_channel_name((enum notify_channel)ch),
				  r.error);
	}
}
