/* Unit tests for lib/fcgi.c: listener detection, records, parameters, body, answer framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "fcgi.h"

/* Builds records into a growing buffer. */
struct buf {
	unsigned char d[300000];
	size_t n;
};

static void rec(struct buf *b, unsigned type, unsigned id, const void *content, size_t len,
		unsigned pad)
{
	unsigned char h[8] = { 1, (unsigned char)type, (unsigned char)(id >> 8), (unsigned char)id,
			       (unsigned char)(len >> 8), (unsigned char)len, (unsigned char)pad, 0 };

	memcpy(b->d + b->n, h, 8);
	if (len)
		memcpy(b->d + b->n + 8, content, len);
	memset(b->d + b->n + 8 + len, 0, pad);
	b->n += 8 + len + pad;
}

static void begin(struct buf *b, unsigned id, unsigned role, unsigned flags)
{
	unsigned char c[8] = { (unsigned char)(role >> 8), (unsigned char)role, (unsigned char)flags };

	rec(b, FCGI_BEGIN_REQUEST, id, c, 8, 0);
}

static size_t pair(unsigned char *out, const char *name, const char *value, int long_form)
{
	size_t nl = strlen(name), vl = strlen(value), n = 0;

	if (long_form) {
		out[n++] = (unsigned char)(0x80 | (nl >> 24));
		out[n++] = (unsigned char)(nl >> 16);
		out[n++] = (unsigned char)(nl >> 8);
		out[n++] = (unsigned char)nl;
	} else {
		out[n++] = (unsigned char)nl;
	}
	out[n++] = (unsigned char)vl;
	memcpy(out + n, name, nl);
	memcpy(out + n + nl, value, vl);
	return n + nl + vl;
}

/* Runs the responder on b's bytes; returns f with the other end of the answer in *peer. */
static struct fcgi *serve(const struct buf *b, int *peer)
{
	int sv[2];
	struct fcgi *f;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], b->d, b->n), (ssize_t)b->n);
	shutdown(sv[1], SHUT_WR);
	f = fcgi_new(-1);
	assert_non_null(f);
	fcgi_attach(f, sv[0], sv[0]);
	*peer = sv[1];
	return f;
}

/* Reads everything the responder wrote until it closed. */
static size_t slurp(int fd, unsigned char *out, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap && (r = read(fd, out + n, cap - n)) > 0)
		n += (size_t)r;
	return n;
}

static void test_listener_detection(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int p[2], sv[2], l;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_false(fcgi_is_listener(p[0]));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_false(fcgi_is_listener(sv[0]));          /* mod_cgid: connected socket */
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_false(fcgi_is_listener(l));              /* not listening yet */
	snprintf(sa.sun_path, sizeof sa.sun_path, "/tmp/fcgi-unit-%d.sock", (int)getpid());
	unlink(sa.sun_path);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_true(fcgi_is_listener(l));
	assert_false(fcgi_is_listener(-1));
	unlink(sa.sun_path);
	close(l);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void test_params_body_and_answer(void **state)
{
	static struct buf b;
	unsigned char pr[600], out[400000];
	char body[16];
	char *big = malloc(40000);
	size_t n = 0, got;
	struct fcgi *f;
	int peer;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 40000);
	b.n = 0;
	begin(&b, 7, FCGI_RESPONDER, 0);
	n += pair(pr + n, "REQUEST_METHOD", "POST", 0);
	n += pair(pr + n, "CONTENT_LENGTH", "10", 1);     /* four-byte length form */
	n += pair(pr + n, "HTTP_COOKIE", "a=1", 0);
	n += pair(pr + n, "HTTP_COOKIE", "b=2", 0);        /* repeated: the first counts */
	n += pair(pr + n, "EMPTY", "", 0);
	/* The stream is split inside a pair: records are not pair boundaries. */
	rec(&b, FCGI_PARAMS, 7, pr, 5, 3);
	rec(&b, FCGI_PARAMS, 7, pr + 5, n - 5, 0);
	rec(&b, FCGI_PARAMS, 7, NULL, 0, 0);
	rec(&b, FCGI_STDIN, 7, "0123", 4, 4);
	rec(&b, FCGI_STDIN, 7, "456789ABCD", 10, 6);
	rec(&b, FCGI_STDIN, 7, NULL, 0, 0);

	f = serve(&b, &peer);
	assert_int_equal(fcgi_accept(f, NULL), AC_OK);
	assert_string_equal(fcgi_param(f, "REQUEST_METHOD"), "POST");
	assert_string_equal(fcgi_param(f, "CONTENT_LENGTH"), "10");
	assert_string_equal(fcgi_param(f, "HTTP_COOKIE"), "a=1");
	assert_string_equal(fcgi_param(f, "EMPTY"), "");
	assert_null(fcgi_param(f, "PATH_INFO"));
	assert_string_equal(fcgi_param_lookup(f, "REQUEST_METHOD"), "POST");
	assert_int_equal(fcgi_read_stdin(f, body, 6, 1000), AC_OK);
	assert_memory_equal(body, "012345", 6);
	assert_int_equal(fcgi_drain_stdin(f, 1000), 8);   /* "6789ABCD" */
	assert_int_equal(fcgi_read_stdin(f, body, 1, 1000), AC_EINVAL);
	assert_int_equal(fcgi_finish(f, big, 40000), AC_OK);
	got = slurp(peer, out, sizeof out);
	/* 32768 bytes, then 7232, each in a FCGI_STDOUT record; the empty one; END_REQUEST. */
	assert_int_equal(got, 8 + 32768 + 8 + 7232 + 8 + 16);
	assert_memory_equal(out, "\x01\x06\x00\x07\x80\x00\x00\x00", 8);
	assert_memory_equal(out + 8 + 32768, "\x01\x06\x00\x07\x1c\x40\x00\x00", 8);
	assert_memory_equal(out + got - 24, "\x01\x06\x00\x07\x00\x00\x00\x00", 8);
	assert_memory_equal(out + got - 16, "\x01\x03\x00\x07\x00\x08\x00\x00\0\0\0\0\0\0\0\0", 16);
	/* No FCGI_KEEP_CONN: the connection is closed and nothing else can be accepted. */
	assert_int_equal(fcgi_accept(f, NULL), AC_EUNAVAIL);
	fcgi_free(f);
	close(peer);
	free(big);
}

static void test_body_ending_early_and_short_answers(void **state)
{
	static struct buf b;
	unsigned char pr[64], out[256];
	char body[16];
	size_t n = pair(pr, "CONTENT_LENGTH", "12", 0), got;
	struct fcgi *f;
	int peer;

	(void)state;
	b.n = 0;
	begin(&b, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	rec(&b, FCGI_PARAMS, 1, pr, n, 0);
	rec(&b, FCGI_PARAMS, 1, NULL, 0, 0);
	rec(&b, FCGI_STDIN, 1, "abc", 3, 0);
	rec(&b, FCGI_STDIN, 1, NULL, 0, 0);
	/* a second request on the kept connection, without a body */
	begin(&b, 2, FCGI_RESPONDER, 0);
	rec(&b, FCGI_PARAMS, 2, NULL, 0, 0);
	rec(&b, FCGI_STDIN, 2, NULL, 0, 0);

	f = serve(&b, &peer);
	assert_int_equal(fcgi_accept(f, NULL), AC_OK);
	assert_int_equal(fcgi_read_stdin(f, body, 12, 1000), AC_EINVAL);
	assert_int_equal(fcgi_finish(f, "hi", 2), AC_OK);
	assert_int_equal(fcgi_accept(f, NULL), AC_OK);
	assert_null(fcgi_param(f, "CONTENT_LENGTH"));     /* nothing carried over */
	assert_int_equal(fcgi_drain_stdin(f, 1000), 0);
	assert_int_equal(fcgi_finish(f, NULL, 0), AC_OK);
	got = slurp(peer, out, sizeof out);
	/* "hi" padded to 8, the empty STDOUT, END_REQUEST; then request 2 with no output. */
	assert_int_equal(got, (8 + 2 + 6) + 8 + 16 + 8 + 16);
	assert_memory_equal(out, "\x01\x06\x00\x01\x00\x02\x06\x00hi", 10);
	assert_memory_equal(out + 40, "\x01\x06\x00\x02\x00\x00\x00\x00", 8);
	assert_memory_equal(out + 48, "\x01\x03\x00\x02\x00\x08\x00\x00", 8);
	fcgi_free(f);
	close(peer);
}

static void test_limits_close_the_connection(void **state)
{
	static struct buf b;
	static unsigned char pr[70000];
	struct fcgi *f;
	int peer;
	size_t n = 0;

	(void)state;
	b.n = 0;
	begin(&b, 1, FCGI_RESPONDER, 0);
	/* 513 pairs: one over FCGI_PARAMS_COUNT_MAX */
	for (int i = 0; i < FCGI_PARAMS_COUNT_MAX + 1; i++) {
		char name[16];

		snprintf(name, sizeof name, "N%d", i);
		n += pair(pr + n, name, "", 0);
	}
	rec(&b, FCGI_PARAMS, 1, pr, n, 0);
	rec(&b, FCGI_PARAMS, 1, NULL, 0, 0);
	f = serve(&b, &peer);
	assert_int_equal(fcgi_accept(f, NULL), AC_EUNAVAIL);
	fcgi_free(f);
	close(peer);

	/* Over FCGI_PARAMS_MAX bytes in all: three records of 60000 bytes. */
	memset(pr, 'v', 60000);
	b.n = 0;
	begin(&b, 1, FCGI_RESPONDER, 0);
	for (int i = 0; i < 3; i++)
		rec(&b, FCGI_PARAMS, 1, pr, 60000, 0);
	f = serve(&b, &peer);
	assert_int_equal(fcgi_accept(f, NULL), AC_EUNAVAIL);
	fcgi_free(f);
	close(peer);
}

static void test_emergency_without_request_writes_nothing(void **state)
{
	(void)state;
	fcgi_emergency("x", 1);   /* no request current: must not write anywhere */
	fcgi_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listener_detection),
		cmocka_unit_test(test_params_body_and_answer),
		cmocka_unit_test(test_body_ending_early_and_short_answers),
		cmocka_unit_test(test_limits_close_the_connection),
		cmocka_unit_test(test_emergency_without_request_writes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
