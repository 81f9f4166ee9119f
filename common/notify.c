#include "notify.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "secret.h"

#define NOTIFY_CONNECT_TIMEOUT 5
#define NOTIFY_REPLY_MAX       4096
/* Telegram refuses texts over 4096 characters; keep room for markup. */
#define TELEGRAM_TEXT_MAX 3800

static const char *sev_emoji[] = {"\xF0\x9F\x9A\xA8", "\xE2\x9D\x8C",
				  "\xE2\x9A\xA0\xEF\xB8\x8F", "\xE2\x9C\x85",
				  "\xE2\x84\xB9\xEF\xB8\x8F"};

/* libcurl is loaded when a channel is configured, not linked: a monitor
 * that only writes alert files never maps it (nor OpenSSL through it). */
static struct {
	void *so;
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
	char *(*easy_escape)(CURL *, const char *, int);
	void (*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} lc;

#define LOAD(field, name) (*(void **)&lc.field = dlsym(lc.so, name)) != NULL

int notify_global_init(char *err, size_t errlen)
{
	if (lc.so)
		return 0;
	lc.so = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lc.so) {
		snprintf(err, errlen, "unable to load libcurl: %s", dlerror());
		return -1;
	}
	if (!(LOAD(global_init, "curl_global_init") &&
	      LOAD(global_cleanup, "curl_global_cleanup") &&
	      LOAD(easy_init, "curl_easy_init") &&
	      LOAD(easy_setopt, "curl_easy_setopt") &&
	      LOAD(easy_perform, "curl_easy_perform") &&
	      LOAD(easy_getinfo, "curl_easy_getinfo") &&
	      LOAD(easy_strerror, "curl_easy_strerror") &&
	      LOAD(easy_cleanup, "curl_easy_cleanup") &&
	      LOAD(easy_escape, "curl_easy_escape") &&
	      LOAD(free, "curl_free") &&
	      LOAD(slist_append, "curl_slist_append") &&
	      LOAD(slist_free_all, "curl_slist_free_all")) ||
	    lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "unable to start libcurl");
		dlclose(lc.so);
		memset(&lc, 0, sizeof(lc));
		return -1;
	}
	return 0;
}

void notify_global_cleanup(void)
{
	if (!lc.so)
		return;
	/* not dlclose()d: OpenSSL, loaded through it, stays until exit */
	lc.global_cleanup();
}

const char *notify_channel_name(enum notify_channel ch)
{
	return ch == NOTIFY_TELEGRAM ? "telegram" : "webhook";
}

bool notify_channel_on(const struct notify_targets *t, enum notify_channel ch)
{
	if (ch == NOTIFY_TELEGRAM)
		return t->tg_token[0] && t->tg_chat[0];
	return t->webhook_url[0] != '\0';
}

/* A secret from a file (first line, trimmed) or else from the environment. */
int notify_targets_load(const struct pgw_config *c, struct notify_targets *t,
			char *err, size_t errlen)
{
	const char *tg_file = c->telegram_token_file;
	const char *tg_env = "TELEGRAM_BOT_TOKEN";

	memset(t, 0, sizeof(*t));
	snprintf(t->tg_api, sizeof(t->tg_api), "%s", c->telegram_api_url);
	snprintf(t->tg_chat, sizeof(t->tg_chat), "%s", c->telegram_chat_id);
	snprintf(t->kube_workload, sizeof(t->kube_workload), "%s",
		 c->kube_workload);
	t->tg_markdown = strcmp(c->telegram_format, "markdownv2") == 0;
	t->timeout = c->send_timeout;
	/* the pod mounts an optional Secret there: until it is created, the
	 * file is absent and Telegram is simply not set up */
	if (tg_file[0] && access(tg_file, F_OK) < 0 && errno == ENOENT) {
		log_info("telegram token file '%s' does not exist: no telegram "
			 "alerts",
			 tg_file);
		tg_file = NULL;
		tg_env = NULL;
	}
	if (secret_read(tg_file, tg_env, "token file", SECRET_TRIM, t->tg_token,
			sizeof(t->tg_token), err, errlen) < 0 ||
	    secret_read(c->webhook_url_file, "WEBHOOK_URL", "webhook URL file",
			SECRET_TRIM, t->webhook_url, sizeof(t->webhook_url),
			err, errlen) < 0)
		return -1;
	return 0;
}

/* Append s to out at *o, never past cap - 1; keeps out terminated. */
static void put(char *out, size_t cap, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + 1 >= cap)
		return;
	if (n > cap - 1 - *o)
		n = cap - 1 - *o;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
}

size_t notify_escape_html(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	char c[2] = {0, 0};

	out[0] = '\0';
	for (; *in; in++) {
		if (*in == '<')
			put(out, cap, &o, "&lt;");
		else if (*in == '>')
			put(out, cap, &o, "&gt;");
		else if (*in == '&')
			put(out, cap, &o, "&amp;");
		else if (*in == '"')
			put(out, cap, &o, "&quot;");
		else {
			c[0] = *in;
			put(out, cap, &o, c);
		}
	}
	return o;
}

size_t notify_escape_markdown(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	char c[3] = {'\\', 0, 0};

	out[0] = '\0';
	for (; *in; in++) {
		c[1] = *in;
		put(out, cap, &o,
		    strchr("_*[]()~`>#+-=|{}.!\\", *in) ? c : c + 1);
	}
	return o;
}

size_t notify_escape_json(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	char u[8];

	out[0] = '\0';
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (*p == '"' || *p == '\\') {
			u[0] = '\\';
			u[1] = (char)*p;
			u[2] = '\0';
		} else if (*p == '\n') {
			snprintf(u, sizeof(u), "\\n");
		} else if (*p < 0x20) {
			snprintf(u, sizeof(u), "\\u%04x", *p);
		} else {
			u[0] = (char)*p;
			u[1] = '\0';
		}
		put(out, cap, &o, u);
	}
	return o;
}

typedef size_t (*escape_fn)(const char *, char *, size_t);

/* Quick actions for alerts that need a person, unless the alert has some. */
static void quick_actions(const struct alert_rec *a, const char *workload,
			  char *out, size_t cap)
{
	static const char *containers[] = {"monitor", "backupper", "restorer",
					   "db"};
	const char *ct = "monitor";

	out[0] = '\0';
	if (a->sev > ALERT_WARNING || strstr(a->details, "Quick Actions:"))
		return;
	for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++)
		if (strcmp(a->source, containers[i]) == 0)
			ct = containers[i];
	snprintf(out, cap,
		 "Quick Actions:\nkubectl exec %s -c monitor -- pgwarden "
		 "status\nkubectl logs %s -c %s --tail=20",
		 workload, workload, ct);
}

/* The layout of README "Alerts"; bold/code markers depend on the format. */
static size_t format_text(const struct alert_rec *a, int count,
			  const char *workload, escape_fn esc, const char *b0,
			  const char *b1, const char *c0, const char *c1,
			  char *out, size_t cap)
{
	char tmp[ALERT_DETAILS_MAX * 2], qa[512], line[256];
	size_t o = 0;
	const char *f[][2] = {{"System:", a->system},
			      {"Time:", a->time},
			      {"Environment:", a->environment}};

	out[0] = '\0';
	snprintf(line, sizeof(line), "%s %s - %s", sev_emoji[a->sev], a->title,
		 alert_severity_name(a->sev));
	esc(line, tmp, sizeof(tmp));
	put(out, cap, &o, b0);
	put(out, cap, &o, tmp);
	put(out, cap, &o, b1);
	put(out, cap, &o, "\n");
	for (size_t i = 0; i < 3; i++) {
		esc(f[i][0], tmp, sizeof(tmp));
		put(out, cap, &o, "\n");
		put(out, cap, &o, b0);
		put(out, cap, &o, tmp);
		put(out, cap, &o, b1);
		put(out, cap, &o, " ");
		esc(f[i][1], tmp, sizeof(tmp));
		put(out, cap, &o, tmp);
	}
	esc("Message:", tmp, sizeof(tmp));
	put(out, cap, &o, "\n\n");
	put(out, cap, &o, b0);
	put(out, cap, &o, tmp);
	put(out, cap, &o, b1);
	put(out, cap, &o, "\n");
	esc(a->message, tmp, sizeof(tmp));
	put(out, cap, &o, tmp);
	if (a->details[0]) {
		put(out, cap, &o, "\n\n");
		esc(a->details, tmp, sizeof(tmp));
		put(out, cap, &o, tmp);
	}
	if (count > 1) {
		snprintf(line, sizeof(line),
			 "\xF0\x9F\x94\x81 Repeated %d times (identical "
			 "alerts collapsed)",
			 count);
		esc(line, tmp, sizeof(tmp));
		put(out, cap, &o, "\n\n");
		put(out, cap, &o, tmp);
	}
	quick_actions(a, workload, qa, sizeof(qa));
	if (qa[0]) {
		char *nl = strchr(qa, '\n');
		*nl = '\0';
		esc(qa, tmp, sizeof(tmp));
		put(out, cap, &o, "\n\n");
		put(out, cap, &o, tmp);
		put(out, cap, &o, "\n");
		put(out, cap, &o, c0);
		esc(nl + 1, tmp, sizeof(tmp));
		put(out, cap, &o, tmp);
		put(out, cap, &o, c1);
	}
	return o;
}

static size_t no_escape(const char *in, char *out, size_t cap)
{
	return (size_t)snprintf(out, cap, "%s", in);
}

static size_t json_field(char *out, size_t cap, size_t o, const char *key,
			 const char *val, int last)
{
	char tmp[ALERT_DETAILS_MAX * 2];

	notify_escape_json(val, tmp, sizeof(tmp));
	put(out, cap, &o, "\"");
	put(out, cap, &o, key);
	put(out, cap, &o, "\":\"");
	put(out, cap, &o, tmp);
	put(out, cap, &o, last ? "\"" : "\",");
	return o;
}

static size_t json_body(const struct alert_rec *a, int count,
			const char *workload, char *out, size_t cap)
{
	char text[ALERT_DETAILS_MAX * 2], num[64];
	size_t o = 0;

	format_text(a, count, workload, no_escape, "", "", "", "", text,
		    sizeof(text));
	put(out, cap, &o, "{");
	o = json_field(out, cap, o, "text", text, 0);
	o = json_field(out, cap, o, "severity", alert_severity_name(a->sev), 0);
	o = json_field(out, cap, o, "event", a->event, 0);
	o = json_field(out, cap, o, "source", a->source, 0);
	o = json_field(out, cap, o, "title", a->title, 0);
	o = json_field(out, cap, o, "system", a->system, 0);
	o = json_field(out, cap, o, "time", a->time, 0);
	o = json_field(out, cap, o, "environment", a->environment, 0);
	o = json_field(out, cap, o, "message", a->message, 0);
	o = json_field(out, cap, o, "details", a->details, 0);
	o = json_field(out, cap, o, "alert_file", a->file, 0);
	snprintf(num, sizeof(num), "\"count\":%d}", count < 1 ? 1 : count);
	put(out, cap, &o, num);
	return o;
}

size_t notify_format(const struct notify_targets *t, enum notify_channel ch,
		     const struct alert_rec *a, int count, char *out,
		     size_t cap)
{
	if (ch == NOTIFY_WEBHOOK)
		return json_body(a, count, t->kube_workload, out, cap);
	if (t->tg_markdown)
		return format_text(a, count, t->kube_workload,
				   notify_escape_markdown, "*", "*", "```\n",
				   "\n```", out, cap);
	return format_text(a, count, t->kube_workload, notify_escape_html,
			   "<b>", "</b>", "<code>", "</code>", out, cap);
}

/* ---- HTTP ---- */

struct reply {
	char body[NOTIFY_REPLY_MAX];
	size_t len;
	long retry_after; /* from a Retry-After header */
	volatile const sig_atomic_t *cancel;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n, room = sizeof(r->body) - 1 - r->len;

	if (len < room)
		room = len;
	memcpy(r->body + r->len, data, room);
	r->len += room;
	r->body[r->len] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
		r->retry_after = strtol(data + 12, NULL, 10);
	return len;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
		       curl_off_t d)
{
	const struct reply *r = arg;

	(void)a, (void)b, (void)c, (void)d;
	return r->cancel && *r->cancel ? 1 : 0;
}

/* The number after "key": in a small JSON reply; -1 when absent. */
static long json_number(const char *body, const char *key)
{
	const char *p = strstr(body, key);

	if (!p)
		return -1;
	p += strlen(key);
	while (*p == '"' || *p == ':' || *p == ' ')
		p++;
	return strtol(p, NULL, 10);
}

static void classify(long http, struct reply *rep, struct notify_result *r)
{
	char desc[200] = "";
	const char *d = strstr(rep->body, "\"description\"");

	r->http = http;
	if (d && sscanf(d, "\"description\" : \"%199[^\"]", desc) != 1)
		sscanf(d, "\"description\":\"%199[^\"]", desc);
	if (http >= 200 && http < 300) {
		r->status = NOTIFY_SENT;
		return;
	}
	snprintf(r->error, sizeof(r->error), "HTTP %ld%s%s", http,
		 desc[0] ? ": " : "", desc);
	if (http == 429) {
		long ra = json_number(rep->body, "\"retry_after\"");
		r->retry_after = ra > 0 ? ra : rep->retry_after;
	}
	/* other client errors (bad token, chat, markup) will not heal */
	r->status = (http >= 400 && http < 500 && http != 408 && http != 429)
			    ? NOTIFY_GIVE_UP
			    : NOTIFY_RETRY;
}

static void http_post(const char *url, const char *body, const char *ctype,
		      int timeout, volatile const sig_atomic_t *cancel,
		      struct notify_result *r)
{
	CURL *h = lc.easy_init();
	struct curl_slist *hdr = NULL;
	struct reply rep = {.cancel = cancel};
	char errbuf[CURL_ERROR_SIZE] = "", hline[128];
	CURLcode rc;
	long http = 0;

	if (!h) {
		snprintf(r->error, sizeof(r->error), "unable to start libcurl");
		r->status = NOTIFY_RETRY;
		return;
	}
	snprintf(hline, sizeof(hline), "Content-Type: %s", ctype);
	hdr = lc.slist_append(hdr, hline);
	lc.easy_setopt(h, CURLOPT_URL, url);
	lc.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	lc.easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	lc.easy_setopt(h, CURLOPT_POSTFIELDS, body);
	lc.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	lc.easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
		       (long)(timeout < NOTIFY_CONNECT_TIMEOUT
				      ? timeout
				      : NOTIFY_CONNECT_TIMEOUT));
	lc.easy_setopt(h, CURLOPT_TIMEOUT, (long)timeout);
	lc.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	lc.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	lc.easy_setopt(h, CURLOPT_WRITEDATA, &rep);
	lc.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	lc.easy_setopt(h, CURLOPT_HEADERDATA, &rep);
	lc.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	lc.easy_setopt(h, CURLOPT_XFERINFODATA, &rep);
	lc.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	lc.easy_setopt(h, CURLOPT_USERAGENT, "pgwarden");
	rc = lc.easy_perform(h);
	if (rc == CURLE_OK) {
		lc.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
		classify(http, &rep, r);
	} else {
		snprintf(r->error, sizeof(r->error), "%s",
			 errbuf[0] ? errbuf : lc.easy_strerror(rc));
		r->status = NOTIFY_RETRY;
	}
	log_scrub(r->error, sizeof(r->error));
	lc.slist_free_all(hdr);
	lc.easy_cleanup(h);
}

static char *form_value(CURL *h, const char *v)
{
	return lc.easy_escape(h, v, 0);
}

static void send_telegram(const struct notify_targets *t,
			  const struct alert_rec *a, int count,
			  volatile const sig_atomic_t *cancel,
			  struct notify_result *r)
{
	char text[TELEGRAM_TEXT_MAX + 1], url[CFG_STR_MAX + 300];
	CURL *h = lc.easy_init();
	char *etext, *echat, *body;
	size_t n;

	notify_format(t, NOTIFY_TELEGRAM, a, count, text, sizeof(text));
	etext = h ? form_value(h, text) : NULL;
	echat = h ? form_value(h, t->tg_chat) : NULL;
	n = (etext ? strlen(etext) : 0) + (echat ? strlen(echat) : 0) + 128;
	body = etext && echat ? malloc(n) : NULL;
	if (!body) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		r->status = NOTIFY_RETRY;
	} else {
		snprintf(body, n,
			 "chat_id=%s&parse_mode=%s&disable_web_page_preview="
			 "true&text=%s",
			 echat, t->tg_markdown ? "MarkdownV2" : "HTML", etext);
		snprintf(url, sizeof(url), "%s/bot%s/sendMessage", t->tg_api,
			 t->tg_token);
		http_post(url, body, "application/x-www-form-urlencoded",
			  t->timeout, cancel, r);
	}
	free(body);
	lc.free(etext);
	lc.free(echat);
	if (h)
		lc.easy_cleanup(h);
}

void notify_send(const struct notify_targets *t, enum notify_channel ch,
		 const struct alert_rec *a, int count,
		 volatile const sig_atomic_t *cancel, struct notify_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!lc.so) {
		snprintf(r->error, sizeof(r->error),
			 "libcurl is not loaded (notify_global_init)");
		r->status = NOTIFY_RETRY;
		return;
	}
	if (ch == NOTIFY_TELEGRAM) {
		send_telegram(t, a, count, cancel, r);
	} else {
		char *body = malloc(ALERT_DETAILS_MAX * 4);
		if (!body) {
			snprintf(r->error, sizeof(r->error), "out of memory");
			r->status = NOTIFY_RETRY;
			return;
		}
		notify_format(t, ch, a, count, body, ALERT_DETAILS_MAX * 4);
		http_post(t->webhook_url, body, "application/json", t->timeout,
			  cancel, r);
		free(body);
	}
}
