/* test_copytags.c - psql's COPY tags: which lines count, in order, fed in
 * chunks of any size. */
#include <sys/mman.h>
#include <unistd.h>

#include "restorer/copytags.h"
#include "unit.h"

static const char psql_out[] =
	"SET\n set_config \n------------\n \n(1 row)\n\n"
	"CREATE TABLE\nCOPY 2000\n setval \n--------\n"
	" COPY 7\n(1 row)\n\nCOPY 0\nALTER TABLE\n"
	"COPY 1234567890123456789012345678901234567890\nCOPY 3";

static void test_parse(void)
{
	int64_t r = -1;

	CHECK(copy_tag_parse("COPY 5000", &r) == 1 && r == 5000, "COPY 5000");
	CHECK(copy_tag_parse("COPY 0", &r) == 1 && r == 0, "COPY 0");
	CHECK(copy_tag_parse("COPY ", &r) == 0, "no number");
	CHECK(copy_tag_parse(" COPY 5", &r) == 0, "indented (a query result)");
	CHECK(copy_tag_parse("COPY 5 ", &r) == 0, "trailing space");
	CHECK(copy_tag_parse("COPY -5", &r) == 0, "negative");
	CHECK(copy_tag_parse("COPY 99999999999999999999", &r) == 0,
	      "overflow refused");
	CHECK(copy_tag_parse("CREATE TABLE", &r) == 0, "other tags");
}

static int tags_ok(const struct copy_tags *t)
{
	return t->n == 3 && !t->lost && t->rows[0] == 2000 && t->rows[1] == 0 &&
	       t->rows[2] == 3;
}

static void test_chunks(void)
{
	size_t len = sizeof(psql_out) - 1;
	int all = 1;

	for (size_t step = 1; step <= len; step++) {
		struct copy_tags t;
		copy_tags_init(&t);
		for (size_t o = 0; o < len; o += step)
			copy_tags_feed(&t, psql_out + o,
				       len - o < step ? len - o : step);
		copy_tags_finish(&t);
		all &= tags_ok(&t);
		copy_tags_free(&t);
	}
	CHECK(all, "same three tags whatever the chunk size; indented "
		   "results and overlong lines skipped");
}

static void test_drain(void)
{
	struct copy_tags t;
	int fd = memfd_create("t", 0);

	copy_tags_init(&t);
	CHECK(fd >= 0 && write(fd, psql_out, sizeof(psql_out) - 1) ==
				 (ssize_t)(sizeof(psql_out) - 1),
	      "memfd written");
	lseek(fd, 0, SEEK_SET);
	copy_tags_drain(&t, fd);
	CHECK(tags_ok(&t), "drained from a file, the last line without a "
			   "newline too");
	copy_tags_free(&t);
	CHECK(t.rows == NULL && t.n == 0, "freed");
	copy_tags_init(&t);
	copy_tags_drain(&t, -1);
	CHECK(t.lost && t.n == 0, "a read error marks the tags lost");
	close(fd);
}

int main(void)
{
	test_parse();
	test_chunks();
	test_drain();
	return unit_done();
}
