/* test_manifest_auth.c - common/manifest_auth: a signed manifest verifies;
 * a changed byte, a missing or moved trailer, another key do not; with no
 * key nothing is signed or asked for. */
#include <string.h>

#include "manifest_auth.h"
#include "unit.h"

static void key_of(struct crypt_key *k, unsigned char fill)
{
	memset(k, 0, sizeof(*k));
	memset(k->key, fill, sizeof(k->key));
	snprintf(k->id_hex, sizeof(k->id_hex), "%016x", fill);
}

int main(void)
{
	static const char text[] = "[backup]\nfile = x\n\n[tables]\nt00001 = "
				   "3 public.t\n";
	char buf[1024], err[256];
	struct crypt_key a, b;
	long n;

	manifest_auth_key(NULL);
	memcpy(buf, text, sizeof(text));
	CHECK(manifest_auth_sign(buf, strlen(text), sizeof(buf)) ==
			      (long)strlen(text) &&
		      manifest_auth_verify(text, strlen(text), err,
					   sizeof(err)) == 0,
	      "no key: nothing signed, nothing asked");
	key_of(&a, 0x11);
	key_of(&b, 0x22);
	manifest_auth_key(&a);
	n = manifest_auth_sign(buf, strlen(text), sizeof(buf));
	CHECK(n > (long)strlen(text) && strstr(buf, "\n[auth]\nhmac = "),
	      "signed: an [auth] trailer");
	CHECK(manifest_auth_verify(buf, (size_t)n, err, sizeof(err)) == 0,
	      "the signature verifies");
	buf[30] ^= 1;
	CHECK(manifest_auth_verify(buf, (size_t)n, err, sizeof(err)) < 0 &&
		      strstr(err, "does not match"),
	      "one changed byte: refused");
	buf[30] ^= 1;
	CHECK(manifest_auth_verify(text, strlen(text), err, sizeof(err)) < 0 &&
		      strstr(err, "not signed"),
	      "no trailer: refused as a forgery");
	CHECK(manifest_auth_verify(buf, (size_t)n - 5, err, sizeof(err)) < 0,
	      "a cut signature: refused");
	manifest_auth_key(&b);
	CHECK(manifest_auth_verify(buf, (size_t)n, err, sizeof(err)) < 0,
	      "another key: refused");
	CHECK(strcmp(manifest_auth_key_id(), b.id_hex) == 0,
	      "the key id is the key's");
	CHECK(manifest_auth_sign(buf, strlen(text), strlen(text) + 10) < 0,
	      "no room for the trailer: -1, not a cut one");
	return unit_done();
}
