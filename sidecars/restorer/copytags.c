#include "copytags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int copy_tag_parse(const char *line, int64_t *rows)
{
	const char *p = line + 5;
	int64_t v = 0;

	if (strncmp(line, "COPY ", 5) != 0 || *p == '\0')
		return 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*p - '0');
	}
	*rows = v;
	return 1;
}

/* A tag is short: a longer line was cut and is something else. */
static void line_end(void *ctx, char *line, size_t have, size_t len)
{
	struct copy_tags *t = ctx;
	int64_t rows, *r;

	if (have < len || !copy_tag_parse(line, &rows))
		return;
	r = realloc(t->rows, sizeof(*r) * (size_t)(t->n + 1));
	if (r) {
		t->rows = r;
		t->rows[t->n++] = rows;
	} else {
		t->lost = true;
	}
}

void copy_tags_init(struct copy_tags *t)
{
	memset(t, 0, sizeof(*t));
	lines_init(&t->split, t->line, sizeof(t->line), line_end, t);
}

void copy_tags_feed(struct copy_tags *t, const char *data, size_t len)
{
	lines_feed(&t->split, data, len);
}

void copy_tags_finish(struct copy_tags *t)
{
	lines_finish(&t->split);
}

void copy_tags_drain(struct copy_tags *t, int fd)
{
	char buf[8192];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			copy_tags_finish(t);
			t->lost |= n < 0;
			return;
		}
		copy_tags_feed(t, buf, (size_t)n);
	}
}

void copy_tags_free(struct copy_tags *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
