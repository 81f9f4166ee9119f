/* The server-log matcher: the first bytes choose a patterns file (parsed
 * like an operator's), the rest is a log line matched against it and the
 * built-in patterns. */
#include "fuzz.h"
#include "logtail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct patterns builtin, custom;
	static int loaded;
	char err[512], path[PATH_MAX];
	size_t split = size ? data[0] % (size + 1) : 0;
	char *line;

	if (!loaded) {
		patterns_load(NULL, &builtin, err, sizeof(err));
		loaded = 1;
	}
	line = fuzz_string(data + split, size - split);
	patterns_match(&builtin, line);
	fuzz_file("patterns", data, split);
	snprintf(path, sizeof(path), "%s/patterns", fuzz_dir());
	if (patterns_load(path, &custom, err, sizeof(err)) == 0) {
		patterns_match(&custom, line);
		patterns_free(&custom);
	}
	free(line);
	return 0;
}
