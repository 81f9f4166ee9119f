/* docs/PROTOCOL.md's table of files and proto.h's names cannot drift: every
 * name in the table's first column (its literal part, up to the first '<')
 * is one of proto_file_names, every name of proto_file_names is in the
 * table, and every *.log the table lists is a LOG_* name. */
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "unit.h"

static bool known(const char *name)
{
	for (int i = 0; proto_file_names[i]; i++)
		if (strcmp(proto_file_names[i], name) == 0)
			return true;
	return false;
}

/* The literal part of a table name: "backup_<...>" -> "backup_",
 * "<either>.enc" -> ".enc", ".lock-<sidecar>" -> ".lock-". */
static void literal(const char *cell, char *out, size_t cap)
{
	const char *lt = strchr(cell, '<'), *gt = strrchr(cell, '>');
	size_t n;

	if (lt == cell && gt) { /* "<either>.manifest" */
		snprintf(out, cap, "%s", gt + 1);
		return;
	}
	n = lt ? (size_t)(lt - cell) : strlen(cell);
	snprintf(out, cap, "%.*s", (int)n, cell);
}

int main(void)
{
	FILE *f = fopen("docs/PROTOCOL.md", "r");
	char line[8192], seen[64][64];
	int nseen = 0, rows = 0;
	bool in_table = false;

	CHECK(f != NULL, "docs/PROTOCOL.md opens (run from the top)");
	if (!f)
		return unit_done();
	while (fgets(line, sizeof(line), f)) {
		char cell[256], name[256];
		if (strncmp(line, "## Files", 8) == 0)
			in_table = true;
		else if (strncmp(line, "## ", 3) == 0)
			in_table = false;
		if (!in_table || sscanf(line, "| `%255[^`]` |", cell) != 1)
			continue;
		rows++;
		if (strcmp(cell, "*.log") == 0) { /* `backup.log`, ... */
			/* every `quoted` word after the first cell */
			for (char *p = strchr(strstr(line, "` |") + 2, '`'), *q;
			     p; p = strchr(q + 1, '`')) {
				if (!(q = strchr(p + 1, '`')))
					break;
				snprintf(name, sizeof(name), "%.*s",
					 (int)(q - p - 1), p + 1);
				if (!strstr(name, ".log") || nseen >= 64)
					continue;
				if (!known(name))
					printf("# not in proto.h: %s\n", name);
				CHECK(known(name), "a log of the doc");
				snprintf(seen[nseen++], 64, "%s", name);
			}
			continue;
		}
		literal(cell, name, sizeof(name));
		if (strcmp(name, "<backup file>.manifest") == 0)
			snprintf(name, sizeof(name), "%s",
				 PROTO_MANIFEST_SUFFIX);
		if (!known(name))
			printf("# in docs/PROTOCOL.md, not in proto.h: %s\n",
			       name);
		CHECK(known(name), "a file of the doc is named in proto.h");
		if (nseen < 64)
			snprintf(seen[nseen++], 64, "%s", name);
	}
	fclose(f);
	CHECK(rows >= 20, "the doc's table of files was found");
	for (int i = 0; proto_file_names[i]; i++) {
		bool in_doc = false;
		for (int k = 0; k < nseen; k++)
			in_doc = in_doc ||
				 strcmp(seen[k], proto_file_names[i]) == 0;
		if (!in_doc)
			printf("# in proto.h, not in docs/PROTOCOL.md: %s\n",
			       proto_file_names[i]);
		CHECK(in_doc, "a name of proto.h is in the doc's table");
	}
	return unit_done();
}
