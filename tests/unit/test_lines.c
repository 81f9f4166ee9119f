/* test_lines.c - the line splitter: every line in order with its full
 * length whatever the chunk size, long lines cut, keep changed between
 * lines, a truncated source forgotten. */
#include "lines.h"
#include "unit.h"

#define MAXL 16

struct seen {
	char text[MAXL][16];
	size_t have[MAXL], len[MAXL];
	int n;
	size_t next_keep; /* 0: leave keep alone */
};

static void on_line(void *ctx, char *line, size_t have, size_t len)
{
	struct seen *s = ctx;

	if (s->n < MAXL) {
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s", line);
		s->have[s->n] = have;
		s->len[s->n] = len;
	}
	s->n++;
}

static const char input[] = "alpha\n\nthe-long-line-of-25-bytes\nz\nlast";

static int seen_ok(const struct seen *s)
{
	return s->n == 5 && strcmp(s->text[0], "alpha") == 0 &&
	       s->len[0] == 5 && s->have[0] == 5 && s->len[1] == 0 &&
	       strcmp(s->text[1], "") == 0 &&
	       strcmp(s->text[2], "the-long") == 0 && s->have[2] == 8 &&
	       s->len[2] == 25 && strcmp(s->text[3], "z") == 0 &&
	       strcmp(s->text[4], "last") == 0 && s->len[4] == 4;
}

static void test_chunks(void)
{
	size_t len = sizeof(input) - 1;
	int all = 1;

	for (size_t step = 1; step <= len; step++) {
		struct seen s = {0};
		struct lines l;
		char buf[9];
		lines_init(&l, buf, sizeof(buf), on_line, &s);
		for (size_t o = 0; o < len; o += step)
			lines_feed(&l, input + o,
				   len - o < step ? len - o : step);
		all &= s.n == 4;
		lines_finish(&l);
		all &= seen_ok(&s);
	}
	CHECK(all, "same lines and lengths whatever the chunk size; a long "
		   "line cut to the buffer; the last line only at finish");
}

struct keeper {
	struct lines l;
	char buf[16];
	struct seen s;
};

/* After a line "short", keep only 2 bytes of the next one. */
static void keep_short(void *ctx, char *line, size_t have, size_t len)
{
	struct keeper *k = ctx;

	on_line(&k->s, line, have, len);
	k->l.keep = strcmp(line, "short") == 0 ? 2 : k->l.cap - 1;
}

static void test_keep(void)
{
	struct keeper k = {0};
	const char in[] = "short\nabcdef\nabcdef\n";

	lines_init(&k.l, k.buf, sizeof(k.buf), keep_short, &k);
	lines_feed(&k.l, in, sizeof(in) - 1);
	CHECK(k.s.n == 3 && strcmp(k.s.text[1], "ab") == 0 &&
		      k.s.have[1] == 2 && k.s.len[1] == 6 &&
		      strcmp(k.s.text[2], "abcdef") == 0,
	      "keep set by the callback applies to the next line only");
	k.l.keep = 1000;
	lines_feed(&k.l, "0123456789abcdefXYZ\n", 20);
	CHECK(k.s.n == 4 && k.s.have[3] == 15 && k.s.len[3] == 19,
	      "keep above the buffer is held to the buffer");
}

static void test_reset(void)
{
	struct seen s = {0};
	struct lines l;
	char buf[32];

	lines_init(&l, buf, sizeof(buf), on_line, &s);
	lines_feed(&l, "half a li", 9);
	lines_reset(&l);
	lines_feed(&l, "new\n", 4);
	lines_finish(&l);
	CHECK(s.n == 1 && strcmp(s.text[0], "new") == 0 && s.len[0] == 3,
	      "reset forgets the partial line; finish with nothing pending "
	      "reports nothing");
}

int main(void)
{
	test_chunks();
	test_keep();
	test_reset();
	return unit_done();
}
