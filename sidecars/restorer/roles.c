#include "roles.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "bfile.h"
#include "globals.h"
#include "log.h"

#define GLOBALS_MAX (16u << 20) /* a globals dump is small; refuse more */

struct text {
	char *data;
	size_t len;
};

static int append_text(void *arg, const void *data, size_t len)
{
	struct text *t = arg;
	char *p;

	if (t->len + len + 1 > GLOBALS_MAX ||
	    !(p = realloc(t->data, t->len + len + 1)))
		return -1;
	memcpy(p + t->len, data, len);
	t->data = p;
	t->len += len;
	t->data[t->len] = '\0';
	return 0;
}

const char *roles_created_in(const char *line, size_t *len)
{
	static const char prefix[] = "CREATE ROLE ";
	size_t n = strlen(line);

	if (strncmp(line, prefix, sizeof(prefix) - 1) != 0 || n < 14 ||
	    line[n - 1] != ';')
		return NULL;
	*len = n - 1 - (sizeof(prefix) - 1);
	return line + sizeof(prefix) - 1;
}

static bool role_follows(const char *p, const char *role, size_t len,
			 const char *ends)
{
	return strncmp(p, role, len) == 0 && p[len] != '\0' &&
	       strchr(ends, p[len]) != NULL;
}

int roles_line_is_for(const char *line, const char *role, size_t len)
{
	static const char *const own[] = {"ALTER ROLE ", "COMMENT ON ROLE "};
	const char *to;

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strncmp(line, own[i], strlen(own[i])) == 0)
			return role_follows(line + strlen(own[i]), role, len,
					    " ;");
	if (strncmp(line, "GRANT ", 6) != 0)
		return 0;
	if (role_follows(line + 6, role, len, " ")) /* its own members */
		return strncmp(line + 6 + len, " TO ", 4) == 0;
	for (to = strstr(line, " TO "); to; to = strstr(to + 1, " TO "))
		if (role_follows(to + 4, role, len, " ;,"))
			return 1;
	return 0;
}

/* 1 created, 0 it exists, -1 another error (logged). */
static int create_role(PGconn *admin, const char *line, const char *role,
		       size_t len)
{
	PGresult *res = PQexec(admin, line);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 1
		 : state && strcmp(state, "42710") == 0	 ? 0
							 : -1;

	if (rc < 0)
		log_error("unable to re-create role %.*s: %s", (int)len, role,
			  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	PQclear(res);
	return rc;
}

/* The text's lines, each NUL-terminated in place ('\n' replaced). */
static void split_lines(struct text *t)
{
	for (char *p = t->data;
	     (p = memchr(p, '\n', t->len - (size_t)(p - t->data))); p++)
		*p = '\0';
}

static const char *text_end(const struct text *t)
{
	return t->data + t->len;
}

static void apply_role_lines(PGconn *admin, const struct text *t,
			     const char *role, size_t len)
{
	for (char *l = t->data; l < text_end(t); l += strlen(l) + 1) {
		PGresult *res;
		if (!roles_line_is_for(l, role, len))
			continue;
		res = PQexec(admin, l);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			log_error("role %.*s: a statement of the globals "
				  "backup failed: %s",
				  (int)len, role,
				  PQresultErrorField(res,
						     PG_DIAG_MESSAGE_PRIMARY));
		PQclear(res);
	}
}

static int restore_missing_from(PGconn *admin, struct text *t, const char *file)
{
	int created = 0;

	split_lines(t);
	for (char *l = t->data; l < text_end(t); l += strlen(l) + 1) {
		size_t len;
		const char *role = roles_created_in(l, &len);
		if (!role || create_role(admin, l, role, len) != 1)
			continue;
		log_warn("role %.*s did not exist: re-created from '%s'",
			 (int)len, role, file);
		created++;
		apply_role_lines(admin, t, role, len);
	}
	return created;
}

int roles_restore_missing(const struct restore_ctx *ctx, PGconn *admin)
{
	struct manifest m;
	struct text t = {NULL, 0};
	char err[512];
	int n;

	if (globals_newest_valid(ctx, &m) < 0)
		return 0;
	if (bfile_read(ctx->cfg->backup_dir, m.file, ctx->key, append_text, &t,
		       NULL, err, sizeof(err)) < 0) {
		log_error("unable to read '%s' for its roles: %s", m.file, err);
		manifest_free(&m);
		free(t.data);
		return -1;
	}
	n = t.data ? restore_missing_from(admin, &t, m.file) : 0;
	if (n > 0) {
		snprintf(err, sizeof(err),
			 "%d role(s) the backup refers to did not exist and "
			 "were re-created from '%s' with their login and "
			 "password as they were then (names in recovery.log); "
			 "drop them again if that was deliberate",
			 n, m.file);
		alert_emit(ALERT_WARNING, "roles-recreated",
			   "Database Recovery",
			   "Roles re-created before the restore", err);
	}
	manifest_free(&m);
	free(t.data);
	return n;
}
