#include "manifest_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#define TRAILER "\n[auth]\nhmac = "
#define MAC_LEN 32

static struct {
	bool on;
	unsigned char key[MAC_LEN];
	char id_hex[CRYPT_KEYID_HEX];
} auth;

void manifest_auth_key(const struct crypt_key *k)
{
	static const char label[] = "pgwarden manifest hmac v1";
	unsigned int len = 0;

	OPENSSL_cleanse(auth.key, sizeof(auth.key));
	auth.on = false;
	auth.id_hex[0] = '\0';
	if (!k)
		return;
	snprintf(auth.id_hex, sizeof(auth.id_hex), "%s", k->id_hex);
	/* a key of its own: the backup key never signs anything directly */
	auth.on = HMAC(EVP_sha256(), k->key, sizeof(k->key),
		       (const unsigned char *)label, sizeof(label) - 1,
		       auth.key, &len) != NULL &&
		  len == MAC_LEN;
}

bool manifest_auth_on(void)
{
	return auth.on;
}

const char *manifest_auth_key_id(void)
{
	return auth.id_hex;
}

static int mac_hex(const char *data, size_t len, char *hex)
{
	unsigned char mac[MAC_LEN];
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), auth.key, sizeof(auth.key),
		  (const unsigned char *)data, len, mac, &n) ||
	    n != MAC_LEN)
		return -1;
	for (int i = 0; i < MAC_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

long manifest_auth_sign(char *buf, size_t len, size_t cap)
{
	char hex[2 * MAC_LEN + 1];
	int n;

	if (!auth.on)
		return (long)len;
	if (mac_hex(buf, len, hex) < 0)
		return -1;
	n = snprintf(buf + len, cap - len, "%s%s\n", TRAILER, hex);
	if (n < 0 || (size_t)n >= cap - len)
		return -1;
	return (long)(len + (size_t)n);
}

/* The last trailer in text: where the signed bytes end, or NULL. */
static const char *find_trailer(const char *text, size_t len)
{
	const char *found = NULL;

	for (const char *p = text; (size_t)(p - text) < len;) {
		const char *t = memmem(p, len - (size_t)(p - text), TRAILER,
				       strlen(TRAILER));
		if (!t)
			break;
		found = t;
		p = t + 1;
	}
	return found;
}

int manifest_auth_verify(const char *text, size_t len, char *err, size_t errlen)
{
	const char *t = find_trailer(text, len), *given;
	char hex[2 * MAC_LEN + 1];

	if (!auth.on)
		return 0;
	if (!t) {
		snprintf(err, errlen,
			 "not signed with the backup key (forged, or written "
			 "without the key)");
		return -1;
	}
	given = t + strlen(TRAILER);
	if (mac_hex(text, (size_t)(t - text), hex) < 0 ||
	    (size_t)(text + len - given) < 2 * MAC_LEN ||
	    CRYPTO_memcmp(hex, given, 2 * MAC_LEN) != 0 ||
	    strspn(given + 2 * MAC_LEN, "\n") !=
		    (size_t)(text + len - given) - 2 * MAC_LEN) {
		snprintf(err, errlen,
			 "its signature does not match: it was changed after "
			 "it was written, or signed with another key");
		return -1;
	}
	return 0;
}
