/*
 * lines.h - splits a byte stream, fed in chunks of any size as it arrives,
 * into lines, in constant memory: only the first `keep` bytes of a line are
 * kept, its full length is still counted. The backupper reads pg_dump's
 * stream with it, the restorer psql's command tags, the monitor the server
 * log; none of them may grow with a line they did not expect (a 1 GiB
 * bytea value is one line of a dump).
 *
 * Contract:
 *  - fn gets every line without its newline, NUL-terminated after the bytes
 *    kept (have = min(len, keep)), and len, the line's full length; have <
 *    len says the line was cut.
 *  - fn may change s->keep (at most cap - 1) for the lines that follow.
 *  - lines_finish() hands over a last line without a newline, if any;
 *    lines_reset() forgets a partly read line (the source was truncated).
 */
#ifndef PGW_LINES_H
#define PGW_LINES_H

#include <stddef.h>

typedef void (*lines_fn)(void *ctx, char *line, size_t have, size_t len);

struct lines {
	char *buf; /* cap bytes, the caller's */
	size_t cap;
	size_t keep; /* bytes kept per line; cap - 1 after lines_init() */
	size_t len;  /* full length of the current line so far */
	lines_fn fn;
	void *ctx;
};

void lines_init(struct lines *s, char *buf, size_t cap, lines_fn fn, void *ctx);
void lines_feed(struct lines *s, const char *data, size_t len);
void lines_finish(struct lines *s);
void lines_reset(struct lines *s);

#endif
