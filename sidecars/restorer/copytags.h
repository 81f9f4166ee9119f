/*
 * copytags.h - the number of rows the server reported for each COPY of a
 * restore, read from psql's command tags ("COPY 5000"), in the order of the
 * dump. A restore is checked against the manifest with these instead of a
 * count(*) of every table afterwards: that second full read sets the hint
 * bits of every page, and with data checksums each page then costs a
 * full-page image in the WAL (1.8 s of a 17 s restore of 3 M rows).
 *
 * Contract: psql's standard output is fed in chunks of any size as it comes
 * (memory stays constant however much psql prints: large objects make it
 * print a result per chunk written); only lines that are exactly
 * "COPY <digits>" count (query results are printed indented by psql's
 * aligned format, so never match). copy_tags_init() first;
 * copy_tags_free() may be called on a zeroed struct.
 */
#ifndef PGW_COPYTAGS_H
#define PGW_COPYTAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lines.h"

struct copy_tags {
	int64_t *rows;
	int n;
	bool lost;     /* a tag may be missing (no memory, a read error) */
	char line[32]; /* the start of the current line */
	struct lines split;
};

void copy_tags_init(struct copy_tags *t);
void copy_tags_feed(struct copy_tags *t, const char *data, size_t len);
/* A last line without a newline. */
void copy_tags_finish(struct copy_tags *t);
/* Read fd to its end, feeding t; a read error marks t lost. */
void copy_tags_drain(struct copy_tags *t, int fd);
/* Parse one line (no newline); 1 and *rows set when it is a COPY tag. */
int copy_tag_parse(const char *line, int64_t *rows);
void copy_tags_free(struct copy_tags *t);

#endif
