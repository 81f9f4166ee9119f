#include "lines.h"

#include <string.h>

void lines_init(struct lines *s, char *buf, size_t cap, lines_fn fn, void *ctx)
{
	s->buf = buf;
	s->cap = cap;
	s->keep = cap - 1;
	s->len = 0;
	s->fn = fn;
	s->ctx = ctx;
}

static size_t keep_limit(const struct lines *s)
{
	return s->keep < s->cap ? s->keep : s->cap - 1;
}

/* Bytes of the current line in buf. */
static size_t kept(const struct lines *s)
{
	size_t keep = keep_limit(s);

	return s->len < keep ? s->len : keep;
}

static void line_end(struct lines *s)
{
	size_t have = kept(s), len = s->len;

	s->buf[have] = '\0';
	s->len = 0;
	s->fn(s->ctx, s->buf, have, len);
}

void lines_feed(struct lines *s, const char *data, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		size_t have = kept(s), keep = keep_limit(s);

		if (have < keep)
			memcpy(s->buf + have, data,
			       n < keep - have ? n : keep - have);
		s->len += n;
		if (!nl)
			return;
		line_end(s);
		data += n + 1;
		len -= n + 1;
	}
}

void lines_finish(struct lines *s)
{
	if (s->len > 0)
		line_end(s);
}

void lines_reset(struct lines *s)
{
	s->len = 0;
}
