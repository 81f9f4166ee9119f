#include "server_status.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fs.h"
#include "ini.h"
#include "proto.h"
#include "tm.h"

int server_status_write(const char *dir, const struct server_info *si)
{
	char buf[10240], since[TM_ISO_LEN], now[TM_ISO_LEN], reinit[TM_ISO_LEN];
	char why[sizeof(si->physical_why)];
	size_t o;

	/* one INI value: no comment characters, no line breaks */
	snprintf(why, sizeof(why), "%s", si->physical_why);
	ini_value_clean(why);
	o = (size_t)snprintf(
		buf, sizeof(buf),
		"[server]\nstate = %s\npid = %d\nsince = %s\nrestarts = %d\n"
		"start_failures = %d\ngeneration = %d\nlast_reinit = %s\n"
		"damaged_dir = %s\nupdated = %s\n",
		si->state, si->pid,
		si->since ? tm_iso(si->since, since) : "never", si->restarts,
		si->start_failures, si->generation,
		si->last_reinit ? tm_iso(si->last_reinit, reinit) : "never",
		si->damaged_dir, tm_iso(tm_now(), now));
	if (si->physical[0] && o < sizeof(buf))
		snprintf(buf + o, sizeof(buf) - o,
			 "physical = %s\nphysical_base = %s\nphysical_why = "
			 "%s\nphysical_generation = %d\nphysical_attempts = "
			 "%d\n",
			 si->physical, si->physical_base, why,
			 si->physical_generation, si->physical_attempts);
	return fs_write_atomic(dir, PROTO_SERVER_STATUS, buf, strlen(buf));
}

void server_status_read(const char *dir, struct server_info *out)
{
	char path[PATH_MAX];
	dictionary *d;

	memset(out, 0, sizeof(*out));
	out->generation = out->restarts = out->start_failures = -1;
	out->age = fs_age(dir, PROTO_SERVER_STATUS);
	if (fs_size(dir, PROTO_SERVER_STATUS) < 0)
		return;
	d = iniparser_load(fs_join(path, dir, PROTO_SERVER_STATUS));
	if (!d)
		return;
	snprintf(out->state, sizeof(out->state), "%s",
		 ini_get(d, "server:state", ""));
	out->pid = (int)ini_get_int(d, "server:pid", 0);
	out->generation = (int)ini_get_int(d, "server:generation", -1);
	out->restarts = (int)ini_get_int(d, "server:restarts", -1);
	out->start_failures = (int)ini_get_int(d, "server:start_failures", -1);
	if (tm_parse_iso(ini_get(d, "server:since", ""), &out->since) < 0)
		out->since = 0;
	if (tm_parse_iso(ini_get(d, "server:last_reinit", ""),
			 &out->last_reinit) < 0)
		out->last_reinit = 0;
	snprintf(out->damaged_dir, sizeof(out->damaged_dir), "%s",
		 ini_get(d, "server:damaged_dir", ""));
	snprintf(out->physical, sizeof(out->physical), "%s",
		 ini_get(d, "server:physical", ""));
	snprintf(out->physical_base, sizeof(out->physical_base), "%s",
		 ini_get(d, "server:physical_base", ""));
	snprintf(out->physical_why, sizeof(out->physical_why), "%s",
		 ini_get(d, "server:physical_why", ""));
	out->physical_generation =
		(int)ini_get_int(d, "server:physical_generation", -1);
	out->physical_attempts =
		(int)ini_get_int(d, "server:physical_attempts", 0);
	iniparser_freedict(d);
}
