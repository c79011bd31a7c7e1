/* Unit tests of lib/sentinel.c: the replies of get-master-addr-by-name and ROLE, the time budget,
 * and the discovery against Sentinels that refuse, answer nothing, or name a master (a forked
 * loopback server with canned replies). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "sentinel.h"
#include "timefmt.h"

static redisReply str(const char *s)
{
	redisReply r = { .type = REDIS_REPLY_STRING, .len = strlen(s), .str = (char *)s };

	return r;
}

static redisReply array(redisReply **el, size_t n)
{
	redisReply r = { .type = REDIS_REPLY_ARRAY, .elements = n, .element = el };

	return r;
}

static void parse_addr(void **state)
{
	struct sentinel_addr a;
	redisReply h = str("10.0.0.7"), p = str("6380"), h6 = str("fe80::1%eth0"), bad = str("1 2"),
		   p0 = str("0"), pbig = str("65536"), pneg = str("-1"), plong = str("0000006379"),
		   pint = { .type = REDIS_REPLY_INTEGER, .integer = 6379 }, nil = { .type = REDIS_REPLY_NIL };
	redisReply *ok[] = { &h, &p }, *ok6[] = { &h6, &p }, *three[] = { &h, &p, &p },
		   *badhost[] = { &bad, &p }, *z[] = { &h, &p0 }, *big[] = { &h, &pbig },
		   *neg[] = { &h, &pneg }, *lng[] = { &h, &plong }, *num[] = { &h, &pint };
	redisReply r;

	(void)state;
	r = array(ok, 2);
	assert_int_equal(sentinel_parse_addr(&r, &a), AC_OK);
	assert_string_equal(a.host, "10.0.0.7");
	assert_int_equal(a.port, 6380);
	r = array(ok6, 2);
	assert_int_equal(sentinel_parse_addr(&r, &a), AC_OK);
	assert_string_equal(a.host, "fe80::1%eth0");
	assert_int_equal(sentinel_parse_addr(&nil, &a), AC_EINVAL);   /* an unknown master name */
	assert_int_equal(sentinel_parse_addr(NULL, &a), AC_EINVAL);
	r = array(ok, 1);
	assert_int_equal(sentinel_parse_addr(&r, &a), AC_EINVAL);
	r = array(three, 3);
	assert_int_equal(sentinel_parse_addr(&r, &a), AC_EINVAL);
	r = array(badhost, 2);
	assert_int_equal(sentinel_parse_addr(&r, &a), AC_EINVAL);
	r = array(z, 2);
	assert_int_equal(sentinel_parse_addr(&r, &a), AC_EINVAL);
	r = array(big, 2);
	assert_int_equal(sentinel_parse_addr(&r, &a), AC_EINVAL);
	r = array(neg, 2);
	assert_int_equal(sentinel_parse_addr(&r, &a), AC_EINVAL);
	r = array(lng, 2);
	assert_int_equal(sentinel_parse_addr(&r, &a), AC_EINVAL);
	r = array(num, 2);
	assert_int_equal(sentinel_parse_addr(&r, &a), AC_EINVAL);
}

static void role(void **state)
{
	redisReply m = str("master"), s = str("slave"), sen = str("sentinel"), other = str("masterx"),
		   off = { .type = REDIS_REPLY_INTEGER, .integer = 0 };
	redisReply *em[] = { &m, &off }, *es[] = { &s }, *esen[] = { &sen }, *eo[] = { &other };
	redisReply r, e = { .type = REDIS_REPLY_ERROR, .len = 3, .str = "ERR" };
	const char *what;

	(void)state;
	r = array(em, 2);
	assert_int_equal(sentinel_role_is_master(&r, &what), 1);
	assert_string_equal(what, "master");
	r = array(es, 1);
	assert_int_equal(sentinel_role_is_master(&r, &what), 0);
	assert_string_equal(what, "a replica");
	r = array(esen, 1);
	assert_int_equal(sentinel_role_is_master(&r, &what), 0);
	assert_string_equal(what, "a Sentinel");
	r = array(eo, 1);
	assert_int_equal(sentinel_role_is_master(&r, NULL), 0);
	r = array(em, 0);
	assert_int_equal(sentinel_role_is_master(&r, NULL), 0);
	assert_int_equal(sentinel_role_is_master(&e, NULL), 0);
	assert_int_equal(sentinel_role_is_master(NULL, NULL), 0);
}

static void budget(void **state)
{
	long long now = tm_mono_ms();

	(void)state;
	assert_int_equal(sentinel_budget_ms(now - 1, 500), 0);
	assert_int_equal(sentinel_budget_ms(now + 100000, 500), 500);
	assert_in_range(sentinel_budget_ms(now + 200, 500), 1, 200);
}

/* A loopback server answering every connection with reply (NULL: accept and say nothing). */
static pid_t serve(const char *reply, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	assert_true(l >= 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(l, 16), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;) {
			char buf[512];
			int c = accept(l, NULL, NULL);

			if (c < 0)
				_exit(0);
			if (reply && read(c, buf, sizeof buf) > 0 &&
			    write(c, reply, strlen(reply)) < 0)
				_exit(1);
			if (!reply)
				sleep(5);
			close(c);
		}
	}
	close(l);
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A loopback port with nothing listening on it. */
static int closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	close(s);
	return ntohs(sa.sin_port);
}

static void discovery(void **state)
{
	struct cfg_redis rc = { .is_sentinel = 1, .master_name = "mymaster", .n_sentinels = 4 };
	struct sentinel_addr a;
	size_t which = 99;
	int p_nil, p_err, p_ok, p_mute;
	pid_t nil = serve("*-1\r\n", &p_nil), err = serve("-ERR no such master\r\n", &p_err),
	      okk = serve("*2\r\n$9\r\n127.0.0.9\r\n$4\r\n6390\r\n", &p_ok), mute = serve(NULL, &p_mute);
	long long t0;

	(void)state;
	rc.sentinels[0] = (struct cfg_redis_node){ "127.0.0.1", closed_port() };
	rc.sentinels[1] = (struct cfg_redis_node){ "127.0.0.1", p_nil };
	rc.sentinels[2] = (struct cfg_redis_node){ "127.0.0.1", p_err };
	rc.sentinels[3] = (struct cfg_redis_node){ "127.0.0.1", p_ok };
	/* refused, unknown name, error: skipped in order; the fourth answers */
	assert_int_equal(sentinel_master_addr(&rc, 0, 500, 1000, tm_mono_ms() + 5000, &a, &which),
			 AC_OK);
	assert_int_equal(which, 3);
	assert_string_equal(a.host, "127.0.0.9");
	assert_int_equal(a.port, 6390);
	/* asking from the one after */
	assert_int_equal(sentinel_master_addr(&rc, 4, 500, 1000, tm_mono_ms() + 5000, &a, &which),
			 AC_EUNAVAIL);
	rc.n_sentinels = 3;
	assert_int_equal(sentinel_master_addr(&rc, 0, 500, 1000, tm_mono_ms() + 5000, &a, &which),
			 AC_EUNAVAIL);
	/* a Sentinel that accepts and never answers costs its command timeout, then the next is asked */
	rc.sentinels[0] = (struct cfg_redis_node){ "127.0.0.1", p_mute };
	rc.sentinels[1] = (struct cfg_redis_node){ "127.0.0.1", p_ok };
	rc.n_sentinels = 2;
	t0 = tm_mono_ms();
	assert_int_equal(sentinel_master_addr(&rc, 0, 500, 300, tm_mono_ms() + 5000, &a, &which),
			 AC_OK);
	assert_int_equal(which, 1);
	assert_in_range(tm_mono_ms() - t0, 250, 1500);
	/* the deadline cuts the wait short, and nothing is asked after it */
	t0 = tm_mono_ms();
	assert_int_equal(sentinel_master_addr(&rc, 0, 500, 1000, tm_mono_ms() + 200, &a, &which),
			 AC_EUNAVAIL);
	assert_in_range(tm_mono_ms() - t0, 150, 800);
	stop(nil);
	stop(err);
	stop(okk);
	stop(mute);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_addr),
		cmocka_unit_test(role),
		cmocka_unit_test(budget),
		cmocka_unit_test(discovery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
