#include "physretention.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basecat.h"
#include "fs.h"
#include "log.h"
#include "proto.h"
#include "tm.h"
#include "walarchive.h"

static int remove_base(const char *dir, const struct base_entry *e)
{
	char path[PATH_MAX], mname[NAME_MAX + 1];

	if (unlink(fs_join(path, dir, e->file)) < 0)
		return 0;
	proto_manifest_name(e->file, mname, sizeof(mname));
	unlink(fs_join(path, dir, mname));
	log_msg(LOG_AUX, LOG_INFO,
		"deleted base backup '%s' (older than "
		"retention_days)",
		e->file);
	return 1;
}

/* Marks the kept ones; removes the rest. */
static int prune_bases(const struct pgw_config *cfg, struct base_entry *l,
		       int n, bool *kept)
{
	time_t cutoff = tm_now() - (time_t)cfg->retention_days * 86400;
	bool newest_usable = false;
	int removed = 0;

	for (int i = 0; i < n; i++) {
		kept[i] = l[i].finished >= cutoff ||
			  (l[i].usable && !newest_usable);
		if (l[i].usable)
			newest_usable = true;
		if (!kept[i])
			removed += remove_base(cfg->backup_dir, &l[i]);
	}
	return removed;
}

/* The oldest first segment any kept usable base backup of this cluster
 * needs; "" when none does. */
static void oldest_needed(const struct base_entry *l, int n, const bool *kept,
			  const char *cluster, char *out, size_t cap)
{
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		if (kept[i] && l[i].usable &&
		    strcmp(l[i].cluster_id, cluster) == 0 &&
		    (!out[0] || basecat_segment_cmp(l[i].wal_start, out) < 0))
			snprintf(out, cap, "%s", l[i].wal_start);
}

/* A segment or backup label before `needed` (or, with no base backup of
 * the cluster kept, older than the cutoff) is not needed. History files
 * are tiny and say how timelines branched: they stay. */
static bool wal_unneeded(const char *dir, const char *name, const char *needed,
			 time_t cutoff)
{
	char path[PATH_MAX], base[NAME_MAX + 1];
	struct stat st;

	snprintf(base, sizeof(base), "%.*s", (int)strcspn(name, "."), name);
	if (strlen(base) != 24 || !wal_name_valid(base))
		return false;
	if (needed[0])
		return basecat_segment_cmp(base, needed) < 0;
	return lstat(fs_join(path, dir, name), &st) == 0 &&
	       st.st_mtime < cutoff;
}

static int prune_cluster_wal(const struct pgw_config *cfg, const char *top,
			     const char *cluster, const char *needed)
{
	char dir[PATH_MAX], path[PATH_MAX];
	time_t cutoff = tm_now() - (time_t)cfg->retention_days * 86400;
	DIR *d = opendir(fs_join(dir, top, cluster));
	struct dirent *e;
	int removed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' &&
		    wal_unneeded(dir, e->d_name, needed, cutoff) &&
		    unlink(fs_join(path, dir, e->d_name)) == 0)
			removed++;
	closedir(d);
	if (removed > 0) {
		fs_fsync_dir(dir);
		log_msg(LOG_AUX, LOG_INFO,
			"deleted %d archived WAL files of cluster %s (%s)",
			removed, cluster,
			needed[0] ? "before the oldest kept base backup"
				  : "no base backup of it is kept");
	}
	return removed;
}

int physretention_run(const struct pgw_config *cfg)
{
	struct base_entry *l;
	int n = basecat_scan(cfg->backup_dir, &l), removed = 0;
	bool *kept = calloc((size_t)(n > 0 ? n : 1), sizeof(bool));
	char top[PATH_MAX], needed[32];
	DIR *d;
	struct dirent *e;

	if (n < 0 || !kept) {
		free(kept);
		return 0;
	}
	removed += prune_bases(cfg, l, n, kept);
	d = opendir(fs_join(top, cfg->backup_dir, PROTO_WAL_DIR));
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		oldest_needed(l, n, kept, e->d_name, needed, sizeof(needed));
		removed += prune_cluster_wal(cfg, top, e->d_name, needed);
	}
	if (d)
		closedir(d);
	free(kept);
	free(l);
	return removed;
}
