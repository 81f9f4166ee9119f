#include "chaincheck.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
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
#include "walarchive.h"

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

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every archived file in dir, sorted: n, or -1 (out of memory, or no
 * such directory yet: then 0). */
static int list_archive(const char *dir, char (**out)[CHAINCHECK_NAME_CAP])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char(*l)[CHAINCHECK_NAME_CAP] = NULL, name[NAME_MAX + 1];
	int n = 0, cap = 0;

	*out = NULL;
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		if (!wal_archived_name(e->d_name, name, sizeof(name)) ||
		    strlen(e->d_name) >= CHAINCHECK_NAME_CAP)
			continue;
		if (n == cap) {
			void *m =
				realloc(l, (size_t)(cap = cap ? cap * 2 : 256) *
						   sizeof(*l));
			if (!m) {
				free(l);
				closedir(d);
				return -1;
			}
			l = m;
		}
		snprintf(l[n++], CHAINCHECK_NAME_CAP, "%s", e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(l, (size_t)n, sizeof(*l), cmp_name);
	*out = l;
	return n;
}

static void damaged(const char *dir, const char *cluster, const char *file,
		    const char *why)
{
	char aside[NAME_MAX + 1], err[512], msg[1200];

	if (wal_quarantine(dir, file, aside, sizeof(aside), err, sizeof(err)) <
	    0) {
		log_error(
			"archived WAL file %s does not read back (%s), and %s",
			file, why, err);
		return;
	}
	snprintf(msg, sizeof(msg),
		 "WAL file %s in the archive of cluster %s does not read back "
		 "(%s). It is moved aside as %s: a recovery would have stopped "
		 "there, so the chain has a gap at it until a new base backup "
		 "anchors one.",
		 file, cluster, why, aside);
	log_error("%s", msg);
	alert_emit(ALERT_CRITICAL, "wal-archive-damaged", "WAL Archive", msg,
		   "Check: the volume under /backups (dmesg, its I/O errors), "
		   "the file kept aside in wal/<cluster>/.\n");
}

/* Read back the files not read whole before, within the round's budget;
 * whole[] becomes the names now in the archive that read whole. */
static void scrub(struct chain_watch *w, const struct backup_ctx *ctx,
		  const char *cluster)
{
	char dir[PATH_MAX], err[512];
	char(*now)[CHAINCHECK_NAME_CAP];
	int64_t until = tm_mono_ms() + CHAINCHECK_SCRUB_MS;
	int n, kept = 0;

	if (strcmp(w->cluster, cluster) != 0 ||
	    until - w->pass_ms >= ctx->cfg->wal_reread_interval * 1000LL) {
		w->nwhole =
			0; /* another cluster, or time to read it all again */
		w->pass_ms = until;
		snprintf(w->cluster, sizeof(w->cluster), "%s", cluster);
	}
	wal_archive_dir(dir, ctx->cfg->backup_dir, cluster);
	n = list_archive(dir, &now);
	if (n < 0) {
		log_warn("unable to list '%s' to read it back: %s", dir,
			 strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		bool known = w->nwhole > 0 &&
			     bsearch(now[i], w->whole, (size_t)w->nwhole,
				     sizeof(*now), cmp_name);
		if (!known) {
			enum wal_check_result r;
			if (tm_mono_ms() >= until)
				continue; /* the next round goes on */
			r = wal_archived_check(dir, now[i], ctx->key, err,
					       sizeof(err));
			if (r == WAL_CHECK_DAMAGED)
				damaged(dir, cluster, now[i], err);
			if (r != WAL_CHECK_WHOLE)
				continue;
		}
		if (kept != i)
			memcpy(now[kept], now[i], sizeof(*now));
		kept++;
	}
	free(w->whole);
	w->whole = now;
	w->nwhole = kept;
}

void chaincheck_free(struct chain_watch *w)
{
	free(w->whole);
	w->whole = NULL;
	w->nwhole = 0;
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
	scrub(w, ctx, a.cluster);
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
