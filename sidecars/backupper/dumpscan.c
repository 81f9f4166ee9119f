#include "dumpscan.h"

#include <string.h>

#define COMPLETE_MARK "-- PostgreSQL database dump complete"
#define GLOBALS_MARK  "-- PostgreSQL database cluster dump complete"

static bool starts(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(line, prefix, n) == 0;
}

/* "COPY public.t (a, b) FROM stdin;" -> "public.t" */
static void copy_begin(struct dumpscan *s, const char *line, size_t len)
{
	const char *name = line + 5, *end = memchr(name, ' ', len - 5);
	size_t n = end ? (size_t)(end - name) : len - 5;

	/* quoted identifiers may hold spaces: cut at " (" or " FROM" instead */
	const char *paren = strstr(name, " (");
	const char *from = strstr(name, " FROM stdin");
	if (paren && (!from || paren < from))
		n = (size_t)(paren - name);
	else if (from)
		n = (size_t)(from - name);
	if (n >= sizeof(s->copy_table))
		n = sizeof(s->copy_table) - 1;
	memcpy(s->copy_table, name, n);
	s->copy_table[n] = '\0';
	s->copy_rows = 0;
	s->in_copy = true;
}

static void scan_line(void *ctx, char *line, size_t have, size_t len)
{
	struct dumpscan *s = ctx;

	if (s->in_copy) {
		if (len == 2 && line[0] == '\\' && line[1] == '.') {
			s->in_copy = false;
			if (s->out && manifest_add_table(s->out, s->copy_table,
							 s->copy_rows) < 0)
				s->oom = true;
		} else {
			s->copy_rows++;
		}
	} else if (starts(line, have, "COPY ") && have > 12 &&
		   strcmp(line + have - 11, "FROM stdin;") == 0) {
		copy_begin(s, line, have);
	} else if (starts(line, have, "-- Name: ") &&
		   strstr(line, "; Type: TABLE; Schema: ")) {
		s->tables++;
	} else if (strcmp(line, COMPLETE_MARK) == 0 ||
		   strcmp(line, GLOBALS_MARK) == 0) {
		s->complete = true;
	}
	/* COPY rows only need their first bytes to spot the "\." end */
	s->split.keep = s->in_copy ? 3 : DUMPSCAN_LINE - 1;
}

void dumpscan_init(struct dumpscan *s, struct manifest *out)
{
	memset(s, 0, sizeof(*s));
	s->out = out;
	lines_init(&s->split, s->line, sizeof(s->line), scan_line, s);
}

void dumpscan_feed(struct dumpscan *s, const char *data, size_t len)
{
	lines_feed(&s->split, data, len);
}

void dumpscan_finish(struct dumpscan *s)
{
	lines_finish(&s->split);
}
