/* The manifest reader: the file other sidecars trust to decide validity. */
#include "fuzz.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	char err[256];

	fuzz_file("backup_20250101_000000_app.sql.gz.manifest", data, size);
	if (manifest_read(fuzz_dir(), "backup_20250101_000000_app.sql.gz", &m,
			  err, sizeof(err)) == 0)
		manifest_free(&m);
	return 0;
}
