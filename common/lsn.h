/*
 * lsn.h - WAL positions as PostgreSQL writes them ("16/B374D848") and the
 * segment file that holds one (docs/WAL.md).
 */
#ifndef PGW_LSN_H
#define PGW_LSN_H

#include <stddef.h>
#include <stdint.h>

/* "X/Y" (hex) -> *lsn; -1 when s is not one. */
int lsn_parse(const char *s, uint64_t *lsn);
/* The name of the segment of timeline tli holding lsn, for segments of
 * seg_size bytes: 24 hex digits, as pg_walfile_name() gives. */
void lsn_segment_name(unsigned tli, uint64_t lsn, uint64_t seg_size, char *out,
		      size_t cap);
/* A segment file name's place in WAL order (its log and segment number,
 * the timeline aside): the number lsn / seg_size gives. name holds at
 * least 24 hex digits; seg_size is a power of two, 1 MiB to 1 GiB. */
uint64_t lsn_segment_number(const char *name, uint64_t seg_size);

#endif
