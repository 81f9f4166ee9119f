#include "crypt.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "secret.h"

#define RECORD (CRYPT_CHUNK + CRYPT_TAG_LEN)

static const char KEYID_LABEL[] = "pgwarden backup key id";

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void key_id(struct crypt_key *k)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[sizeof(KEYID_LABEL) + 32];
	unsigned int mdlen = 0;

	memcpy(buf, KEYID_LABEL, sizeof(KEYID_LABEL));
	memcpy(buf + sizeof(KEYID_LABEL), k->key, 32);
	EVP_Digest(buf, sizeof(buf), md, &mdlen, EVP_sha256(), NULL);
	memcpy(k->id, md, sizeof(k->id));
	for (size_t i = 0; i < sizeof(k->id); i++)
		snprintf(k->id_hex + 2 * i, 3, "%02x", k->id[i]);
	OPENSSL_cleanse(buf, sizeof(buf));
}

int crypt_key_load(const char *file, struct crypt_key *k, char *err,
		   size_t errlen)
{
	char text[80];
	size_t n;

	memset(k, 0, sizeof(*k));
	if (secret_read(file, NULL, "encryption key file", SECRET_TRIM, text,
			sizeof(text), err, errlen) < 0)
		return -1;
	n = strlen(text);
	for (size_t i = 0; i < n && n == 64; i++)
		if (hexval((unsigned char)text[i]) < 0)
			n = 0;
	if (n != 64) {
		snprintf(err, errlen,
			 "encryption key file '%s' must hold 64 hex characters "
			 "(openssl rand -hex 32)",
			 file);
		OPENSSL_cleanse(text, sizeof(text));
		return -1;
	}
	for (size_t i = 0; i < 32; i++)
		k->key[i] = (unsigned char)(hexval(text[2 * i]) << 4 |
					    hexval(text[2 * i + 1]));
	OPENSSL_cleanse(text, sizeof(text));
	key_id(k);
	return 0;
}

void crypt_key_wipe(struct crypt_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

bool crypt_is_encrypted(const void *head, size_t len)
{
	return len >= sizeof(CRYPT_MAGIC) &&
	       memcmp(head, CRYPT_MAGIC, sizeof(CRYPT_MAGIC)) == 0;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* One record: AES-256-GCM of len bytes with nonce prefix || index and the
 * header + final flag as associated data. enc: 1 encrypt (tag written
 * after out), 0 decrypt (tag read after in). 0 or -1. */
static int seal(EVP_CIPHER_CTX *ctx, const struct crypt_key *k,
		const unsigned char *header, uint32_t index, bool final,
		const unsigned char *in, size_t len, unsigned char *out,
		int enc)
{
	unsigned char iv[12], flag = final ? 1 : 0;
	int n = 0, ok;

	memcpy(iv, header + 12, 8);
	put32(iv + 8, index);
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->key, iv, enc) ==
		     1 &&
	     EVP_CipherUpdate(ctx, NULL, &n, header, CRYPT_HEADER_LEN) == 1 &&
	     EVP_CipherUpdate(ctx, NULL, &n, &flag, 1) == 1 &&
	     (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
					 CRYPT_TAG_LEN,
					 (void *)(in + len)) == 1;
	ok = ok && EVP_CipherFinal_ex(ctx, out + len, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
					 CRYPT_TAG_LEN, out + len) == 1;
	return ok ? 0 : -1;
}

struct cryptw {
	const struct crypt_key *key;
	EVP_CIPHER_CTX *ctx;
	crypt_sink_fn sink;
	void *arg;
	unsigned char header[CRYPT_HEADER_LEN];
	bool header_sent;
	uint32_t index;
	size_t have;
	unsigned char plain[CRYPT_CHUNK];
	unsigned char rec[RECORD];
};

struct cryptw *cryptw_open(const struct crypt_key *k, crypt_sink_fn sink,
			   void *arg)
{
	struct cryptw *w = calloc(1, sizeof(*w));

	if (!w || !(w->ctx = EVP_CIPHER_CTX_new())) {
		free(w);
		return NULL;
	}
	w->key = k;
	w->sink = sink;
	w->arg = arg;
	memcpy(w->header, CRYPT_MAGIC, sizeof(CRYPT_MAGIC));
	put32(w->header + 8, CRYPT_CHUNK);
	if (RAND_bytes(w->header + 12, 8) != 1) {
		cryptw_abort(w);
		errno = EIO;
		return NULL;
	}
	memcpy(w->header + 20, k->id, 8);
	return w;
}

static int emit(struct cryptw *w, bool final)
{
	if (!w->header_sent) {
		if (w->sink(w->arg, w->header, CRYPT_HEADER_LEN) < 0)
			return -1;
		w->header_sent = true;
	}
	if (w->index == UINT32_MAX ||
	    seal(w->ctx, w->key, w->header, w->index, final, w->plain, w->have,
		 w->rec, 1) < 0) {
		errno = EIO;
		return -1;
	}
	w->index++;
	if (w->sink(w->arg, w->rec, w->have + CRYPT_TAG_LEN) < 0)
		return -1;
	w->have = 0;
	return 0;
}

int cryptw_write(struct cryptw *w, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t take;
		/* a full chunk goes out only once more data follows, so the
		 * last record is always the one marked final */
		if (w->have == CRYPT_CHUNK && emit(w, false) < 0)
			return -1;
		take = CRYPT_CHUNK - w->have;
		if (take > len)
			take = len;
		memcpy(w->plain + w->have, p, take);
		w->have += take;
		p += take;
		len -= take;
	}
	return 0;
}

int cryptw_close(struct cryptw *w)
{
	int rc = emit(w, true);

	cryptw_abort(w);
	return rc;
}

void cryptw_abort(struct cryptw *w)
{
	if (!w)
		return;
	EVP_CIPHER_CTX_free(w->ctx);
	OPENSSL_cleanse(w->plain, sizeof(w->plain));
	free(w);
}

struct cryptr {
	int fd;
	const struct crypt_key *key;
	EVP_CIPHER_CTX *ctx;
	unsigned char header[CRYPT_HEADER_LEN];
	uint32_t index;
	bool eof, done, failed;
	size_t in_len, out_pos, out_len;
	char error[256];
	unsigned char in[RECORD + 1];
	unsigned char out[CRYPT_CHUNK];
};

/* Read until buf holds want bytes or the file ends. */
static ssize_t read_full(int fd, unsigned char *buf, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

struct cryptr *cryptr_open(int fd, const struct crypt_key *k, char *err,
			   size_t errlen)
{
	struct cryptr *r = calloc(1, sizeof(*r));
	ssize_t n;

	if (!r || !(r->ctx = EVP_CIPHER_CTX_new())) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->fd = fd;
	r->key = k;
	n = read_full(fd, r->header, CRYPT_HEADER_LEN);
	if (n < 0)
		snprintf(err, errlen, "read error: %s", strerror(errno));
	else if (n < CRYPT_HEADER_LEN ||
		 !crypt_is_encrypted(r->header, (size_t)n))
		snprintf(err, errlen, "not an encrypted pgwarden backup");
	else if (get32(r->header + 8) != CRYPT_CHUNK)
		snprintf(err, errlen, "unsupported chunk size %u",
			 get32(r->header + 8));
	else if (memcmp(r->header + 20, k->id, 8) != 0) {
		char theirs[CRYPT_KEYID_HEX];
		for (int i = 0; i < 8; i++)
			snprintf(theirs + 2 * i, 3, "%02x", r->header[20 + i]);
		snprintf(err, errlen,
			 "encrypted with another key (key id %s, ours %s)",
			 theirs, k->id_hex);
		cryptr_close(r);
		errno = EKEYREJECTED;
		return NULL;
	} else
		return r;
	cryptr_close(r);
	errno = EBADMSG;
	return NULL;
}

static int next_record(struct cryptr *r)
{
	ssize_t n =
		read_full(r->fd, r->in + r->in_len, sizeof(r->in) - r->in_len);
	bool final;
	size_t len;

	if (n < 0) {
		snprintf(r->error, sizeof(r->error), "read error: %s",
			 strerror(errno));
		return -1;
	}
	r->in_len += (size_t)n;
	final = r->in_len <= RECORD;
	len = final ? r->in_len : RECORD;
	if (len < CRYPT_TAG_LEN ||
	    seal(r->ctx, r->key, r->header, r->index, final, r->in,
		 len - CRYPT_TAG_LEN, r->out, 0) < 0) {
		snprintf(r->error, sizeof(r->error),
			 "chunk %u fails authentication: the file was "
			 "truncated or altered",
			 r->index);
		return -1;
	}
	r->index++;
	r->out_pos = 0;
	r->out_len = len - CRYPT_TAG_LEN;
	memmove(r->in, r->in + len, r->in_len - len);
	r->in_len -= len;
	r->done = final;
	return 0;
}

ssize_t cryptr_read(struct cryptr *r, void *buf, size_t cap)
{
	size_t take;

	if (r->failed)
		return -1;
	while (r->out_pos == r->out_len) {
		if (r->done)
			return 0;
		if (next_record(r) < 0) {
			r->failed = true;
			errno = EBADMSG;
			return -1;
		}
	}
	take = r->out_len - r->out_pos;
	if (take > cap)
		take = cap;
	memcpy(buf, r->out + r->out_pos, take);
	r->out_pos += take;
	return (ssize_t)take;
}

const char *cryptr_error(const struct cryptr *r)
{
	return r->error;
}

void cryptr_close(struct cryptr *r)
{
	if (!r)
		return;
	EVP_CIPHER_CTX_free(r->ctx);
	OPENSSL_cleanse(r->out, sizeof(r->out));
	free(r);
}

int crypt_key_configured(const char *key_file, struct crypt_key *k, char *err,
			 size_t errlen)
{
	char why[512];

	crypt_key_wipe(k);
	if (!key_file[0])
		return 0;
	if (crypt_key_load(key_file, k, why, sizeof(why)) < 0) {
		snprintf(err, errlen,
			 "invalid [backupper] encryption_key_file: %s", why);
		return -1;
	}
	return 1;
}
