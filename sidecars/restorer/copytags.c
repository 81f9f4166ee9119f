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

static void line_end(struct copy_tags *t)
{
	int64_t rows, *r;

	/* a tag is short: a longer line was cut and is something else */
	if (t->len < sizeof(t->line)) {
		t->line[t->len] = '\0';
		if (copy_tag_parse(t->line, &rows)) {
			r = realloc(t->rows, sizeof(*r) * (size_t)(t->n + 1));
			if (r) {
				t->rows = r;
				t->rows[t->n++] = rows;
			} else {
				t->lost = true;
			}
		}
	}
	t->len = 0;
}

void copy_tags_feed(struct copy_tags *t, const char *data, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		if (t->len < sizeof(t->line) - 1) {
			size_t room = sizeof(t->line) - 1 - t->len;
			memcpy(t->line + t->len, data, n < room ? n : room);
		}
		t->len += n;
		if (!nl)
			return;
		line_end(t);
		data += n + 1;
		len -= n + 1;
	}
}

void copy_tags_finish(struct copy_tags *t)
{
	if (t->len > 0)
		line_end(t);
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
