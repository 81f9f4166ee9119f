#include "basecat.h"

#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfile.h"
#include "lsn.h"
#include "manifest.h"
#include "proto.h"
#include "tm.h"
#include "walarchive.h"

bool basecat_name_valid(const char *name)
{
	size_t p = strlen(PROTO_BASE_PREFIX);
	time_t t;
	char stamp[16];
	const char *rest;

	if (strncmp(name, PROTO_BASE_PREFIX, p) != 0 || strlen(name) < p + 15)
		return false;
	snprintf(stamp, sizeof(stamp), "%.15s", name + p);
	rest = name + p + 15;
	return tm_parse_stamp(stamp, &t) == 0 &&
	       (strcmp(rest, ".tar.gz") == 0 ||
		strcmp(rest, ".tar.gz" PROTO_ENCRYPTED_SUFFIX) == 0);
}

int basecat_segment_cmp(const char *a, const char *b)
{
	return strncmp(a + 8, b + 8, 16);
}

static int newest_first(const void *a, const void *b)
{
	const struct base_entry *x = a, *y = b;

	return x->finished < y->finished   ? 1
	       : x->finished > y->finished ? -1
					   : 0;
}

static int add(const char *dir, const char *name, struct base_entry **list,
	       int *n, int *cap)
{
	struct manifest m;
	char err[256];
	struct base_entry *e;

	memset(&m, 0, sizeof(m));
	if (manifest_read(dir, name, &m, err, sizeof(err)) != 0)
		return 0;
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 16;
		void *p = realloc(*list, (size_t)c * sizeof(**list));
		if (!p) {
			manifest_free(&m);
			return -1;
		}
		*list = p;
		*cap = c;
	}
	e = &(*list)[(*n)++];
	memset(e, 0, sizeof(*e));
	snprintf(e->file, sizeof(e->file), "%s", name);
	if (tm_parse_iso(m.finished, &e->finished) < 0)
		e->finished = 0;
	e->usable = strcmp(m.kind, "base") == 0 && manifest_usable_status(&m);
	snprintf(e->status, sizeof(e->status), "%s", m.status);
	e->restore_ms = m.restore_ms;
	snprintf(e->cluster_id, sizeof(e->cluster_id), "%s", m.cluster_id);
	e->timeline = m.timeline;
	snprintf(e->wal_start, sizeof(e->wal_start), "%s", m.wal_start);
	snprintf(e->wal_stop, sizeof(e->wal_stop), "%s", m.wal_stop);
	e->wal_segment_size = m.wal_segment_size;
	e->size = m.size;
	e->uncompressed_size = m.uncompressed_size;
	if (strlen(e->wal_start) != 24 || strlen(e->wal_stop) != 24 ||
	    e->wal_segment_size < (1 << 20))
		e->usable = false;
	manifest_free(&m);
	return 0;
}

int basecat_scan(const char *dir, struct base_entry **out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct base_entry *list = NULL;
	int n = 0, cap = 0;

	*out = NULL;
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (basecat_name_valid(de->d_name) &&
		    add(dir, de->d_name, &list, &n, &cap) < 0) {
			closedir(d);
			free(list);
			errno = ENOMEM;
			return -1;
		}
	closedir(d);
	if (n > 1)
		qsort(list, (size_t)n, sizeof(*list), newest_first);
	*out = list;
	return n;
}

/* The timelines a replay to the newest one goes through: each with the
 * first and last segment positions it is read for. */
#define MAX_TLI 64
struct tli_path {
	int n;
	unsigned tli[MAX_TLI];
	uint64_t from[MAX_TLI], to[MAX_TLI]; /* to: UINT64_MAX for the newest */
};

struct text_buf {
	char buf[16384];
	size_t len;
};

static int keep_text(void *arg, const void *data, size_t len)
{
	struct text_buf *t = arg;
	size_t room = sizeof(t->buf) - 1 - t->len;

	len = len < room ? len : room;
	memcpy(t->buf + t->len, data, len);
	t->len += len;
	t->buf[t->len] = '\0';
	return 0;
}

/* The newest timeline with a history file in the archive (0: none). */
static unsigned newest_history(const char *dir, char *file, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned best = 0;

	while (d && (e = readdir(d)) != NULL) {
		unsigned t;
		char name[64];
		if (wal_archived_name(e->d_name, name, sizeof(name)) &&
		    strcmp(name + 8, ".history") == 0 &&
		    sscanf(name, "%8X", &t) == 1 && t > best) {
			best = t;
			snprintf(file, cap, "%s", e->d_name);
		}
	}
	if (d)
		closedir(d);
	return best;
}

/* From the newest history file: "<parent tli>\t<switch LSN>\t<why>"
 * lines, oldest first; the newest timeline itself comes last. */
static int read_path(const char *dir, const struct crypt_key *key,
		     uint64_t seg_size, struct tli_path *p, char *why,
		     size_t whylen)
{
	char file[64], err[256];
	struct text_buf *t;
	unsigned newest = newest_history(dir, file, sizeof(file));
	uint64_t prev_end = 0;

	memset(p, 0, sizeof(*p));
	if (newest == 0)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t || bfile_read(dir, file, key, keep_text, t, NULL, err,
			     sizeof(err)) != 0) {
		snprintf(why, whylen, "timeline history %s unreadable: %s",
			 file, t ? err : "out of memory");
		free(t);
		return -1;
	}
	for (char *line = strtok(t->buf, "\n"); line && p->n < MAX_TLI - 1;
	     line = strtok(NULL, "\n")) {
		unsigned tli;
		char lsn_s[32];
		uint64_t lsn;
		if (line[0] == '#' ||
		    sscanf(line, "%u %31s", &tli, lsn_s) != 2 ||
		    lsn_parse(lsn_s, &lsn) < 0)
			continue;
		/* the segment holding the switch is read from the next
		 * timeline: its copy has the records after the switch too */
		p->tli[p->n] = tli;
		p->from[p->n] = prev_end;
		p->to[p->n++] = lsn / seg_size - (lsn / seg_size > 0);
		prev_end = lsn / seg_size;
	}
	p->tli[p->n] = newest;
	p->from[p->n] = prev_end;
	p->to[p->n++] = UINT64_MAX;
	free(t);
	return 0;
}

struct archived {
	unsigned tli;
	uint64_t pos;
};

static int by_pos(const void *a, const void *b)
{
	const struct archived *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Every archived segment (name.gz or name.gz.enc), sorted by position;
 * the count, or -1 (never a partial list). */
static int list_archived(const char *dir, uint64_t seg_size,
			 struct archived **out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct archived *p = NULL;
	int n = 0, cap = 0;

	*out = NULL;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char name[64], head[9];
		if (!wal_archived_name(e->d_name, name, sizeof(name)) ||
		    strlen(name) != 24)
			continue;
		if (n == cap) {
			void *q =
				realloc(p, (size_t)(cap = cap ? 2 * cap : 256) *
						   sizeof(*p));
			if (!q) {
				closedir(d);
				free(p);
				errno = ENOMEM;
				return -1;
			}
			p = q;
		}
		snprintf(head, sizeof(head), "%.8s", name);
		p[n].tli = (unsigned)strtoul(head, NULL, 16);
		p[n++].pos = lsn_segment_number(name, seg_size);
	}
	closedir(d);
	if (n > 1)
		qsort(p, (size_t)n, sizeof(*p), by_pos);
	*out = p;
	return n;
}

/* Is this archived segment one the replay reads (its timeline, at its
 * place, on the path)? */
static bool on_path(const struct archived *a, const struct tli_path *p,
		    unsigned base_tli)
{
	if (p->n == 0)
		return a->tli == base_tli;
	for (int k = 0; k < p->n; k++)
		if (a->tli == p->tli[k] && a->pos >= p->from[k] &&
		    a->pos <= p->to[k])
			return true;
	return false;
}

/* Is pos archived on the path? a is sorted by position, and the caller
 * asks for rising positions: *cursor moves forward only, so one walk of
 * the chain reads the list once (archives hold tens of thousands). */
static bool have(const struct archived *a, int n, int *cursor,
		 const struct tli_path *p, unsigned base_tli, uint64_t pos)
{
	while (*cursor < n && a[*cursor].pos < pos)
		(*cursor)++;
	for (int i = *cursor; i < n && a[i].pos == pos; i++)
		if (on_path(&a[i], p, base_tli))
			return true;
	return false;
}

/* The newest segment on the path: what "the end of the archive" means
 * (a branch left behind may reach further; it is not read). */
static uint64_t path_top(const struct archived *a, int n,
			 const struct tli_path *p, unsigned base_tli)
{
	for (int i = n - 1; i >= 0; i--)
		if (on_path(&a[i], p, base_tli))
			return a[i].pos;
	return 0;
}

int basecat_chain(const char *archive_dir, const struct base_entry *b,
		  const struct crypt_key *key, char *last, size_t cap,
		  char *why, size_t whylen)
{
	uint64_t seg = (uint64_t)b->wal_segment_size;
	uint64_t per_log = 0x100000000ULL / seg;
	uint64_t want = lsn_segment_number(b->wal_start, seg);
	uint64_t stop = lsn_segment_number(b->wal_stop, seg), top;
	struct tli_path path;
	struct archived *a;
	bool base_on_path = false;
	int n, cursor = 0;

	if (read_path(archive_dir, key, seg, &path, why, whylen) < 0)
		return -1;
	for (int k = 0; k < path.n; k++)
		base_on_path = base_on_path || path.tli[k] == b->timeline;
	if (path.n > 0 && !base_on_path) {
		snprintf(why, whylen,
			 "its timeline %u is not one the newest timeline %u "
			 "comes from",
			 b->timeline, path.tli[path.n - 1]);
		return -1;
	}
	n = list_archived(archive_dir, seg, &a);
	if (n <= 0) {
		free(a);
		snprintf(why, whylen, "%s",
			 n < 0 && errno == ENOMEM
				 ? "out of memory listing the WAL archive"
				 : "no WAL archive of its cluster");
		return -1;
	}
	top = path_top(a, n, &path, b->timeline);
	while (want <= top && have(a, n, &cursor, &path, b->timeline, want))
		want++;
	free(a);
	if (want <= stop || want <= top) {
		snprintf(
			why, whylen,
			"the archive lacks segment %08X%08X (on the timeline a "
			"replay reads it from)%s",
			(unsigned)(want / per_log), (unsigned)(want % per_log),
			want <= top ? ", and later ones exist: a gap" : "");
		return -1;
	}
	snprintf(last, cap, "%08X%08X", (unsigned)((want - 1) / per_log),
		 (unsigned)((want - 1) % per_log));
	return 0;
}

int basecat_choose(const char *backup_dir, const char *cluster,
		   const struct crypt_key *key, struct base_entry *out,
		   char *last, size_t cap, char *why, size_t whylen)
{
	struct base_entry *l;
	char dir[PATH_MAX], one[256] = "";
	int n = basecat_scan(backup_dir, &l), rc = -1;
	bool told = false; /* why names the newest one's problem */

	snprintf(why, whylen, "no base backup of cluster %s", cluster);
	wal_archive_dir(dir, backup_dir, cluster);
	for (int i = 0; i < n && rc < 0; i++) {
		if (!l[i].usable || strcmp(l[i].cluster_id, cluster) != 0)
			continue;
		if (basecat_chain(dir, &l[i], key, last, cap, one,
				  sizeof(one)) == 0) {
			*out = l[i];
			rc = 0;
		} else if (!told) {
			snprintf(why, whylen, "%s: %s", l[i].file, one);
			told = true;
		}
	}
	free(l);
	return rc;
}
