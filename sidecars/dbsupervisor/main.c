/* pgwarden-db: supervises postgres in the db container (see server.h). */
#include "daemon.h"
#include "exitcode.h"
#include "log.h"
#include "proto.h"
#include "server.h"
#include "sig.h"
#include "tm.h"

int main(int argc, char **argv)
{
	struct daemon d = {.name = "db", .main_log = LOG_SERVER};
	struct server s;
	char req[PROTO_REQUEST_MAX + 1];
	int64_t last_status = 0;

	daemon_start(&d, argc, argv);
	server_init(&s, &d);
	while (!sig_stop) {
		int wake = s.ready || !s.running ? 500 : 200;
		if (sig_reload)
			daemon_reload(&d);
		server_tick(&s, &d);
		if (daemon_take_request(&d, PROTO_REQ_REINIT, req, sizeof(req),
					&wake) == REQ_CLAIMED)
			server_reinit(&s, &d, req[0] ? req : "requested");
		if (tm_mono_ms() - last_status >= 5000) {
			server_write_status(&s, &d);
			last_status = tm_mono_ms();
		}
		daemon_wait(&d, wake);
	}
	server_stop(&s, 30000);
	server_write_status(&s, &d);
	daemon_stop(&d);
	return PGW_EXIT_OK;
}
