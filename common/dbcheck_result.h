/*
 * probeio.h - the result of one round of database checks as pgwarden-probe
 * prints it and the monitor reads it back: one "key=value" per line
 * (ping, connected, ok: 0|1; checksum_failures: a count, -1 when not
 * available; class: what the outcome means, a name of checkclass.h; what:
 * the failing check and why, on one line). One contract for both ends; no
 * libpq here.
 */
#ifndef PGW_PROBEIO_H
#define PGW_PROBEIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "checkclass.h"

struct probe_result {
	bool ping, connected, ok;
	int64_t checksum_failures; /* -1: not available */
	enum check_class cls;	   /* CHECK_OK when ok */
	char what[512];
};

void probe_result_print(const struct probe_result *r, FILE *f);
/* 0, or -1 when text is not a probe's output (no "ok=" line). */
int probe_result_parse(const char *text, struct probe_result *r);

#endif
