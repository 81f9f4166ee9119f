/* catalog_choose(): which backup for this target (catalog.h). Apart from
 * catalog.c because it hashes backup files: a process that only lists them
 * (the monitor) does not link the hashing. */
#include <stdio.h>

#include "catalog.h"
#include "manifest.h"

int catalog_choose(const char *dir, const struct catalog_entry *list, int n,
		   int from, const struct catalog_target *t, struct manifest *m,
		   char *err, size_t errlen)
{
	snprintf(err, errlen, "no backup of that target");
	for (int i = catalog_next(list, n, from, t); i >= 0;
	     i = catalog_next(list, n, i + 1, t))
		if (manifest_load_checked(dir, list[i].file, m, err, errlen) ==
		    0)
			return i;
	return -1;
}
