/*
 * notify.h - turn an alert record into a message for people and send it:
 * Telegram Bot API sendMessage and a generic JSON webhook, over libcurl.
 *
 * Contract:
 *  - secrets (bot token, webhook URL, which may carry credentials) are read
 *    from the files named in the config or from the environment
 *    (TELEGRAM_BOT_TOKEN, WEBHOOK_URL), registered with log_add_secret(),
 *    and kept only in struct notify_targets: never in argv, a log line, an
 *    alert file or status output.
 *  - every dynamic value is escaped for the chosen format (HTML or
 *    MarkdownV2 for Telegram, JSON for the webhook).
 *  - a send never blocks longer than the configured timeout (connect
 *    timeout at most 5 s) and can be cancelled through the cancel flag; the
 *    result says whether to retry, after how long the server asked (HTTP
 *    429 retry_after / Retry-After), or to give up (other 4xx).
 *  - libcurl is not linked: notify_global_init() loads it (dlopen) and runs
 *    curl_global_init(), before any thread starts and only when a channel
 *    is configured, so a process without channels never maps it.
 */
#ifndef PGW_NOTIFY_H
#define PGW_NOTIFY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "alert.h"
#include "cfg.h"

enum notify_channel { NOTIFY_TELEGRAM, NOTIFY_WEBHOOK, NOTIFY_NCHANNELS };

struct notify_targets {
	char tg_api[CFG_STR_MAX];
	char tg_token[256];
	char tg_chat[64];
	bool tg_markdown;
	char webhook_url[CFG_STR_MAX];
	int timeout; /* seconds, whole request */
	char kube_workload[128];
};

enum notify_status { NOTIFY_SENT, NOTIFY_RETRY, NOTIFY_GIVE_UP };

struct notify_result {
	enum notify_status status;
	long http;	  /* 0 when no HTTP answer */
	long retry_after; /* seconds the server asked us to wait, 0 none */
	char error[256];  /* why it failed, scrubbed */
};

int notify_global_init(char *err, size_t errlen);
void notify_global_cleanup(void);
/* Load channel settings and secrets. 0 (possibly with no channel on), or
 * -1 with a reason in err (an unreadable secret file). */
int notify_targets_load(const struct pgw_config *c, struct notify_targets *t,
			char *err, size_t errlen);
bool notify_channel_on(const struct notify_targets *t, enum notify_channel ch);
const char *notify_channel_name(enum notify_channel ch);

/* The message for one channel: Telegram text (HTML or MarkdownV2, as
 * configured) or the webhook's JSON body. count > 1 adds "repeated N
 * times". Returns the length written (always NUL-terminated, cut to fit
 * cap). */
size_t notify_format(const struct notify_targets *t, enum notify_channel ch,
		     const struct alert_rec *a, int count, char *out,
		     size_t cap);
/* Escaping used by the formats, exposed for tests. */
size_t notify_escape_html(const char *in, char *out, size_t cap);
size_t notify_escape_markdown(const char *in, char *out, size_t cap);
size_t notify_escape_json(const char *in, char *out, size_t cap);

/* Send one alert on one channel. cancel may be NULL. */
void notify_send(const struct notify_targets *t, enum notify_channel ch,
		 const struct alert_rec *a, int count,
		 volatile const sig_atomic_t *cancel, struct notify_result *r);

#endif
