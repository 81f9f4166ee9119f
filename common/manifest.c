#include "manifest.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <iniparser/iniparser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fs.h"
#include "ini.h"
#include "manifest_auth.h"
#include "proto.h"
#include "tm.h"

/* Percent-escape what iniparser would eat: comment characters, quotes,
 * control bytes and the spaces it trims at either end. */
static void esc(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in;
	     *p && o + 4 < cap; p++) {
		bool edge = p == (const unsigned char *)in || p[1] == '\0';
		if (*p < 0x20 || (*p == ' ' && edge) || *p == '%' ||
		    *p == '"' || *p == ';' || *p == '#' || *p == '\\' ||
		    *p == 0x7f)
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

/* One field of a space-separated value: spaces escaped too. */
static void esc_word(const char *in, char *out, size_t cap)
{
	char tmp[200];
	size_t o = 0;

	esc(in, tmp, sizeof(tmp));
	for (const char *p = tmp; *p && o + 4 < cap; p++) {
		if (*p == ' ')
			o += (size_t)snprintf(out + o, cap - o, "%%20");
		else
			out[o++] = *p;
	}
	out[o] = '\0';
}

static void unesc(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	unsigned int v;

	for (size_t i = 0; in[i] && o + 1 < cap; i++) {
		if (in[i] == '%' && isxdigit((unsigned char)in[i + 1]) &&
		    isxdigit((unsigned char)in[i + 2]) &&
		    sscanf(in + i + 1, "%2X", &v) == 1) {
			out[o++] = (char)v;
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
}

int manifest_add_table(struct manifest *m, const char *name, int64_t rows)
{
	struct manifest_table *t =
		realloc(m->table_rows, sizeof(*t) * (size_t)(m->ntables + 1));

	if (!t)
		return -1;
	m->table_rows = t;
	t[m->ntables].name = strdup(name);
	t[m->ntables].rows = rows;
	if (!t[m->ntables].name)
		return -1;
	m->ntables++;
	return 0;
}

int manifest_add_extension(struct manifest *m, const char *name,
			   const char *version, const char *schema)
{
	struct manifest_ext *e;

	if (m->nextensions >= MANIFEST_MAX_EXTENSIONS ||
	    strlen(name) >= sizeof(e->name) ||
	    strlen(version) >= sizeof(e->version) ||
	    strlen(schema) >= sizeof(e->schema))
		return -1;
	e = &m->extensions[m->nextensions++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->version, sizeof(e->version), "%s", version);
	snprintf(e->schema, sizeof(e->schema), "%s", schema);
	return 0;
}

const struct manifest_ext *manifest_extension(const struct manifest *m,
					      const char *name)
{
	for (int i = 0; i < m->nextensions; i++)
		if (strcmp(m->extensions[i].name, name) == 0)
			return &m->extensions[i];
	return NULL;
}

void manifest_free(struct manifest *m)
{
	for (int i = 0; i < m->ntables; i++)
		free(m->table_rows[i].name);
	free(m->table_rows);
	m->table_rows = NULL;
	m->ntables = 0;
}

#define PUT(...)                                                               \
	(o += (size_t)snprintf(buf + o, cap > o ? cap - o : 0, __VA_ARGS__))

int manifest_write(const char *dir, const struct manifest *m)
{
	size_t cap = 8192 + (size_t)m->ntables * 1100, o = 0;
	char *buf = malloc(cap), e[1100], name[NAME_MAX + 1];
	long signed_len;
	int rc;

	if (!buf)
		return -1;
	PUT("; pgwarden backup manifest\n[backup]\n");
	esc(m->file, e, sizeof(e));
	PUT("file = %s\nkind = %s\nstatus = %s\nformat = %s\n", e, m->kind,
	    m->status, m->format);
	if (m->compressor[0])
		PUT("compressor = %s\ncompression_level = %d\n", m->compressor,
		    m->compression_level);
	PUT("size = %" PRId64 "\nsha256 = %s\n", m->size, m->sha256);
	PUT("started = %s\nfinished = %s\nduration_ms = %" PRId64 "\n",
	    m->started, m->finished, m->duration_ms);
	esc(m->database, e, sizeof(e));
	PUT("database = %s\ndatabase_size = %" PRId64 "\n", e,
	    m->database_size);
	esc(m->server_version, e, sizeof(e));
	PUT("server_version = %s\n", e);
	esc(m->pg_dump_version, e, sizeof(e));
	PUT("pg_dump_version = %s\n", e);
	if (m->encryption[0])
		PUT("encryption = %s\nkey_id = %s\n", m->encryption, m->key_id);
	PUT("tables = %d\nrows_total = %" PRId64
	    "\nuncompressed_size = %" PRId64 "\ncompression_pct = %.1f\n",
	    m->tables, m->rows_total, m->uncompressed_size, m->compression_pct);
	PUT("verified_at = %s\nrestore_ms = %" PRId64 "\n", m->verified_at,
	    m->restore_ms);
	if (strcmp(m->kind, "base") == 0)
		PUT("cluster_id = %s\ntimeline = %u\nlsn_start = %s\n"
		    "lsn_stop = %s\nwal_start = %s\nwal_stop = %s\n"
		    "wal_segment_size = %" PRId64 "\n",
		    m->cluster_id, m->timeline, m->lsn_start, m->lsn_stop,
		    m->wal_start, m->wal_stop, m->wal_segment_size);
	esc(m->reason, e, sizeof(e));
	PUT("reason = %s\n\n[tables]\n", e);
	for (int i = 0; i < m->ntables; i++) {
		esc(m->table_rows[i].name, e, sizeof(e));
		PUT("t%05d = %" PRId64 " %s\n", i + 1, m->table_rows[i].rows,
		    e);
	}
	if (m->nextensions > 0)
		PUT("\n[extensions]\n");
	for (int i = 0; i < m->nextensions; i++) {
		char n[200], v[200], sc[200];
		esc_word(m->extensions[i].name, n, sizeof(n));
		esc_word(m->extensions[i].version, v, sizeof(v));
		esc_word(m->extensions[i].schema, sc, sizeof(sc));
		PUT("e%02d = %s %s %s\n", i + 1, n, v, sc);
	}
	proto_manifest_name(m->file, name, sizeof(name));
	signed_len = o < cap ? manifest_auth_sign(buf, o, cap) : -1;
	rc = signed_len > 0
		     ? fs_write_atomic(dir, name, buf, (size_t)signed_len)
		     : -1;
	free(buf);
	return rc;
}

/* With a key: the manifest's bytes carry its signature (manifest_auth.h).
 * -2 when it names another key: the backup is not to blame, it cannot be
 * read here at all. */
/* With a key, the text read must carry our signature (manifest_auth.h):
 * the very bytes that are then parsed. */
static int check_signed(const char *name, const char *text, size_t len,
			const char *key_id, char *err, size_t errlen)
{
	char why[200];
	int rc;

	if (!manifest_auth_on())
		return 0;
	rc = manifest_auth_verify(text, len, why, sizeof(why));
	if (rc < 0 && key_id[0] &&
	    strcmp(key_id, manifest_auth_key_id()) != 0) {
		snprintf(err, errlen,
			 "manifest '%s' is signed and encrypted with another "
			 "key (key id %s; this process has key id %s)",
			 name, key_id, manifest_auth_key_id());
		return -2;
	}
	if (rc < 0)
		snprintf(err, errlen, "manifest '%s' refused: %s", name, why);
	return rc;
}

/* iniparser reads files only: the text goes through a memory file. */
static dictionary *parse_text(const char *text, size_t len)
{
	char path[64];
	int fd = memfd_create("pgwarden-manifest", MFD_CLOEXEC);
	dictionary *d = NULL;

	if (fd < 0)
		return NULL;
	if (fs_write_all(fd, text, len) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		d = iniparser_load(path);
	}
	close(fd);
	return d;
}

static void get_str(dictionary *d, const char *key, char *out, size_t cap)
{
	unesc(ini_get(d, key, ""), out, cap);
}

static int64_t get_i64(dictionary *d, const char *key)
{
	return strtoll(ini_get(d, key, "0"), NULL, 10);
}

static int read_tables(dictionary *d, struct manifest *m)
{
	int nk = iniparser_getsecnkeys(d, "tables");
	const char **keys;

	if (nk <= 0)
		return 0;
	keys = calloc((size_t)nk, sizeof(*keys));
	if (!keys || !iniparser_getseckeys(d, "tables", keys)) {
		free(keys);
		return -1;
	}
	for (int i = 0; i < nk; i++) {
		const char *v = ini_get(d, keys[i], "");
		char *sp, name[1100];
		int64_t rows = strtoll(v, &sp, 10);
		if (*sp != ' ')
			continue;
		unesc(sp + 1, name, sizeof(name));
		if (manifest_add_table(m, name, rows) < 0) {
			free(keys);
			return -1;
		}
	}
	free(keys);
	return 0;
}

/* [extensions] eNN = name version schema; a malformed line is an error:
 * a restore must not go ahead without an extension the backup needs. */
static int read_extensions(dictionary *d, struct manifest *m)
{
	int nk = iniparser_getsecnkeys(d, "extensions"), rc = 0;
	const char **keys;

	if (nk <= 0)
		return 0;
	keys = calloc((size_t)nk, sizeof(*keys));
	if (!keys || !iniparser_getseckeys(d, "extensions", keys)) {
		free(keys);
		return -1;
	}
	for (int i = 0; i < nk && rc == 0; i++) {
		char f[3][200], n[64], v[64], sc[64];
		if (sscanf(ini_get(d, keys[i], ""), "%199s %199s %199s", f[0],
			   f[1], f[2]) != 3) {
			rc = -1;
			break;
		}
		unesc(f[0], n, sizeof(n));
		unesc(f[1], v, sizeof(v));
		unesc(f[2], sc, sizeof(sc));
		rc = manifest_add_extension(m, n, v, sc);
	}
	free(keys);
	return rc;
}

static int manifest_quiet(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

int manifest_read(const char *dir, const char *backup_file, struct manifest *m,
		  char *err, size_t errlen)
{
	char name[NAME_MAX + 1], *text;
	dictionary *d;
	size_t len = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	proto_manifest_name(backup_file, name, sizeof(name));
	/* read once, through one descriptor (no symlink): what is
	 * authenticated and what is parsed are the same bytes */
	text = fs_read_small(dir, name, MANIFEST_MAX_BYTES, &len);
	if (!text) {
		snprintf(err, errlen, "no manifest '%s'", name);
		return -1;
	}
	iniparser_set_error_callback(manifest_quiet);
	d = parse_text(text, len);
	if (!d || iniparser_find_entry(d, "backup") == 0) {
		snprintf(err, errlen, "manifest '%s' is not a valid manifest",
			 name);
		if (d)
			iniparser_freedict(d);
		free(text);
		return -1;
	}
	get_str(d, "backup:file", m->file, sizeof(m->file));
	get_str(d, "backup:kind", m->kind, sizeof(m->kind));
	get_str(d, "backup:status", m->status, sizeof(m->status));
	get_str(d, "backup:format", m->format, sizeof(m->format));
	get_str(d, "backup:compressor", m->compressor, sizeof(m->compressor));
	m->compression_level = (int)get_i64(d, "backup:compression_level");
	m->size = get_i64(d, "backup:size");
	get_str(d, "backup:sha256", m->sha256, sizeof(m->sha256));
	get_str(d, "backup:started", m->started, sizeof(m->started));
	get_str(d, "backup:finished", m->finished, sizeof(m->finished));
	m->duration_ms = get_i64(d, "backup:duration_ms");
	get_str(d, "backup:database", m->database, sizeof(m->database));
	m->database_size = get_i64(d, "backup:database_size");
	get_str(d, "backup:server_version", m->server_version,
		sizeof(m->server_version));
	get_str(d, "backup:pg_dump_version", m->pg_dump_version,
		sizeof(m->pg_dump_version));
	get_str(d, "backup:encryption", m->encryption, sizeof(m->encryption));
	get_str(d, "backup:key_id", m->key_id, sizeof(m->key_id));
	m->tables = (int)get_i64(d, "backup:tables");
	m->rows_total = get_i64(d, "backup:rows_total");
	m->uncompressed_size = get_i64(d, "backup:uncompressed_size");
	m->compression_pct = ini_get_double(d, "backup:compression_pct", 0);
	get_str(d, "backup:verified_at", m->verified_at,
		sizeof(m->verified_at));
	m->restore_ms = get_i64(d, "backup:restore_ms");
	get_str(d, "backup:cluster_id", m->cluster_id, sizeof(m->cluster_id));
	m->timeline = (unsigned)get_i64(d, "backup:timeline");
	get_str(d, "backup:lsn_start", m->lsn_start, sizeof(m->lsn_start));
	get_str(d, "backup:lsn_stop", m->lsn_stop, sizeof(m->lsn_stop));
	get_str(d, "backup:wal_start", m->wal_start, sizeof(m->wal_start));
	get_str(d, "backup:wal_stop", m->wal_stop, sizeof(m->wal_stop));
	m->wal_segment_size = get_i64(d, "backup:wal_segment_size");
	get_str(d, "backup:reason", m->reason, sizeof(m->reason));
	if (read_tables(d, m) < 0) {
		iniparser_freedict(d);
		free(text);
		manifest_free(m);
		snprintf(err, errlen, "out of memory reading '%s'", name);
		return -1;
	}
	if (read_extensions(d, m) < 0) {
		iniparser_freedict(d);
		free(text);
		manifest_free(m);
		snprintf(err, errlen,
			 "manifest '%s' has a malformed [extensions] section",
			 name);
		return -1;
	}
	iniparser_freedict(d);
	if (strcmp(m->file, backup_file) != 0 || strlen(m->sha256) != 64) {
		snprintf(err, errlen, "manifest '%s' does not describe '%s'",
			 name, backup_file);
		manifest_free(m);
		free(text);
		return -1;
	}
	rc = check_signed(name, text, len, m->key_id, err, errlen);
	free(text);
	if (rc < 0)
		manifest_free(m);
	return rc;
}

bool manifest_usable_status(const struct manifest *m)
{
	return strcmp(m->status, "valid") == 0 ||
	       strcmp(m->status, "verified") == 0;
}

int manifest_mark_drilled(const char *dir, struct manifest *m, bool ok,
			  int64_t ms, const char *why)
{
	char t[TM_ISO_LEN];

	snprintf(m->status, sizeof(m->status), "%s",
		 ok ? "verified" : "failed");
	snprintf(m->verified_at, sizeof(m->verified_at), "%s",
		 tm_iso(tm_now(), t));
	m->restore_ms = ok ? ms : 0;
	snprintf(m->reason, sizeof(m->reason), "%s", ok ? "" : why);
	return manifest_write(dir, m);
}
