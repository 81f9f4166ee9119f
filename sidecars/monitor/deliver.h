/*
 * deliver.h - the monitor sends every alert file to people (notify.h).
 *
 * Why the monitor: it is the sidecar that must stay up for anything to
 * be noticed, and one sender means one message per alert whichever sidecar
 * wrote it. Delivery runs in its own threads so no check, backup or
 * recovery ever waits on Telegram; the other sidecars only write files.
 * One thread admits alerts; each channel has a sender thread of its own,
 * so a channel that hangs (TCP accepted, no answer) delays no other.
 *
 * The contract follows, kept out of clang-format's comment reflow.
 */
/* clang-format off */
/*
 * Contract:
 *  - follows alert-* files with inotify (plus a 30 s rescan); files
 *    without a "delivery:" header are pending; at start, files marked
 *    undelivered are retried too.
 *  - below [alerts] min_severity: marked "skipped".
 *  - identical alerts (severity, event, message and details: two backups
 *    are never one message) within dedup_window are collapsed: the first
 *    is held until the burst has been quiet for 2 s (at most 10 s) and
 *    sent with the count; later ones are marked "collapsed into <first>"
 *    and, when the window closes, one more message carries how many came
 *    after.
 *  - failures retry with exponential backoff (1 s doubling to 60 s, with
 *    jitter); HTTP 429 waits what the server asked; other 4xx and anything
 *    still failing after retry_for give up, marking the file
 *    "undelivered: <channel>: <reason>".
 *  - bounded: at most 32 alerts in memory (64 with CRITICALs), 200 more
 *    waiting by name; past that, all but CRITICALs are marked "collapsed
 *    into the alert-backlog summary" and one WARNING alert-backlog counts
 *    them by severity. Names already handled are a hash set rebuilt from
 *    the directory, so the work per alert stays flat.
 *  - pending alerts older than an hour (delivery was off or down) are
 *    summarised too, CRITICALs excepted.
 *  - the most severe first, then in the order they happened; each channel
 *    sends at most [alerts] rate_limit messages a minute (bursts of as
 *    many).
 *  - deliver_stop() cancels in-flight requests and joins the threads;
 *    unsent alerts stay pending on disk for the next start.
 */
/* clang-format on */
#ifndef PGW_DELIVER_H
#define PGW_DELIVER_H

#include "alert.h"
#include "cfg.h"

struct deliverer;

/* NULL when no channel is configured or the thread could not start (both
 * logged); the monitor runs on either way. */
struct deliverer *deliver_start(const struct pgw_config *c);
void deliver_stop(struct deliverer *d);
/* Send one alert now on every channel, without an alert file: for what
 * must reach people when the backups directory cannot be trusted. */
void deliver_direct(struct deliverer *d, const struct pgw_config *c,
		    enum alert_severity sev, const char *event,
		    const char *message);

#endif
