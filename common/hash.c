#include "hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fs.h"

struct hash_ctx {
	EVP_MD_CTX *md;
};

struct hash_ctx *hash_new(void)
{
	struct hash_ctx *h = malloc(sizeof(*h));

	if (!h)
		return NULL;
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->md);
		free(h);
		return NULL;
	}
	return h;
}

void hash_update(struct hash_ctx *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->md, data, len);
}

void hash_final(struct hash_ctx *h, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->md, md, &n);
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * n] = '\0';
	EVP_MD_CTX_free(h->md);
	free(h);
}

int hash_fd(int fd, char *hex, int64_t *size)
{
	struct hash_ctx *h = hash_new();
	unsigned char buf[256 * 1024];
	int64_t total = 0;
	ssize_t n;

	if (!h)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		hash_update(h, buf, (size_t)n);
		total += n;
	}
	hash_final(h, hex);
	if (n < 0)
		return -1;
	if (size)
		*size = total;
	return 0;
}

int hash_file(const char *dir, const char *name, char *hex, int64_t *size)
{
	int fd = fs_open_in_dir(dir, name), rc;

	if (fd < 0)
		return -1;
	rc = hash_fd(fd, hex, size);
	close(fd);
	return rc;
}
