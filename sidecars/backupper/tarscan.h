/*
 * tarscan.h - what a base backup's tar says of its WAL, read as the tar
 * streams past (pg_basebackup -D - prints no WAL positions): the start
 * from backup_label, the end from backup_manifest's "WAL-Ranges".
 */
#ifndef PGW_TARSCAN_H
#define PGW_TARSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TARSCAN_KEEP 8192

struct tarscan {
	unsigned char hdr[512];
	size_t hdr_have;
	uint64_t data_left, pad_left;
	int capture; /* 0 none, 1 backup_label, 2 backup_manifest */
	bool ended;  /* the two zero blocks */
	char label[TARSCAN_KEEP];
	size_t label_len;
	char tail[TARSCAN_KEEP]; /* the manifest's last bytes, in order */
	size_t tail_len;
};

void tarscan_init(struct tarscan *t);
void tarscan_feed(struct tarscan *t, const void *data, size_t len);
/* From what was seen: START WAL LOCATION and START TIMELINE of the label,
 * the last End-LSN of the manifest. -1 when either is missing. */
int tarscan_wal_range(const struct tarscan *t, char *start, size_t scap,
		      unsigned *timeline, char *stop, size_t ecap);

#endif
