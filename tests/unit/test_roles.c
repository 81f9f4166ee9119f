/* test_roles.c - which lines of a globals dump belong to a role. */
#include "restorer/roles.h"
#include "unit.h"

static int is_for(const char *line, const char *role)
{
	return roles_line_is_for(line, role, strlen(role));
}

int main(void)
{
	size_t len = 0;
	const char *r = roles_created_in("CREATE ROLE \"Weird Owner\";", &len);

	CHECK(r && len == 13 && strncmp(r, "\"Weird Owner\"", len) == 0,
	      "quoted name as written");
	CHECK(roles_created_in("CREATE ROLE r2;", &len) && len == 2, "plain");
	CHECK(!roles_created_in("CREATE ROLE r2", &len), "no semicolon");
	CHECK(!roles_created_in("ALTER ROLE r2 WITH LOGIN;", &len), "other");
	CHECK(is_for("ALTER ROLE r2 WITH NOSUPERUSER NOLOGIN;", "r2"),
	      "its ALTER ROLE ... WITH");
	CHECK(is_for("ALTER ROLE r2 SET search_path TO 's1';", "r2"),
	      "its settings");
	CHECK(is_for("COMMENT ON ROLE r2 IS 'two';", "r2"), "its comment");
	CHECK(!is_for("ALTER ROLE r20 WITH LOGIN;", "r2"),
	      "a longer name is another role");
	CHECK(!is_for("ALTER ROLE postgres WITH SUPERUSER;", "r2"),
	      "another role's line");
	CHECK(is_for("GRANT r2 TO \"Weird Owner\" GRANTED BY postgres;",
		     "\"Weird Owner\""),
	      "a membership granted to it");
	CHECK(is_for("GRANT r2 TO \"Weird Owner\" GRANTED BY postgres;", "r2"),
	      "a membership of it");
	CHECK(!is_for("GRANT r20 TO app GRANTED BY postgres;", "r2"),
	      "another role's membership");
	CHECK(!is_for("GRANT a TO b GRANTED BY r2;", "r2"),
	      "the grantor is not the member");
	CHECK(!is_for("SET client_encoding = 'UTF8';", "r2"), "settings");
	return unit_done();
}
