/* unit.h - a tiny TAP producer for the C unit tests: one "ok"/"not ok" line
 * per check, a plan at the end, exit 1 on any failure. */
#ifndef PGW_UNIT_H
#define PGW_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_n, unit_failed;

#define CHECK(cond, name)                                                      \
	do {                                                                   \
		unit_n++;                                                      \
		if (cond) {                                                    \
			printf("ok %d - %s\n", unit_n, name);                  \
		} else {                                                       \
			unit_failed++;                                         \
			printf("not ok %d - %s (%s:%d: %s)\n", unit_n, name,   \
			       __FILE__, __LINE__, #cond);                     \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b, name) CHECK(strcmp((a), (b)) == 0, name)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed ? 1 : 0;
}

/* A fresh empty directory under $TMPDIR for one test. */
static inline char *unit_tmpdir(void)
{
	static char path[256];
	const char *t = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/pgw-unit-XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(path)) {
		perror("mkdtemp");
		exit(2);
	}
	return path;
}

#endif
