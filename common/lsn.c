#include "lsn.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int hex32(const char *s, char **end, uint32_t *out)
{
	unsigned long v;

	if (!isxdigit((unsigned char)*s))
		return -1;
	v = strtoul(s, end, 16);
	if (v > 0xffffffffUL || *end - s > 8)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int lsn_parse(const char *s, uint64_t *lsn)
{
	uint32_t hi, lo;
	char *end;

	if (hex32(s, &end, &hi) < 0 || *end != '/' ||
	    hex32(end + 1, &end, &lo) < 0 || *end != '\0')
		return -1;
	*lsn = (uint64_t)hi << 32 | lo;
	return 0;
}

uint64_t lsn_segment_number(const char *name, uint64_t seg_size)
{
	char log[9], seg[9];

	snprintf(log, sizeof(log), "%.8s", name + 8);
	snprintf(seg, sizeof(seg), "%.8s", name + 16);
	return strtoull(log, NULL, 16) * (0x100000000ULL / seg_size) +
	       strtoull(seg, NULL, 16);
}

void lsn_segment_name(unsigned tli, uint64_t lsn, uint64_t seg_size, char *out,
		      size_t cap)
{
	uint64_t seg = lsn / seg_size, per_id = 0x100000000ULL / seg_size;

	snprintf(out, cap, "%08X%08X%08X", tli, (unsigned)(seg / per_id),
		 (unsigned)(seg % per_id));
}
