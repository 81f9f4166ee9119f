/* Request file contents (anyone with access to /backups writes them) and
 * the backup names they may carry. */
#include "fs.h"
#include "fuzz.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"backup", "reason", NULL};
	struct request_kv kv[8];
	struct backup_name b;
	char *s = fuzz_string(data, size), err[256];
	int n = proto_request_parse(s, keys, "backup", kv, 8, err, sizeof(err));

	for (int i = 0; i < n; i++)
		if (strcmp(kv[i].key, "backup") == 0)
			proto_backup_parse(kv[i].value, &b);
	fs_safe_name(s);
	free(s);
	return 0;
}
