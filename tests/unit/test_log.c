#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "alert.h"
#include "fs.h"
#include "log.h"
#include "unit.h"

int main(void)
{
	char buf[512], path[PATH_MAX], *dir = unit_tmpdir(), *data;
	struct alert_ctx ac = {dir, "PostgreSQL Backup System", "Test", "unit"};
	FILE *f;
	char cmd[PATH_MAX + 64];

	log_init("unit");
	log_add_secret("s3cr3t-pass");
	snprintf(buf, sizeof(buf), "connecting with s3cr3t-pass now");
	log_scrub(buf, sizeof(buf));
	CHECK_STR(buf, "connecting with *** now", "registered secret scrubbed");
	snprintf(buf, sizeof(buf), "host=x password=hunter22 user=y");
	log_scrub(buf, sizeof(buf));
	CHECK(strstr(buf, "hunter22") == NULL && strstr(buf, "user=y"),
	      "password= keyword scrubbed");
	snprintf(buf, sizeof(buf), "GET /bot123456:AAHsecretTOKEN/sendMessage");
	log_scrub(buf, sizeof(buf));
	CHECK(strstr(buf, "AAHsecretTOKEN") == NULL, "telegram token scrubbed");

	CHECK(log_open(LOG_MAIN, fs_join(path, dir, "x.log")) == 0,
	      "log opens");
	log_info("unable to open '%s': %s", "x", "No such file or directory");
	log_error("the password is s3cr3t-pass");
	data = fs_read_small(dir, "x.log", 4096, NULL);
	CHECK(data && strstr(data, "INFO [unit] unable to open 'x'"),
	      "line format");
	CHECK(data && strstr(data, "s3cr3t-pass") == NULL, "no secret in file");
	CHECK(data && data[4] == '-' && data[10] == 'T' &&
		      strstr(data, "Z INFO"),
	      "ISO-8601 UTC timestamp");
	free(data);
	log_close_all();

	alert_init(&ac);
	CHECK(alert_emit(ALERT_SUCCESS, "backup", "Database Backup",
			 "Database backup completed successfully!",
			 "File: b.sql.gz, token s3cr3t-pass") == 0,
	      "alert written");
	snprintf(cmd, sizeof(cmd),
		 "ls %s | grep -c '^alert-.*-SUCCESS-backup$'", dir);
	f = popen(cmd, "r");
	CHECK(f && fgets(buf, sizeof(buf), f) && atoi(buf) == 1,
	      "alert file named by protocol");
	if (f)
		pclose(f);
	snprintf(cmd, sizeof(cmd), "cat %s/alert-*", dir);
	f = popen(cmd, "r");
	data = calloc(1, 4096);
	if (f) {
		size_t got = fread(data, 1, 4095, f);
		data[got] = '\0';
		pclose(f);
	}
	CHECK(strstr(data, "Database Backup - SUCCESS") &&
		      strstr(data, "Environment: Test") &&
		      strstr(data, "System: PostgreSQL Backup System"),
	      "the alert layout of README \"Alerts\"");
	CHECK(strstr(data, "s3cr3t-pass") == NULL, "no secret in alert");
	free(data);
	log_clear_secrets();
	return unit_done();
}
