#include "checkclass.h"
#include "unit.h"

/* The one table of what a failed check means: what counts towards a
 * recovery and what is only alerted. */
int main(void)
{
	enum check_class c;

	CHECK(check_class_of_sqlstate("55P03") == CHECK_LOCK_WAIT,
	      "lock_timeout is a lock wait");
	CHECK(check_class_of_sqlstate("57014") == CHECK_SLOW,
	      "statement_timeout is slowness");
	CHECK(check_class_of_sqlstate("42501") == CHECK_CONFIG,
	      "a missing grant is configuration");
	CHECK(check_class_of_sqlstate("28P01") == CHECK_CONFIG,
	      "a bad password is configuration");
	CHECK(check_class_of_sqlstate("53300") == CHECK_RESOURCES,
	      "too many connections is resources");
	CHECK(check_class_of_sqlstate("XX001") == CHECK_BROKEN &&
		      check_class_of_sqlstate("58030") == CHECK_BROKEN,
	      "data corruption and I/O errors are broken");
	CHECK(check_class_of_sqlstate("42P01") == CHECK_SCHEMA,
	      "a missing table is schema damage");
	CHECK(check_class_of_sqlstate("57P01") == CHECK_DOWN &&
		      check_class_of_sqlstate("3D000") == CHECK_DOWN,
	      "shutdown and a missing database are down");
	CHECK(check_class_of_sqlstate("") == CHECK_BROKEN &&
		      check_class_of_sqlstate(NULL) == CHECK_BROKEN &&
		      check_class_of_sqlstate("22012") == CHECK_BROKEN,
	      "no code or an unknown one counts, as damage must");
	CHECK(check_class_info(CHECK_DOWN)->counts &&
		      check_class_info(CHECK_BROKEN)->counts &&
		      check_class_info(CHECK_SCHEMA)->counts &&
		      check_class_info(CHECK_CHECKSUM)->counts,
	      "damage and death count towards a recovery");
	CHECK(!check_class_info(CHECK_LOCK_WAIT)->counts &&
		      !check_class_info(CHECK_SLOW)->counts &&
		      !check_class_info(CHECK_CONFIG)->counts &&
		      !check_class_info(CHECK_RESOURCES)->counts &&
		      !check_class_info(CHECK_PROBE)->counts,
	      "slowness, locks, grants and resources never count");
	for (int i = CHECK_LOCK_WAIT; i < CHECK_CLASS_COUNT; i++)
		CHECK(check_class_info((enum check_class)i)->alert_event &&
			      check_class_info((enum check_class)i)
				      ->alert_prefix,
		      "every uncounted class has its alert");
	for (int i = 0; i < CHECK_CLASS_COUNT; i++)
		CHECK(check_class_parse(
			      check_class_info((enum check_class)i)->name,
			      &c) == 0 &&
			      (int)c == i,
		      "class names round trip");
	CHECK(check_class_parse("lock", &c) < 0, "an unknown name is refused");
	return unit_done();
}
