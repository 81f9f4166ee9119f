/*
 * answer.h - does the server answer a query within a bound? pg_ping only
 * says a connection is taken; a stopped postmaster, or a server that takes
 * connections and never answers, passes it or blocks it forever. This
 * connects and runs SELECT 1 without ever blocking past the deadline
 * (libpq's non-blocking connect and query, with poll()).
 */
#ifndef PGW_ANSWER_H
#define PGW_ANSWER_H

#include <stddef.h>

/* 0 when "SELECT 1" came back within timeout_ms, or the server answered
 * the connection with an error of its own (FATAL: too many clients, a
 * login refused: a busy or strict server is not a hung one); -1 with what
 * was seen. */
int server_answers(int timeout_ms, char *why, size_t whylen);

#endif
