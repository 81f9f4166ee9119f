/*
 * ini.h - iniparser reads made safe for hostile files.
 *
 * iniparser stores a section as an entry whose value is NULL, so a file
 * with a section named like a key ("[backup:tables]") makes
 * iniparser_getstring() return NULL instead of the default. Found by
 * fuzzing the manifest reader; every read of an INI value goes through
 * these (iniparser's own getint/getboolean dereference the NULL).
 */
#ifndef PGW_INI_H
#define PGW_INI_H

#include <iniparser/iniparser.h>
#include <stdbool.h>
#include <stdlib.h>
#include <strings.h>

static inline const char *ini_get(dictionary *d, const char *key,
				  const char *def)
{
	const char *v = d ? iniparser_getstring(d, key, def) : def;

	return v ? v : def;
}

/* Make s one INI value as iniparser reads it back: no comment characters,
 * quotes or line breaks (each becomes a comma). */
static inline void ini_value_clean(char *s)
{
	for (; *s; s++)
		if (*s == ';' || *s == '#' || *s == '\n' || *s == '\r' ||
		    *s == '"' || *s == '\'')
			*s = ',';
}

/* An integer, or def when missing or not a number. */
static inline long ini_get_int(dictionary *d, const char *key, long def)
{
	const char *v = ini_get(d, key, NULL);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	n = strtol(v, &end, 0);
	return *end ? def : n;
}

static inline double ini_get_double(dictionary *d, const char *key, double def)
{
	const char *v = ini_get(d, key, NULL);

	return v && *v ? strtod(v, NULL) : def;
}

/* true/yes/1/on, false/no/0/off; def otherwise. */
static inline bool ini_get_bool(dictionary *d, const char *key, bool def)
{
	const char *v = ini_get(d, key, NULL);

	if (!v)
		return def;
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
	    !strcmp(v, "1") || !strcasecmp(v, "on"))
		return true;
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	    !strcmp(v, "0") || !strcasecmp(v, "off"))
		return false;
	return def;
}

#endif
