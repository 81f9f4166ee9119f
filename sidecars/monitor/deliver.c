#include "deliver.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "log.h"
#include "notify.h"
#include "tm.h"
#include "watch.h"

#define GATHER_MS	 2000  /* a burst ends after 2 s of quiet... */
#define GATHER_MAX_MS	 10000 /* ...or 10 s after its first alert */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS	 60000
#define RESCAN_MS	 30000
#define STOP_POLL_MS	 500

/* One alert on its way out (the lead of a group, or a window summary). */
struct item {
	struct item *next;
	struct alert_rec rec;
	int count;
	int64_t first_ms, next_ms;
	int attempts;
	bool done[NOTIFY_NCHANNELS];
	char failed[NOTIFY_NCHANNELS][200];
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

struct deliverer {
	pthread_t thread;
	volatile sig_atomic_t stop;
	struct notify_targets t;
	char dir[PATH_MAX];
	int min_sev;
	int64_t window_ms, retry_ms;
	struct item *items;
	struct group *groups;
	char (*seen)[256];
	size_t nseen, capseen;
	unsigned int seed;
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

/* What makes two alerts "the same" for noise control. */
static uint64_t alert_key(const struct alert_rec *a)
{
	uint64_t h = 1469598103934665603ULL;

	h = fnv1a(h, alert_severity_name(a->sev));
	h = fnv1a(h, a->event);
	return fnv1a(h, a->message);
}

static bool seen_has(const struct deliverer *d, const char *name)
{
	for (size_t i = 0; i < d->nseen; i++)
		if (strcmp(d->seen[i], name) == 0)
			return true;
	return false;
}

static void seen_add(struct deliverer *d, const char *name)
{
	if (d->nseen == d->capseen) {
		size_t cap = d->capseen ? d->capseen * 2 : 64;
		void *p = realloc(d->seen, cap * sizeof(*d->seen));
		if (!p)
			return; /* looked at again on the next scan: harmless */
		d->seen = p;
		d->capseen = cap;
	}
	snprintf(d->seen[d->nseen++], sizeof(d->seen[0]), "%s", name);
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
	it->next_ms = now + delay;
	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++)
		it->done[ch] =
			!notify_channel_on(&d->t, (enum notify_channel)ch);
	it->next = d->items;
	d->items = it;
	return it;
}

static struct group *group_find(struct deliverer *d, uint64_t key, int64_t now)
{
	for (struct group *g = d->groups; g; g = g->next)
		if (g->key == key && now < g->window_end)
			return g;
	return NULL;
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
			struct item *it = g->lead;
			it->count++;
			if (it->attempts == 0 && it->next_ms < now + GATHER_MS)
				it->next_ms = now + GATHER_MS;
			if (it->attempts == 0 &&
			    it->next_ms > it->first_ms + GATHER_MAX_MS)
				it->next_ms = it->first_ms + GATHER_MAX_MS;
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

static int by_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* Collect alert names not seen yet, oldest first (names carry the time). */
static size_t new_names(struct deliverer *d, char (**out)[256])
{
	DIR *dir = opendir(d->dir);
	struct dirent *de;
	char(*names)[256] = NULL;
	size_t n = 0, cap = 0;

	if (!dir) {
		log_error("unable to open '%s': %m", d->dir);
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!alert_is_name(de->d_name) || seen_has(d, de->d_name))
			continue;
		if (n == cap) {
			void *p = realloc(names, (cap = cap ? cap * 2 : 32) *
							 sizeof(*names));
			if (!p)
				break;
			names = p;
		}
		snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	}
	closedir(dir);
	if (n > 1) /* no names is NULL, which qsort may not take */
		qsort(names, n, sizeof(*names), by_name);
	*out = names;
	return n;
}

static void scan(struct deliverer *d, bool at_start)
{
	char(*names)[256] = NULL, err[300];
	size_t n = new_names(d, &names);
	struct alert_rec *a = malloc(sizeof(*a));

	for (size_t i = 0; a && i < n; i++) {
		seen_add(d, names[i]);
		if (alert_read(d->dir, names[i], a, err, sizeof(err)) < 0) {
			log_warn("alert delivery: %s", err);
			continue;
		}
		if (a->delivery[0] &&
		    !(at_start && strncmp(a->delivery, "undelivered", 11) == 0))
			continue;
		admit(d, a, tm_mono_ms());
	}
	free(a);
	free(names);
}

static void item_finish(struct deliverer *d, struct item *it)
{
	char sent[128] = "", failed[600] = "", iso[TM_ISO_LEN];
	size_t s = 0, f = 0;

	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++) {
		if (!notify_channel_on(&d->t, (enum notify_channel)ch))
			continue;
		const char *name = notify_channel_name((enum notify_channel)ch);
		if (it->failed[ch][0])
			f += (size_t)snprintf(failed + f, sizeof(failed) - f,
					      "%s%s: %s", f ? "; " : "", name,
					      it->failed[ch]);
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

/* One attempt on every channel still open; true when the item is done. */
static bool item_attempt(struct deliverer *d, struct item *it, int64_t now)
{
	int64_t wait = 0;
	bool open = false;

	it->attempts++;
	for (int ch = 0; ch < NOTIFY_NCHANNELS && !d->stop; ch++) {
		struct notify_result r;
		if (it->done[ch])
			continue;
		notify_send(&d->t, (enum notify_channel)ch, &it->rec, it->count,
			    &d->stop, &r);
		if (r.status == NOTIFY_SENT) {
			it->done[ch] = true;
			continue;
		}
		const char *name = notify_channel_name((enum notify_channel)ch);
		int64_t next = r.retry_after > 0 ? r.retry_after * 1000 + 100
						 : backoff_ms(d, it->attempts);
		if (r.status == NOTIFY_GIVE_UP ||
		    now + next - it->first_ms > d->retry_ms) {
			snprintf(it->failed[ch], sizeof(it->failed[ch]),
				 "%s after %d attempt(s)", r.error,
				 it->attempts);
			it->done[ch] = true;
			continue;
		}
		log_warn("alert %s: %s failed (%s), retrying in %.1f s",
			 it->rec.file, name, r.error, (double)next / 1000.0);
		if (next > wait)
			wait = next;
		open = true;
	}
	it->next_ms = tm_mono_ms() + wait;
	return !open && !d->stop;
}

static void send_due(struct deliverer *d)
{
	for (struct item **pp = &d->items; *pp && !d->stop;) {
		struct item *it = *pp;
		if (tm_mono_ms() < it->next_ms ||
		    !item_attempt(d, it, tm_mono_ms())) {
			pp = &it->next;
			continue;
		}
		item_finish(d, it);
		*pp = it->next;
		free(it);
	}
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

	for (const struct item *it = d->items; it; it = it->next)
		if (it->next_ms < wake)
			wake = it->next_ms;
	for (const struct group *g = d->groups; g; g = g->next)
		if (g->window_end < wake)
			wake = g->window_end;
	return wake;
}

static void *deliver_main(void *arg)
{
	struct deliverer *d = arg;
	struct watch w;
	int64_t rescan = tm_mono_ms() + RESCAN_MS;

	watch_open(&w, d->dir);
	scan(d, true);
	while (!d->stop) {
		int64_t now = tm_mono_ms();
		close_windows(d, now);
		send_due(d);
		now = tm_mono_ms();
		if (watch_wait(&w, (int)(next_wake(d, now) - now), NULL, 0) >
			    0 ||
		    now >= rescan) {
			scan(d, false);
			rescan = tm_mono_ms() + RESCAN_MS;
		}
	}
	watch_close(&w);
	return NULL;
}

struct deliverer *deliver_start(const struct pgw_config *c)
{
	struct deliverer *d = calloc(1, sizeof(*d));
	char err[512];
	sigset_t all, old;
	int rc;

	if (!d)
		return NULL;
	if (notify_targets_load(c, &d->t, err, sizeof(err)) < 0) {
		log_error("alert delivery off: %s", err);
		free(d);
		return NULL;
	}
	if (!notify_channel_on(&d->t, NOTIFY_TELEGRAM) &&
	    !notify_channel_on(&d->t, NOTIFY_WEBHOOK)) {
		log_info("alert delivery off: no Telegram bot or webhook "
			 "configured (alert files only)");
		free(d);
		return NULL;
	}
	if (notify_global_init(err, sizeof(err)) < 0) {
		log_error("alert delivery off: %s", err);
		free(d);
		return NULL;
	}
	snprintf(d->dir, sizeof(d->dir), "%s", c->backup_dir);
	d->min_sev = alert_severity_parse(c->min_severity);
	d->window_ms = (int64_t)c->dedup_window * 1000;
	d->retry_ms = (int64_t)c->retry_for * 1000;
	d->seed = (unsigned int)tm_mono_ms();
	/* signals belong to the main loop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&d->thread, NULL, deliver_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("alert delivery off: unable to start its thread: %s",
			  strerror(rc));
		free(d);
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
	d->stop = 1;
	pthread_join(d->thread, NULL);
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
	free(d->seen);
	free(d);
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
