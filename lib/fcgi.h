/* A FastCGI 1.0 responder: one request at a time on the socket a process manager passes as fd 0. */
#ifndef AUTHCGI_FCGI_H
#define AUTHCGI_FCGI_H

#include <signal.h>
#include <stddef.h>

#define FCGI_PARAMS_MAX (128 * 1024)  /* bytes of all the names and values of one request */
#define FCGI_PARAMS_COUNT_MAX 512     /* name-value pairs of one request */
#define FCGI_IO_TIMEOUT_MS 10000      /* a started request's parameters; writing the answer */
#define FCGI_IDLE_TIMEOUT_MS 60000    /* a kept connection without a new request is closed */

/* Record types and values of the specification that the tests and the fuzzer use too. */
enum fcgi_type {
	FCGI_BEGIN_REQUEST = 1, FCGI_ABORT_REQUEST = 2, FCGI_END_REQUEST = 3, FCGI_PARAMS = 4,
	FCGI_STDIN = 5, FCGI_STDOUT = 6, FCGI_STDERR = 7, FCGI_DATA = 8, FCGI_GET_VALUES = 9,
	FCGI_GET_VALUES_RESULT = 10, FCGI_UNKNOWN_TYPE = 11,
};
#define FCGI_RESPONDER 1
#define FCGI_KEEP_CONN 1
enum fcgi_protocol_status {
	FCGI_REQUEST_COMPLETE = 0, FCGI_CANT_MPX_CONN = 1, FCGI_OVERLOADED = 2, FCGI_UNKNOWN_ROLE = 3,
};

struct fcgi;

/*
 * 1 when fd is the listening socket of a FastCGI process manager (the specification's test
 * for FCGI_LISTENSOCK_FILENO: a socket on which getpeername() fails with ENOTCONN).
 */
int fcgi_is_listener(int fd);

/* A responder accepting on listen_fd (-1: only attached connections). NULL when out of memory. */
struct fcgi *fcgi_new(int listen_fd);
/* Closes the current connection (never the listening socket) and frees f. Accepts NULL. */
void fcgi_free(struct fcgi *f);
/* Serves the already connected in_fd/out_fd before accepting (tests, fuzzer); f closes them. */
void fcgi_attach(struct fcgi *f, int in_fd, int out_fd);

/*
 * Waits for the next request and reads its parameters: answers management records
 * (FCGI_GET_VALUES), refuses other roles and multiplexed requests, and drops a connection that
 * breaks the protocol, sends over-long parameters or stalls, then goes on waiting. Returns 0
 * with a request current; AC_EUNAVAIL when *stop became non-zero while idle (stop may be NULL)
 * or there is nothing left to accept from.
 */
int fcgi_accept(struct fcgi *f, volatile sig_atomic_t *stop);
/* The current request's parameter name (the first one when repeated), or NULL. */
const char *fcgi_param(const struct fcgi *f, const char *name);
/* fcgi_param with the signature of req_from_lookup(). */
const char *fcgi_param_lookup(void *f, const char *name);

/*
 * Reads exactly len bytes of the request body (FCGI_STDIN) into buf within timeout_ms.
 * Returns 0; AC_EINVAL when the body ends (or the request is aborted) first; AC_ETIMEOUT.
 */
int fcgi_read_stdin(struct fcgi *f, char *buf, size_t len, int timeout_ms);
/* Reads and discards the rest of the body within timeout_ms. Returns the bytes discarded. */
size_t fcgi_drain_stdin(struct fcgi *f, int timeout_ms);
/*
 * Sends out (a complete CGI response: headers, blank line, body) as FCGI_STDOUT records, then
 * FCGI_END_REQUEST, and closes the connection unless the server asked to keep it. Returns 0,
 * or AC_EUNAVAIL when the server went away (the connection is closed; nothing else to do).
 */
int fcgi_finish(struct fcgi *f, const char *out, size_t len);
/*
 * Async-signal-safe, for the request deadline: writes out (at most 65535 bytes) as the
 * current request's whole answer, without buffering. Does nothing when no request is current.
 */
void fcgi_emergency(const char *out, size_t len);

#endif
