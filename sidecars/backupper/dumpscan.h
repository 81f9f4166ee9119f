/*
 * dumpscan.h - reads a plain-format pg_dump stream as it passes by, in
 * chunks of any size, and learns what the backup really contains: how many
 * tables it defines, the exact number of rows in each COPY block, and whether
 * pg_dump wrote its completion marker. Constant memory per line. Used in place:
 * dumpscan_init() points the splitter at the struct itself.
 */
#ifndef PGW_DUMPSCAN_H
#define PGW_DUMPSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lines.h"
#include "manifest.h"

#define DUMPSCAN_LINE 2048

struct dumpscan {
	char line[DUMPSCAN_LINE]; /* the start of the current line */
	struct lines split;
	bool in_copy;
	char copy_table[DUMPSCAN_LINE];
	int64_t copy_rows;
	int tables;    /* "-- Name: x; Type: TABLE; ..." headers */
	bool complete; /* "-- PostgreSQL database dump complete" seen */
	bool oom;
	struct manifest *out; /* receives one table row count per COPY block */
};

void dumpscan_init(struct dumpscan *s, struct manifest *out);
void dumpscan_feed(struct dumpscan *s, const char *data, size_t len);
/* Process a last line without a newline. */
void dumpscan_finish(struct dumpscan *s);

#endif
