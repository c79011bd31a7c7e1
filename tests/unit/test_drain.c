/* Unit tests of lib/drain.c: what is discarded from a socket stdin, and that pipes are left alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "drain.h"

/* Writes n bytes of 'x' to fd. */
static void fill(int fd, size_t n)
{
	char buf[4096];

	memset(buf, 'x', sizeof buf);
	while (n > 0) {
		size_t k = n < sizeof buf ? n : sizeof buf;

		assert_int_equal(write(fd, buf, k), (ssize_t)k);
		n -= k;
	}
}

/* What is still readable on fd right now (the peer must have shut down its write side). */
static size_t rest(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += (size_t)n;
	return total;
}

static void pipes_are_left_alone(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	fill(p[1], 100);
	close(p[1]);
	assert_int_equal(drain_unread_body(p[0], "100", 0, 1000), 0);
	assert_int_equal(rest(p[0]), 100);
	close(p[0]);
}

static void socket_drains_exactly_the_unread_part_of_the_declared_body(void **state)
{
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fill(sv[1], 15000);
	shutdown(sv[1], SHUT_WR);
	assert_int_equal(drain_unread_body(sv[0], "12000", 2000, 1000), 10000);
	assert_int_equal(rest(sv[0]), 5000);
	close(sv[0]);
	close(sv[1]);
}

static void socket_with_the_body_already_read_is_not_touched(void **state)
{
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fill(sv[1], 10);
	shutdown(sv[1], SHUT_WR);
	assert_int_equal(drain_unread_body(sv[0], "64", 64, 1000), 0);
	assert_int_equal(drain_unread_body(sv[0], "64", 100, 1000), 0);
	assert_int_equal(rest(sv[0]), 10);
	close(sv[0]);
	close(sv[1]);
}

static void socket_without_a_valid_length_drains_to_eof(void **state)
{
	const char *lengths[] = { NULL, "", "abc", "-1", "12345678901" };

	(void)state;
	for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		fill(sv[1], 3000);
		shutdown(sv[1], SHUT_WR);
		assert_int_equal(drain_unread_body(sv[0], lengths[i], 0, 1000), 3000);
		close(sv[0]);
		close(sv[1]);
	}
}

static void a_silent_peer_costs_at_most_the_timeout(void **state)
{
	struct timespec a, b;
	int sv[2];
	long ms;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fill(sv[1], 10);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(drain_unread_body(sv[0], "1000", 0, 150), 10);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 100 && ms < 1000);
	close(sv[0]);
	close(sv[1]);
}

static void closed_or_bad_descriptors_are_harmless(void **state)
{
	(void)state;
	assert_int_equal(drain_unread_body(-1, "10", 0, 100), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pipes_are_left_alone),
		cmocka_unit_test(socket_drains_exactly_the_unread_part_of_the_declared_body),
		cmocka_unit_test(socket_with_the_body_already_read_is_not_touched),
		cmocka_unit_test(socket_without_a_valid_length_drains_to_eof),
		cmocka_unit_test(a_silent_peer_costs_at_most_the_timeout),
		cmocka_unit_test(closed_or_bad_descriptors_are_harmless),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
