/* fuzz.h - helpers shared by the libFuzzer harnesses: each harness feeds
 * the bytes to one parser of input that comes from outside (config file,
 * manifest, request file, alert file, server log line, schedule). A crash,
 * a sanitizer report or a leak is a finding; findings become regression
 * inputs in tests/fuzz/regress/<harness>/ (replayed by `make fuzz`). */
#ifndef PGW_FUZZ_H
#define PGW_FUZZ_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* A private directory for harnesses that parse files. */
static inline const char *fuzz_dir(void)
{
	static char dir[PATH_MAX];

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/pgw-fuzz-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dir))
			abort();
		log_set_level(LOG_FATAL);
	}
	return dir;
}

/* data as a NUL-terminated string (caller frees). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* data as the file dir/name (no fsync: speed matters more here). */
static inline void fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	f = fopen(path, "we");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

#endif
