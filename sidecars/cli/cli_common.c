#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "crypt.h"
#include "exitcode.h"
#include "log.h"
#include "manifest_auth.h"
#include "pg.h"

void cli_load_config(int *argc, char **argv, struct pgw_config *c)
{
	const char *path = NULL;
	char err[CFG_ERR_MAX];
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < *argc)
			path = argv[++i];
		else
			argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
	if (cfg_load(path, c, NULL, err, sizeof(err)) < 0 ||
	    crypt_config_load(c, err, sizeof(err)) < 0)
		fatalx(PGW_EXIT_CONFIG, "configuration error: %s", err);
	manifest_auth_key(c->encrypt ? &c->key : NULL);
	log_set_level(LOG_WARNING);
	if (pg_auth_setup(c, err, sizeof(err)) < 0)
		fatalx(PGW_EXIT_CONFIG, "configuration error: %s", err);
}
