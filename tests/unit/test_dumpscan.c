/* test_dumpscan.c - what the backupper learns from a plain pg_dump stream
 * as it passes: tables defined, rows per COPY block, the completion marker;
 * the same whatever the chunk size, with lines longer than its buffer. */
#include <stdlib.h>

#include "backupper/dumpscan.h"
#include "unit.h"

static char *sample_dump(void)
{
	static const char head[] =
		"--\n-- PostgreSQL database dump\n--\n\n"
		"-- Name: t; Type: TABLE; Schema: public; Owner: app\n--\n\n"
		"CREATE TABLE public.t (id integer, v text);\n\n"
		"-- Name: My Table; Type: TABLE; Schema: s 1; Owner: app\n"
		"CREATE TABLE \"s 1\".\"My Table\" (x int);\n\n"
		"COPY public.t (id, v) FROM stdin;\n1\tone\n2\t\\\\.\n3\t";
	static const char tail[] =
		"\n\\.\n\n"
		"COPY \"s 1\".\"My Table\" (x) FROM stdin;\n\\.\n\n"
		"-- PostgreSQL database dump complete\n";
	size_t big = 3 * DUMPSCAN_LINE, hl = sizeof(head) - 1;
	char *d = malloc(hl + big + sizeof(tail));

	if (!d)
		abort();
	memcpy(d, head, hl);
	memset(d + hl, 'x', big); /* a row far longer than the line buffer */
	memcpy(d + hl + big, tail, sizeof(tail));
	return d;
}

static int scan_ok(const struct dumpscan *s, const struct manifest *m)
{
	return s->tables == 2 && s->complete && !s->oom && !s->in_copy &&
	       m->ntables == 2 &&
	       strcmp(m->table_rows[0].name, "public.t") == 0 &&
	       m->table_rows[0].rows == 3 &&
	       strcmp(m->table_rows[1].name, "\"s 1\".\"My Table\"") == 0 &&
	       m->table_rows[1].rows == 0;
}

static void test_chunks(void)
{
	char *d = sample_dump();
	size_t len = strlen(d);
	int all = 1;
	size_t steps[] = {1, 2, 3, 7, 64, 4096, len};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct manifest m = {0};
		struct dumpscan s;
		dumpscan_init(&s, &m);
		for (size_t o = 0; o < len; o += steps[i])
			dumpscan_feed(&s, d + o,
				      len - o < steps[i] ? len - o : steps[i]);
		dumpscan_finish(&s);
		all &= scan_ok(&s, &m);
		manifest_free(&m);
	}
	CHECK(all, "two tables, 3 and 0 rows (an escaped \\. and a long row "
		   "counted as rows), complete, whatever the chunk size");
	free(d);
}

static void test_incomplete(void)
{
	static const char cut[] = "COPY public.t (id) FROM stdin;\n1\n2";
	struct manifest m = {0};
	struct dumpscan s;

	dumpscan_init(&s, &m);
	dumpscan_feed(&s, cut, sizeof(cut) - 1);
	dumpscan_finish(&s);
	CHECK(!s.complete && s.in_copy && m.ntables == 0,
	      "a dump cut inside a COPY block: not complete, no table counted");
	manifest_free(&m);
}

int main(void)
{
	test_chunks();
	test_incomplete();
	return unit_done();
}
