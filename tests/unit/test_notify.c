/* notify_ and alert_read/alert_mark: escaping for every format, message
 * layout, and the alert file round trip. No network: sending is covered by
 * tests/bats/50-alerts.bats against a local receiver. */
#include <limits.h>
#include <dirent.h>
#include <stdio.h>

#include "alert.h"
#include "fs.h"
#include "log.h"
#include "notify.h"
#include "unit.h"

static void test_escaping(void)
{
	char out[256];

	notify_escape_html("a<b>&\"c_d*e", out, sizeof(out));
	CHECK_STR(out, "a&lt;b&gt;&amp;&quot;c_d*e", "html escapes < > & \"");
	notify_escape_markdown("a_b*c[d](e)~`>#+-=|{}.!\\", out, sizeof(out));
	CHECK_STR(out,
		  "a\\_b\\*c\\[d\\]\\(e\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\."
		  "\\!\\\\",
		  "markdownv2 escapes every reserved character");
	notify_escape_json("q\"b\\n\n\t\x01", out, sizeof(out));
	CHECK_STR(out, "q\\\"b\\\\n\\n\\u0009\\u0001", "json escapes");
	notify_escape_html("<<<<<<<<", out, 10);
	CHECK(strlen(out) <= 9, "escaping never overruns its buffer");
	notify_escape_html("ü€", out, sizeof(out));
	CHECK_STR(out, "ü€", "utf-8 passes through");
}

static void test_round_trip(void)
{
	char *dir = unit_tmpdir(), err[256], name[300] = "", text[8192];
	struct alert_ctx ac = {dir, "PostgreSQL Backup System", "Staging",
			       "backupper"};
	struct alert_rec a;
	struct notify_targets t;
	DIR *d;
	struct dirent *de;

	alert_init(&ac);
	CHECK(alert_emit(ALERT_ERROR, "backup-failed", "Database Backup",
			 "pg_dump failed <x>", "• File: a_b.sql.gz") == 0,
	      "alert written");
	d = opendir(dir);
	while ((de = readdir(d)) != NULL)
		if (alert_is_name(de->d_name))
			snprintf(name, sizeof(name), "%s", de->d_name);
	closedir(d);
	CHECK(strstr(name, "-ERROR-backup-failed") != NULL, "alert name");
	CHECK(alert_read(dir, name, &a, err, sizeof(err)) == 0, "alert read");
	CHECK(a.sev == ALERT_ERROR, "severity parsed");
	CHECK_STR(a.event, "backup-failed", "event parsed");
	CHECK_STR(a.source, "backupper", "source parsed");
	CHECK_STR(a.title, "Database Backup", "title parsed");
	CHECK_STR(a.environment, "Staging", "environment parsed");
	CHECK_STR(a.message, "pg_dump failed <x>", "message parsed");
	CHECK_STR(a.details, "• File: a_b.sql.gz", "details parsed");
	CHECK_STR(a.delivery, "", "pending: no delivery header");
	CHECK(alert_mark(dir, name, "sent now via telegram") == 0, "marked");
	CHECK(alert_mark(dir, name, "undelivered: x") == 0, "re-marked");
	CHECK(alert_read(dir, name, &a, err, sizeof(err)) == 0 &&
		      strcmp(a.delivery, "undelivered: x") == 0 &&
		      strcmp(a.message, "pg_dump failed <x>") == 0,
	      "one delivery header, body intact");

	memset(&t, 0, sizeof(t));
	strcpy(t.kube_workload, "statefulset/db");
	notify_format(&t, NOTIFY_TELEGRAM, &a, 3, text, sizeof(text));
	CHECK(strstr(text, "<b>❌ Database Backup - ERROR</b>") != NULL,
	      "html title with emoji");
	CHECK(strstr(text, "pg_dump failed &lt;x&gt;") != NULL,
	      "html message escaped");
	CHECK(strstr(text, "Repeated 3 times") != NULL, "count shown");
	CHECK(strstr(text, "-c backupper --tail=20") != NULL,
	      "quick action names the container");
	t.tg_markdown = true;
	notify_format(&t, NOTIFY_TELEGRAM, &a, 1, text, sizeof(text));
	CHECK(strstr(text, "*❌ Database Backup \\- ERROR*") != NULL,
	      "markdown title");
	CHECK(strstr(text, "a\\_b\\.sql\\.gz") != NULL,
	      "markdown details escaped");
	notify_format(&t, NOTIFY_WEBHOOK, &a, 1, text, sizeof(text));
	CHECK(strstr(text, "\"severity\":\"ERROR\"") != NULL &&
		      strstr(text, "\"count\":1}") != NULL,
	      "webhook json fields");
	CHECK(alert_read(dir, "missing", &a, err, sizeof(err)) < 0,
	      "missing alert is an error");
	CHECK(fs_write_atomic(dir, "alert-garbage", "\x01\x02zz", 4) == 0 &&
		      alert_read(dir, "alert-garbage", &a, err, sizeof(err)) <
			      0,
	      "garbage is not an alert");
}

static void test_secrets(void)
{
	struct pgw_config c;
	struct notify_targets t;
	char err[256], *dir = unit_tmpdir(), line[256];

	cfg_defaults(&c);
	fs_write_atomic(dir, "token", "42:SECRETvalue\n", 15);
	snprintf(c.telegram_token_file, sizeof(c.telegram_token_file),
		 "%s/token", dir);
	strcpy(c.telegram_chat_id, "-5");
	CHECK(notify_targets_load(&c, &t, err, sizeof(err)) == 0,
	      "targets load");
	CHECK_STR(t.tg_token, "42:SECRETvalue", "token trimmed from file");
	CHECK(notify_channel_on(&t, NOTIFY_TELEGRAM), "telegram on");
	snprintf(line, sizeof(line), "url /bot42:SECRETvalue/sendMessage");
	log_scrub(line, sizeof(line));
	CHECK(strstr(line, "SECRETvalue") == NULL, "token scrubbed from logs");
	strcpy(c.telegram_token_file, "/nonexistent/token");
	CHECK(notify_targets_load(&c, &t, err, sizeof(err)) == 0 &&
		      !notify_channel_on(&t, NOTIFY_TELEGRAM),
	      "an absent token file (its optional Secret not created yet) "
	      "is telegram off");
	snprintf(c.telegram_token_file, sizeof(c.telegram_token_file),
		 "%s/token/x", dir);
	CHECK(notify_targets_load(&c, &t, err, sizeof(err)) < 0 &&
		      strstr(err, "unable to open") != NULL,
	      "unreadable secret file is an error");
}

int main(void)
{
	test_escaping();
	test_round_trip();
	test_secrets();
	return unit_done();
}
