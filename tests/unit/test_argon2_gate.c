/* Unit tests for lib/argon2_gate.c: the cross-process cap on concurrent Argon2 hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "argon2_gate.h"
#include "err.h"
#include "timefmt.h"

static char dir[64];
static char prefix[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/a2gate-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(prefix, sizeof prefix, "%s/db.sqlite3", dir);
	return 0;
}

static int teardown(void **state)
{
	char path[256];

	(void)state;
	for (int i = 0; i < 8; i++) {
		snprintf(path, sizeof path, "%s-argon2-%d", prefix, i);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}

static void test_unbounded_locks_nothing(void **state)
{
	struct a2gate g;
	char path[256];

	(void)state;
	assert_int_equal(a2gate_enter_at(&g, prefix, 0, 0), AC_OK);
	assert_int_equal(g.fd, -1);
	a2gate_leave(&g);
	snprintf(path, sizeof path, "%s-argon2-0", prefix);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_cap_is_enforced(void **state)
{
	struct a2gate a, b, c;
	long long t0;

	(void)state;
	assert_int_equal(a2gate_enter_at(&a, prefix, 2, 0), AC_OK);
	assert_true(a.fd >= 0);
	assert_int_equal(a2gate_enter_at(&b, prefix, 2, 0), AC_OK);
	assert_true(b.fd >= 0);
	/* Both slots are held: a third waits its time, then gives up. */
	t0 = tm_mono_ms();
	assert_int_equal(a2gate_enter_at(&c, prefix, 2, 150), AC_EUNAVAIL);
	assert_true(tm_mono_ms() - t0 >= 150);
	assert_int_equal(c.fd, -1);
	a2gate_leave(&a);
	assert_int_equal(a.fd, -1);
	a2gate_leave(&a);    /* twice is harmless */
	assert_int_equal(a2gate_enter_at(&c, prefix, 2, 0), AC_OK);
	a2gate_leave(&b);
	a2gate_leave(&c);
}

static void test_waiter_gets_a_slot_released_meanwhile(void **state)
{
	struct a2gate a, b;
	pid_t pid;
	int st;

	(void)state;
	assert_int_equal(a2gate_enter_at(&a, prefix, 1, 0), AC_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child waits up to 5 s; the parent releases after 100 ms. A forked copy of
		 * the descriptor would hold the lock too, so the child drops its copy first. */
		struct a2gate w;
		int rc;

		close(a.fd);
		rc = a2gate_enter_at(&w, prefix, 1, 5000);

		a2gate_leave(&w);
		_exit(rc == AC_OK ? 0 : 1);
	}
	usleep(100000);
	a2gate_leave(&a);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(a2gate_enter_at(&b, prefix, 1, 0), AC_OK);
	a2gate_leave(&b);
}

static void test_killed_holder_releases_its_slot(void **state)
{
	int ready[2];
	struct a2gate g;
	char c;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct a2gate held;

		if (a2gate_enter_at(&held, prefix, 1, 0) != AC_OK)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(a2gate_enter_at(&g, prefix, 1, 50), AC_EUNAVAIL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(a2gate_enter_at(&g, prefix, 1, 0), AC_OK);
	a2gate_leave(&g);
	close(ready[0]);
	close(ready[1]);
}

static void test_unusable_directory_fails_closed(void **state)
{
	struct a2gate g;

	(void)state;
	assert_int_equal(a2gate_enter_at(&g, "/nonexistent-dir/db.sqlite3", 4, 1000), AC_EUNAVAIL);
	assert_int_equal(g.fd, -1);
}

static void test_enter_uses_the_configuration(void **state)
{
	struct cfg cfg;
	struct a2gate a, b;
	char path[256];

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	cfg.argon2_slot_prefix = prefix;
	cfg.argon2_max_concurrent = 1;
	assert_int_equal(a2gate_enter(&a, &cfg), AC_OK);
	snprintf(path, sizeof path, "%s-argon2-0", prefix);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(a2gate_enter_at(&b, prefix, 1, 0), AC_EUNAVAIL);
	a2gate_leave(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unbounded_locks_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_is_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiter_gets_a_slot_released_meanwhile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_holder_releases_its_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unusable_directory_fails_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_uses_the_configuration, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
