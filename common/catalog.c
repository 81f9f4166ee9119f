#include "catalog.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "manifest.h"
#include "tm.h"

static int newest_first(const void *a, const void *b)
{
	const struct catalog_entry *x = a, *y = b;

	if (x->future != y->future)
		return x->future ? 1 : -1;
	if (x->taken != y->taken)
		return x->taken > y->taken ? -1 : 1;
	if (x->name.when != y->name.when)
		return x->name.when > y->name.when ? -1 : 1;
	return strcmp(x->file, y->file);
}

static void catalog_fill(const char *dir, struct catalog_entry *e, time_t now)
{
	struct manifest m;
	char err[256];
	time_t finished;

	e->size = fs_size(dir, e->file);
	e->taken = e->name.when;
	e->duration_ms = e->restore_ms = -1;
	e->has_manifest =
		manifest_read(dir, e->file, &m, err, sizeof(err)) == 0;
	if (e->has_manifest) {
		snprintf(e->status, sizeof(e->status), "%s", m.status);
		if (tm_parse_iso(m.finished, &finished) == 0)
			e->taken = finished;
		e->duration_ms = m.duration_ms;
		snprintf(e->verified_at, sizeof(e->verified_at), "%s",
			 m.verified_at);
		e->restore_ms = m.verified_at[0] ? m.restore_ms : -1;
		manifest_free(&m);
	}
	e->future = e->taken > now + CATALOG_FUTURE_SKEW ||
		    e->name.when > now + CATALOG_FUTURE_SKEW;
}

int catalog_scan(const char *dir, struct catalog_entry **out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct catalog_entry *list = NULL, *grown;
	int n = 0, cap = 0;

	*out = NULL;
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		struct backup_name bn;
		if (proto_backup_parse(de->d_name, &bn) < 0 ||
		    strlen(de->d_name) >= sizeof(list->file))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			grown = realloc(list, sizeof(*list) * (size_t)cap);
			if (!grown) {
				free(list);
				closedir(d);
				return -1;
			}
			list = grown;
		}
		memset(&list[n], 0, sizeof(list[n]));
		snprintf(list[n].file, sizeof(list[n].file), "%s", de->d_name);
		list[n].name = bn;
		n++;
	}
	closedir(d);
	for (int i = 0; i < n; i++)
		catalog_fill(dir, &list[i], tm_now());
	if (n > 1) /* an empty list is NULL, which qsort may not take */
		qsort(list, (size_t)n, sizeof(*list), newest_first);
	*out = list;
	return n;
}

int catalog_next(const struct catalog_entry *list, int n, int from,
		 const struct catalog_target *t)
{
	for (int i = from < 0 ? 0 : from; i < n; i++) {
		const struct catalog_entry *e = &list[i];
		if (e->name.kind != t->kind ||
		    (t->kind == BACKUP_DATABASE &&
		     strcmp(e->name.database, t->database) != 0) ||
		    (t->only && strcmp(e->file, t->only) != 0))
			continue;
		return i;
	}
	return -1;
}
