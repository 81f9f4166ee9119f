#include "tarscan.h"

#include <stdio.h>
#include <string.h>

void tarscan_init(struct tarscan *t)
{
	memset(t, 0, sizeof(*t));
}

/* ustar size: octal, or base-256 when the first byte's high bit is set */
static uint64_t header_size(const unsigned char *h)
{
	uint64_t v = 0;

	if (h[124] & 0x80) {
		for (int i = 125; i < 136; i++)
			v = v << 8 | h[i];
		return v;
	}
	for (int i = 124; i < 136 && h[i] >= '0' && h[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(h[i] - '0');
	return v;
}

static void start_entry(struct tarscan *t)
{
	static const unsigned char zero[512];
	char name[101];

	if (memcmp(t->hdr, zero, 512) == 0) {
		t->ended = true;
		return;
	}
	memcpy(name, t->hdr, 100);
	name[100] = '\0';
	t->data_left = header_size(t->hdr);
	t->pad_left = (512 - t->data_left % 512) % 512;
	t->capture = strcmp(name, "backup_label") == 0	    ? 1
		     : strcmp(name, "backup_manifest") == 0 ? 2
							    : 0;
	if (t->capture == 2)
		t->tail_len = 0;
}

static void keep(struct tarscan *t, const char *p, size_t n)
{
	if (t->capture == 1) {
		size_t room = sizeof(t->label) - 1 - t->label_len;
		n = n < room ? n : room;
		memcpy(t->label + t->label_len, p, n);
		t->label_len += n;
		t->label[t->label_len] = '\0';
		return;
	}
	if (n >= sizeof(t->tail) - 1) {
		p += n - (sizeof(t->tail) - 1);
		n = sizeof(t->tail) - 1;
		t->tail_len = 0;
	}
	if (t->tail_len + n > sizeof(t->tail) - 1) {
		size_t drop = t->tail_len + n - (sizeof(t->tail) - 1);
		memmove(t->tail, t->tail + drop, t->tail_len - drop);
		t->tail_len -= drop;
	}
	memcpy(t->tail + t->tail_len, p, n);
	t->tail_len += n;
	t->tail[t->tail_len] = '\0';
}

void tarscan_feed(struct tarscan *t, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0 && !t->ended) {
		size_t k;
		if (t->data_left > 0) {
			k = len < t->data_left ? len : (size_t)t->data_left;
			if (t->capture)
				keep(t, p, k);
			t->data_left -= k;
		} else if (t->pad_left > 0) {
			k = len < t->pad_left ? len : (size_t)t->pad_left;
			t->pad_left -= k;
		} else {
			k = 512 - t->hdr_have < len ? 512 - t->hdr_have : len;
			memcpy(t->hdr + t->hdr_have, p, k);
			t->hdr_have += k;
			if (t->hdr_have == 512) {
				t->hdr_have = 0;
				start_entry(t);
			}
		}
		p += k;
		len -= k;
	}
}

int tarscan_wal_range(const struct tarscan *t, char *start, size_t scap,
		      unsigned *timeline, char *stop, size_t ecap)
{
	const char *s = strstr(t->label, "START WAL LOCATION: ");
	const char *tl = strstr(t->label, "START TIMELINE: ");
	const char *e = NULL, *q;
	char fmt[32];

	for (q = t->tail; (q = strstr(q, "\"End-LSN\"")) != NULL; q++)
		e = q;
	if (!s || !tl || !e || sscanf(tl, "START TIMELINE: %u", timeline) != 1)
		return -1;
	snprintf(fmt, sizeof(fmt), "START WAL LOCATION: %%%zus", scap - 1);
	if (sscanf(s, fmt, start) != 1)
		return -1;
	snprintf(fmt, sizeof(fmt), "\"End-LSN\" : \"%%%zu[0-9A-F/]", ecap - 1);
	if (sscanf(e, fmt, stop) == 1)
		return 0;
	snprintf(fmt, sizeof(fmt), "\"End-LSN\": \"%%%zu[0-9A-F/]", ecap - 1);
	return sscanf(e, fmt, stop) == 1 ? 0 : -1;
}
