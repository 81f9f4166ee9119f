#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "dbcheck_result.h"
#include "proto.h"
#include "recovery_marker.h"
#include "server_status.h"
#include "unit.h"

/* The check result, printed by pgwarden-dbcheck, read by the monitor. */
static void test_dbcheck_result(void)
{
	struct dbcheck_result a = {.ping = true,
				   .connected = true,
				   .ok = false,
				   .checksum_failures = 42,
				   .cls = CHECK_LOCK_WAIT},
			      b;
	char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	snprintf(a.what, sizeof(a.what), "heartbeat write failed:\nline two");
	a.archive_failing = 75;
	snprintf(a.archive_wal, sizeof(a.archive_wal), "%s",
		 "000000010000000000000003");
	dbcheck_result_print(&a, f);
	fclose(f);
	CHECK(dbcheck_result_parse(buf, &b) == 0 && b.ping && b.connected &&
		      !b.ok && b.checksum_failures == 42 &&
		      b.cls == CHECK_LOCK_WAIT &&
		      strcmp(b.what, "heartbeat write failed: line two") == 0 &&
		      b.archive_failing == 75 &&
		      strcmp(b.archive_wal, "000000010000000000000003") == 0,
	      "check result round trip, what kept on one line");
	CHECK(dbcheck_result_parse("ok=1\n", &b) == 0 &&
		      b.archive_failing == -1,
	      "an older pgwarden-dbcheck's result: the archive not known");
	CHECK(dbcheck_result_parse("connection refused\n", &b) < 0 &&
		      b.checksum_failures == -1,
	      "output without ok= is not a check result");
	CHECK(dbcheck_result_parse("ok=0\nclass=nonsense\n", &b) == 0 &&
		      b.cls == CHECK_BROKEN,
	      "a failure of unknown class counts (broken)");
	CHECK(dbcheck_result_parse("ok=0\nclass=ok\n", &b) == 0 &&
		      b.cls == CHECK_BROKEN,
	      "a failure cannot claim class ok");
}

/* server.status: what pgwarden-db writes is what the restorer reads, a
 * reason with INI's special characters included. */
static void test_server_status(void)
{
	struct server_info a = {.pid = 7,
				.generation = 3,
				.physical_generation = 3,
				.physical_attempts = 2},
			   b;
	char *dir = unit_tmpdir();

	snprintf(a.state, sizeof(a.state), "running");
	snprintf(a.physical, sizeof(a.physical), "failed");
	snprintf(a.physical_base, sizeof(a.physical_base),
		 "base_20261202_050000.tar.gz");
	snprintf(a.physical_why, sizeof(a.physical_why),
		 "base_x: the archive lacks '1'; #2 \"quoted\"");
	CHECK(server_status_write(dir, &a) == 0, "server.status written");
	server_status_read(dir, &b);
	CHECK(strcmp(b.state, "running") == 0 && b.generation == 3 &&
		      strcmp(b.physical, "failed") == 0 &&
		      b.physical_attempts == 2 && b.physical_generation == 3 &&
		      strcmp(b.physical_base, a.physical_base) == 0,
	      "server.status round trip, physical outcome included");
	CHECK(strncmp(b.physical_why, "base_x: the archive lacks ,1,", 29) ==
			      0 &&
		      strstr(b.physical_why, ",2 ,quoted,"),
	      "physical_why keeps its words, quotes and comment marks made "
	      "harmless");
}

/* recovery-in-progress and request-restore: their writers' text is what
 * their readers take. */
static void test_recovery_files(void)
{
	struct recovery_marker m = {.pid = 42}, back;
	struct request_kv kv[8];
	char buf[1024], err[256];
	int n;

	strcpy(m.started, "2026-12-02T03:00:00Z");
	strcpy(m.reason, "monitor: 3 failed checks");
	strcpy(m.database, "app");
	strcpy(m.backup, "backup_20261202_030000_app.sql.gz");
	strcpy(m.tmp, "pgwarden_tmp_app_1");
	strcpy(m.phase, "swapping");
	CHECK(recovery_marker_format(&m, buf, sizeof(buf)) == 0,
	      "marker formatted");
	recovery_marker_parse(buf, &back);
	CHECK(memcmp(&m, &back, sizeof(m)) == 0, "marker round trip");
	CHECK(recovery_marker_format(&m, buf, 40) < 0,
	      "a marker that does not fit is refused");
	proto_restore_request(buf, sizeof(buf), "backup_x_app.sql.gz",
			      "a\nreason=forged");
	n = proto_request_parse(buf, proto_restore_keys, "backup", kv, 8, err,
				sizeof(err));
	CHECK(n == 2 &&
		      strcmp(proto_request_get(kv, n, "backup"),
			     "backup_x_app.sql.gz") == 0 &&
		      strcmp(proto_request_get(kv, n, "reason"),
			     "a reason=forged") == 0,
	      "restore request round trip; a line break in the reason is "
	      "not a new key");
	proto_restore_request(buf, sizeof(buf), NULL, "monitor");
	n = proto_request_parse(buf, proto_restore_keys, "backup", kv, 8, err,
				sizeof(err));
	CHECK(n == 1 && !proto_request_get(kv, n, "backup"),
	      "restore request without a backup");
}

int main(void)
{
	struct backup_name b, p;
	char name[NAME_MAX + 1], content[PROTO_REQUEST_MAX + 1], err[256];
	char path[PATH_MAX], stale[256];
	char *dir = unit_tmpdir();
	struct request_kv kv[8];
	const char *const keys[] = {"backup", "reason", NULL};
	int wait = 0, n, fd;

	test_dbcheck_result();
	test_server_status();
	test_recovery_files();
	memset(&b, 0, sizeof(b));
	b.kind = BACKUP_DATABASE;
	strcpy(b.stamp, "20250613_180002");
	strcpy(b.database, "app");
	CHECK(proto_backup_filename(&b, name, sizeof(name)) == 0, "name built");
	CHECK_STR(name, "backup_20250613_180002_app.sql.gz",
		  "the backup name format");
	CHECK(proto_backup_parse(name, &p) == 0 &&
		      strcmp(p.database, "app") == 0 &&
		      p.kind == BACKUP_DATABASE,
	      "round trip");
	strcpy(b.database, "my db/ü");
	proto_backup_filename(&b, name, sizeof(name));
	CHECK(strchr(name, '/') == NULL && strchr(name, ' ') == NULL,
	      "odd db names encoded");
	CHECK(proto_backup_parse(name, &p) == 0 &&
		      strcmp(p.database, "my db/ü") == 0,
	      "odd db name decodes");
	b.kind = BACKUP_GLOBALS;
	proto_backup_filename(&b, name, sizeof(name));
	CHECK_STR(name, "globals_20250613_180002.sql.gz", "globals name");
	CHECK(proto_backup_parse(name, &p) == 0 && p.kind == BACKUP_GLOBALS,
	      "globals parse");
	CHECK(proto_backup_parse("backup_20250613_180002_app.sql.gz.partial",
				 &p) < 0,
	      "partial is not a backup");
	CHECK(proto_backup_parse("backup_20251313_180002_app.sql.gz", &p) < 0,
	      "bad month refused");
	CHECK(proto_backup_parse("backup_20250613_180002_%00.sql.gz", &p) < 0,
	      "NUL escape refused");
	CHECK(proto_backup_parse("../backup_20250613_180002_a.sql.gz", &p) < 0,
	      "path refused");

	/* request claim: settle, claim once, content, binary rejected */
	fs_write_atomic(dir, "request-restore", "backup=x.sql.gz\n", 16);
	CHECK(proto_request_claim(dir, "request-restore", 10000, content,
				  sizeof(content), &wait) == REQ_SETTLING &&
		      wait > 0,
	      "fresh request settles");
	CHECK(proto_request_claim(dir, "request-restore", 0, content,
				  sizeof(content), &wait) == REQ_CLAIMED,
	      "claimed");
	CHECK_STR(content, "backup=x.sql.gz\n", "content read");
	CHECK(access(fs_join(path, dir, "request-restore"), F_OK) < 0,
	      "file consumed");
	CHECK(proto_request_claim(dir, "request-restore", 0, content,
				  sizeof(content), &wait) == REQ_NONE,
	      "consumed exactly once");
	n = proto_request_parse("backup=a.sql.gz\nreason=manual\n", keys, NULL,
				kv, 8, err, sizeof(err));
	CHECK(n == 2 &&
		      strcmp(proto_request_get(kv, n, "reason"), "manual") == 0,
	      "key=value parsed");
	n = proto_request_parse("backup_1.sql.gz\n", keys, "backup", kv, 8, err,
				sizeof(err));
	CHECK(n == 1 && strcmp(kv[0].value, "backup_1.sql.gz") == 0,
	      "bare value");
	CHECK(proto_request_parse("rm -rf /\n", keys, NULL, kv, 8, err,
				  sizeof(err)) < 0,
	      "garbage refused");
	CHECK(proto_request_parse("\x01\x02garbage", keys, NULL, kv, 8, err,
				  sizeof(err)) < 0 &&
		      strstr(err, "binary"),
	      "binary refused");
	CHECK(proto_request_parse("", keys, NULL, kv, 8, err, sizeof(err)) == 0,
	      "empty is a plain request");

	/* recovery marker: exclusive, stale detection */
	fd = proto_recovery_begin(dir, "pid=1\n", stale, sizeof(stale));
	CHECK(fd >= 0, "marker created");
	CHECK(proto_recovery_active(dir), "marker active");
	proto_recovery_end(dir, fd);
	CHECK(!proto_recovery_exists(dir), "marker removed");
	fs_write_atomic(dir, "recovery-in-progress", "pid=999999\n", 11);
	CHECK(proto_recovery_begin(dir, "pid=2\n", stale, sizeof(stale)) ==
			      -3 &&
		      strstr(stale, "999999"),
	      "stale marker detected");
	CHECK(proto_recovery_clear_stale(dir) == 0 &&
		      !proto_recovery_exists(dir),
	      "stale cleared");
	return unit_done();
}
