/* Alert files as the monitor's delivery reads them, then formats them for
 * every channel (escaping must never overrun). */
#include "alert.h"
#include "fuzz.h"
#include "notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct alert_rec a;
	static char out[8192];
	struct notify_targets t = {.kube_workload = "statefulset/db"};
	char err[300];

	fuzz_file("alert-x", data, size);
	if (alert_read(fuzz_dir(), "alert-x", &a, err, sizeof(err)) < 0)
		return 0;
	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++) {
		notify_format(&t, (enum notify_channel)ch, &a, 3, out,
			      sizeof(out));
		t.tg_markdown = !t.tg_markdown;
		notify_format(&t, (enum notify_channel)ch, &a, 1, out,
			      sizeof(out));
	}
	return 0;
}
