#include "chaincheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "archive_status.h"
#include "basebackup.h"
#include "basecat.h"
#include "log.h"
#include "recovery_marker.h"
#include "tm.h"

#define ANCHOR_RETRY_MS (3600 * 1000LL)

/* A usable base backup of this cluster, whatever its chain? */
static bool have_base(const char *dir, const char *cluster, char *file,
		      size_t cap)
{
	struct base_entry *l;
	int n = basecat_scan(dir, &l);
	bool found = false;

	for (int i = 0; i < n && !found; i++)
		if (l[i].usable && strcmp(l[i].cluster_id, cluster) == 0) {
			snprintf(file, cap, "%s", l[i].file);
			found = true;
		}
	free(l);
	return found;
}

static void gap_opened(struct chain_watch *w, const struct archive_chain *a)
{
	char msg[900];

	w->broken = true;
	w->gap_since = tm_now();
	snprintf(msg, sizeof(msg),
		 "The WAL archive has a gap: no base backup of cluster %s "
		 "can be replayed to the end of the archive (%s). No physical "
		 "recovery uses a broken chain: until a new base backup "
		 "anchors one, a recovery falls back to the logical dumps. A "
		 "new base backup is being taken now.",
		 a->cluster, a->why);
	log_error("%s", msg);
	alert_emit(ALERT_CRITICAL, "wal-archive-gap", "WAL Archive", msg,
		   "Check: the archive directory (wal/<cluster>/), the "
		   "server log (wal-push lines), base-backup lines in "
		   "backup.log.\n");
}

static void gap_closed(struct chain_watch *w, const struct archive_chain *a)
{
	char msg[600];

	w->broken = false;
	snprintf(msg, sizeof(msg),
		 "The WAL chain is whole again: base backup %s replays to "
		 "segment %s, the end of the archive",
		 a->base, a->reach);
	log_info("%s", msg);
	alert_emit(ALERT_SUCCESS, "wal-archive-gap-closed", "WAL Archive", msg,
		   NULL);
}

/* The chain now, into a (archive.status's content). */
static void look(const struct backup_ctx *ctx, struct archive_chain *a)
{
	struct base_entry b;

	if (basecat_choose(ctx->cfg->backup_dir, a->cluster, ctx->key, &b,
			   a->reach, sizeof(a->reach), a->why,
			   sizeof(a->why)) == 0) {
		snprintf(a->chain, sizeof(a->chain), "ok");
		snprintf(a->base, sizeof(a->base), "%s", b.file);
		a->why[0] = '\0';
	} else if (have_base(ctx->cfg->backup_dir, a->cluster, a->base,
			     sizeof(a->base))) {
		snprintf(a->chain, sizeof(a->chain), "broken");
	} else {
		snprintf(a->chain, sizeof(a->chain), "none");
	}
}

bool chaincheck_round(struct chain_watch *w, const struct backup_ctx *ctx,
		      char *reason, size_t cap, int *wake_ms)
{
	const struct pgw_config *c = ctx->cfg;
	int64_t now = tm_mono_ms(),
		every = c->wal_chain_check_interval * 1000LL;
	struct archive_chain a;
	struct recovery_marker rm;
	char why[512];
	bool anchor = false;

	if (strcmp(c->wal_archive, "on") != 0)
		return false;
	if (now < w->due_ms) {
		if (w->due_ms - now < *wake_ms)
			*wake_ms = (int)(w->due_ms - now);
		return false;
	}
	w->due_ms = now + every;
	if (every < *wake_ms)
		*wake_ms = (int)every;
	memset(&a, 0, sizeof(a));
	if (recovery_marker_read_live(c->backup_dir, &rm) == 1 ||
	    basebackup_cluster_id(a.cluster, sizeof(a.cluster), why,
				  sizeof(why)) < 0)
		return false; /* the recovery asks for its own anchor */
	look(ctx, &a);
	if (strcmp(a.chain, "broken") == 0) {
		if (!w->broken)
			gap_opened(w, &a);
		anchor = w->anchored_ms == 0 ||
			 now - w->anchored_ms >= ANCHOR_RETRY_MS;
		tm_iso(w->gap_since, a.gap_since);
	} else if (w->broken) {
		gap_closed(w, &a);
		w->anchored_ms = 0;
	}
	if (archive_status_write(c->backup_dir, &a) < 0)
		log_warn("unable to write '%s': %s", "archive.status",
			 strerror(errno));
	if (!anchor)
		return false;
	w->anchored_ms = now;
	snprintf(reason, cap, "a gap in the WAL archive: %s", a.why);
	return true;
}
