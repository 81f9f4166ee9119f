/* Schedule expressions (config values) and the next-slot search. */
#include "fuzz.h"
#include "cfg.h"
#include "schedule.h"
#include "tm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sched s;
	char *text = fuzz_string(data, size), err[256];

	if (sched_parse(text, &s, err, sizeof(err)) == 0)
		sched_next(&s, (time_t)1750000000);
	tm_parse_duration(text);
	free(text);
	return 0;
}
