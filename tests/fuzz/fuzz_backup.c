/* Reading a backup back (bfile_read): whatever bytes a file on /backups
 * holds, plain or claiming to be encrypted (truncated, tampered, garbage
 * headers), must give a clean error, never a crash or an over-read. */
#include "bfile.h"
#include "fs.h"
#include "fuzz.h"

static int discard(void *arg, const void *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct crypt_key key;
	char err[256];

	if (!key.id_hex[0]) {
		fuzz_file("key",
			  (const uint8_t *)"00112233445566778899aabbccddeeff"
					   "00112233445566778899aabbccddeeff\n",
			  65);
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/key", fuzz_dir());
		if (crypt_key_load(path, &key, err, sizeof(err)) < 0)
			abort();
	}
	fuzz_file("backup_20250101_000000_app.sql.gz.enc", data, size);
	bfile_read(fuzz_dir(), "backup_20250101_000000_app.sql.gz.enc", &key,
		   discard, NULL, NULL, err, sizeof(err));
	bfile_read(fuzz_dir(), "backup_20250101_000000_app.sql.gz.enc", NULL,
		   discard, NULL, NULL, err, sizeof(err));
	return 0;
}
