#include "answer.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "pg.h"
#include "tm.h"

/* Wait until the socket is ready for what libpq asked, or the deadline. */
static int wait_socket(PGconn *c, bool write, int64_t deadline)
{
	struct pollfd p = {.fd = PQsocket(c),
			   .events = write ? POLLOUT : POLLIN};
	int64_t left = deadline - tm_mono_ms();

	if (p.fd < 0 || left <= 0)
		return -1;
	return poll(&p, 1, (int)left) > 0 ? 0 : -1;
}

/* 0 connected, 1 the server answered with an error (too many clients, a
 * login refused: busy or strict, not hung), -1 no answer. */
static int connect_by(PGconn *c, int64_t deadline, char *why, size_t whylen)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			snprintf(why, whylen, "connection refused: %s",
				 PQerrorMessage(c));
			why[strcspn(why, "\n")] = '\0';
			return strstr(why, "FATAL") ? 1 : -1;
		}
		if (wait_socket(c, st == PGRES_POLLING_WRITING, deadline) < 0) {
			snprintf(why, whylen,
				 "no answer to a connection attempt");
			return -1;
		}
		st = PQconnectPoll(c);
	}
	return 0;
}

static int query_by(PGconn *c, int64_t deadline, char *why, size_t whylen)
{
	PGresult *res;
	bool ok = true;

	if (!PQsendQuery(c, "SELECT 1")) {
		snprintf(why, whylen, "unable to send a query");
		return -1;
	}
	while (PQisBusy(c)) {
		if (wait_socket(c, false, deadline) < 0 || !PQconsumeInput(c)) {
			snprintf(why, whylen,
				 "connected, but no answer to SELECT 1");
			return -1;
		}
	}
	while ((res = PQgetResult(c)) != NULL) {
		ok = ok && PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
	}
	if (!ok)
		snprintf(why, whylen, "SELECT 1 failed: %s", PQerrorMessage(c));
	return ok ? 0 : -1;
}

int server_answers(int timeout_ms, char *why, size_t whylen)
{
	static const char *const keys[] = {"dbname", "connect_timeout",
					   "application_name", NULL};
	static const char *const vals[] = {"postgres", "0", "pgwarden-db",
					   NULL};
	int64_t deadline = tm_mono_ms() + timeout_ms;
	PGconn *c = PQconnectStartParams(keys, vals, 0);
	int rc = -1;

	if (!c || PQstatus(c) == CONNECTION_BAD) {
		snprintf(why, whylen, "unable to start a connection");
	} else if (PQsetnonblocking(c, 1) == 0) {
		int conn = connect_by(c, deadline, why, whylen);
		rc = conn == 0	 ? query_by(c, deadline, why, whylen)
		     : conn == 1 ? 0 /* it answered */
				 : -1;
	}
	PQfinish(c);
	return rc;
}
