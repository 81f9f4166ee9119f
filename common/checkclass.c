#include "checkclass.h"

#include <string.h>

static const struct check_class_info classes[CHECK_CLASS_COUNT] = {
	[CHECK_OK] = {"ok", false, ALERT_INFO, NULL, NULL},
	[CHECK_DOWN] = {"down", true, ALERT_CRITICAL, NULL, NULL},
	[CHECK_BROKEN] = {"broken", true, ALERT_CRITICAL, NULL, NULL},
	[CHECK_SCHEMA] = {"schema", true, ALERT_CRITICAL, NULL, NULL},
	[CHECK_CHECKSUM] = {"checksum", true, ALERT_CRITICAL, NULL, NULL},
	[CHECK_LOCK_WAIT] = {"lock-wait", false, ALERT_WARNING, "lock-wait",
			     "A health check waited on a lock held by another "
			     "session; not counted towards a recovery"},
	[CHECK_SLOW] = {"slow", false, ALERT_WARNING, "check-slow",
			"A health check timed out on a server that answers; "
			"not counted towards a recovery"},
	[CHECK_CONFIG] = {"config", false, ALERT_ERROR, "check-config",
			  "A health check cannot run as configured (a grant, "
			  "a login or a setting is missing); not counted "
			  "towards a recovery"},
	[CHECK_RESOURCES] = {"resources", false, ALERT_ERROR, "check-resources",
			     "The server is out of a resource (connections, "
			     "memory or disk); a restore would not help, not "
			     "counted towards a recovery"},
	[CHECK_PROBE] = {"probe", false, ALERT_ERROR, "check-probe",
			 "pgwarden's health probe could not run; not counted "
			 "towards a recovery"},
};

const struct check_class_info *check_class_info(enum check_class c)
{
	if ((int)c < 0 || c >= CHECK_CLASS_COUNT)
		c = CHECK_BROKEN;
	return &classes[c];
}

int check_class_parse(const char *name, enum check_class *out)
{
	for (int i = 0; i < CHECK_CLASS_COUNT; i++)
		if (strcmp(classes[i].name, name) == 0) {
			*out = (enum check_class)i;
			return 0;
		}
	return -1;
}

/* Longest prefix first: an exact code, then its two-letter class. See the
 * PostgreSQL manual, appendix A "PostgreSQL Error Codes". */
static const struct {
	const char *prefix;
	enum check_class cls;
} sqlstates[] = {
	{"55P03", CHECK_LOCK_WAIT}, /* lock_not_available: lock_timeout */
	{"40P01", CHECK_LOCK_WAIT}, /* deadlock_detected */
	{"40001", CHECK_SLOW},	    /* serialization_failure: retry */
	{"57014", CHECK_SLOW},	    /* query_canceled: statement_timeout */
	{"42501", CHECK_CONFIG},    /* insufficient_privilege */
	{"28", CHECK_CONFIG},	    /* invalid authorization */
	{"42704", CHECK_CONFIG},    /* undefined_object (a role, a setting) */
	{"3D000", CHECK_DOWN},	    /* the protected database is gone */
	{"42P01", CHECK_SCHEMA},    /* undefined_table */
	{"3F000", CHECK_SCHEMA},    /* invalid_schema_name */
	{"53", CHECK_RESOURCES},    /* insufficient resources */
	{"54", CHECK_RESOURCES},    /* program limit exceeded */
	{"57P", CHECK_DOWN},	    /* shutting down, cannot connect now */
	{"08", CHECK_DOWN},	    /* connection exception */
	{"25006", CHECK_OK},	    /* read-only transaction: a standby */
};

enum check_class check_class_of_sqlstate(const char *sqlstate)
{
	if (!sqlstate || strlen(sqlstate) != 5)
		return CHECK_BROKEN;
	for (size_t i = 0; i < sizeof(sqlstates) / sizeof(sqlstates[0]); i++)
		if (strncmp(sqlstate, sqlstates[i].prefix,
			    strlen(sqlstates[i].prefix)) == 0)
			return sqlstates[i].cls;
	return CHECK_BROKEN;
}
