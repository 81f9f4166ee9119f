/* The INI configuration parser and every value check of the key table. */
#include "cfg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgw_config c;
	char path[PATH_MAX], err[CFG_ERR_MAX];

	fuzz_file("pgwarden.ini", data, size);
	snprintf(path, sizeof(path), "%s/pgwarden.ini", fuzz_dir());
	cfg_load(path, &c, NULL, err, sizeof(err));
	return 0;
}
