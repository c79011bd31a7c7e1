/* Unit tests of lib/rl.c against a real redis-server: the failure-counter reservation of §1.12. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "redis_server.h"
#include "rl.h"

#define ACC_KEY "auth:rl:login-account:acc"
#define ADDR_KEY "auth:rl:login-addr:127.0.0.1"

static struct rate_limit account = { 3, 900 }, addr = { 5, 600 }, off = { 0, 900 };

static int setup(void **state)
{
	struct test_redis *t = test_redis_start();

	if (!t || !t->r) {
		test_redis_stop(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	test_redis_stop(*state);
	return 0;
}

static int reset(void **state)
{
	struct test_redis *t = *state;

	test_redis_do(t, "FLUSHALL");
	return 0;
}

static void slots(struct rl_slot s[2], const struct rate_limit *a, const char *addr_subject)
{
	s[0] = (struct rl_slot){ a, RL_LOGIN_ACCOUNT, "acc" };
	s[1] = (struct rl_slot){ &addr, RL_LOGIN_ADDR, addr_subject };
}

static long long value(struct test_redis *t, const char *key)
{
	char v[32];

	test_redis_get(t, v, sizeof v, "GET", key);
	return v[0] ? atoll(v) : -1;   /* -1: no such key */
}

static long long ttl(struct test_redis *t, const char *key)
{
	char v[32];

	test_redis_get(t, v, sizeof v, "TTL", key);
	return atoll(v);
}

static void reserve_counts_both_with_ttl_at_creation(void **state)
{
	struct test_redis *t = *state;
	struct rl_slot s[2];
	int held[2];
	long retry = 0;

	slots(s, &account, "127.0.0.1");
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_OK);
	assert_int_equal(held[0], 1);
	assert_int_equal(held[1], 1);
	assert_int_equal(value(t, ACC_KEY), 1);
	assert_int_equal(value(t, ADDR_KEY), 1);
	assert_true(ttl(t, ACC_KEY) > 890 && ttl(t, ACC_KEY) <= 900);
	assert_true(ttl(t, ADDR_KEY) > 590 && ttl(t, ADDR_KEY) <= 600);
	/* The TTL is set at creation and never extended. */
	test_redis_do(t, "EXPIRE", ACC_KEY, "100");
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_OK);
	assert_int_equal(value(t, ACC_KEY), 2);
	assert_true(ttl(t, ACC_KEY) <= 100);
	assert_int_equal(retry, 0);
}

static void over_count_is_a_limit_that_holds_nothing(void **state)
{
	struct test_redis *t = *state;
	struct rl_slot s[2];
	int held[2];
	long retry = 0;

	slots(s, &account, "127.0.0.1");
	for (int i = 0; i < 3; i++)
		assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_OK);
	assert_int_equal(value(t, ACC_KEY), 3);
	/* The 4th: account 4 > 3. Both increments are taken back in the same script. */
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_ELIMIT);
	assert_int_equal(held[0], 0);
	assert_int_equal(held[1], 0);
	assert_int_equal(value(t, ACC_KEY), 3);
	assert_int_equal(value(t, ADDR_KEY), 3);
	assert_true(retry > 890 && retry <= 900);
	/* Retry-After is the largest TTL of those that tripped: only the account one here. */
	test_redis_do(t, "SET", ADDR_KEY, "5", "EX", "2000");
	retry = 0;
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_ELIMIT);
	assert_true(retry > 1990 && retry <= 2000);
	assert_int_equal(value(t, ADDR_KEY), 5);
	/* A counter the 429 created is not left behind. */
	test_redis_do(t, "DEL", ACC_KEY);
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_ELIMIT);
	assert_int_equal(value(t, ACC_KEY), -1);
}

static void disabled_limit_or_unknown_address_is_not_counted(void **state)
{
	struct test_redis *t = *state;
	struct rl_slot s[2];
	int held[2];
	long retry = 0;

	slots(s, &off, "");
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_OK);
	assert_int_equal(held[0], 0);
	assert_int_equal(held[1], 0);
	assert_int_equal(value(t, ACC_KEY), -1);
	slots(s, &account, "");
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_OK);
	assert_int_equal(held[0], 1);
	assert_int_equal(held[1], 0);
	assert_int_equal(value(t, ACC_KEY), 1);
}

static void a_key_without_ttl_gets_one(void **state)
{
	struct test_redis *t = *state;
	struct rl_slot s[2];
	int held[2];
	long retry = 0;

	test_redis_do(t, "SET", ACC_KEY, "1");
	slots(s, &account, "127.0.0.1");
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_OK);
	assert_true(ttl(t, ACC_KEY) > 890);
}

static void settle_gives_back_never_below_zero_and_deletes(void **state)
{
	struct test_redis *t = *state;
	struct rl_slot s[2];
	enum rl_settle back[2] = { RL_GIVE_BACK, RL_GIVE_BACK };
	enum rl_settle success[2] = { RL_DELETE, RL_GIVE_BACK };
	enum rl_settle keep[2] = { RL_KEEP, RL_KEEP };
	int held[2];
	long retry = 0;

	slots(s, &account, "127.0.0.1");
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_OK);
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_OK);
	assert_int_equal(rl_settle(t->r, s, keep, 2), AC_OK);
	assert_int_equal(value(t, ACC_KEY), 2);
	assert_int_equal(rl_settle(t->r, s, back, 2), AC_OK);
	assert_int_equal(value(t, ACC_KEY), 1);
	assert_int_equal(value(t, ADDR_KEY), 1);
	assert_true(ttl(t, ADDR_KEY) > 590);
	/* Back at 0: the key goes; again: still nothing, never negative. */
	assert_int_equal(rl_settle(t->r, s, back, 2), AC_OK);
	assert_int_equal(value(t, ACC_KEY), -1);
	assert_int_equal(value(t, ADDR_KEY), -1);
	assert_int_equal(rl_settle(t->r, s, back, 2), AC_OK);
	assert_int_equal(value(t, ACC_KEY), -1);
	assert_int_equal(value(t, ADDR_KEY), -1);
	/* A success deletes login-account whatever it holds and gives back one login-addr. */
	test_redis_do(t, "SET", ACC_KEY, "3", "EX", "900");
	test_redis_do(t, "SET", ADDR_KEY, "4", "EX", "600");
	assert_int_equal(rl_settle(t->r, s, success, 2), AC_OK);
	assert_int_equal(value(t, ACC_KEY), -1);
	assert_int_equal(value(t, ADDR_KEY), 3);
}

static void redis_gone_is_unavailable(void **state)
{
	struct test_redis *t = *state;
	struct rl_slot s[2];
	enum rl_settle back[2] = { RL_GIVE_BACK, RL_GIVE_BACK };
	int held[2] = { 1, 1 };
	long retry = 0;

	slots(s, &account, "127.0.0.1");
	kill(t->pid, SIGTERM);
	waitpid(t->pid, NULL, 0);
	t->pid = 0;
	assert_int_equal(rl_reserve(t->r, s, 2, held, &retry), AC_EUNAVAIL);
	assert_int_equal(held[0], 0);
	assert_int_equal(held[1], 0);
	assert_int_equal(rl_settle(t->r, s, back, 2), AC_EUNAVAIL);
	assert_int_equal(rds_broken(t->r), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(reserve_counts_both_with_ttl_at_creation, reset),
		cmocka_unit_test_setup(over_count_is_a_limit_that_holds_nothing, reset),
		cmocka_unit_test_setup(disabled_limit_or_unknown_address_is_not_counted, reset),
		cmocka_unit_test_setup(a_key_without_ttl_gets_one, reset),
		cmocka_unit_test_setup(settle_gives_back_never_below_zero_and_deletes, reset),
		cmocka_unit_test_setup(redis_gone_is_unavailable, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
