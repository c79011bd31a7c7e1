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

#include <sys/ipc.h>
#include <sys/sem.h>

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

/* The semaphore set whose key is in "<pfx>-argon2-sem", or -1. */
static int set_of(const char *pfx)
{
	char path[256];
	long key = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s" A2GATE_KEY_SUFFIX, pfx);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &key) != 1)
		key = 0;
	fclose(f);
	return key ? semget((key_t)key, 0, 0) : -1;
}

/* Removes the set and its key file: sets outlive processes, tests must not leave them. */
static void remove_gate(const char *pfx)
{
	char path[256];
	int id = set_of(pfx);

	if (id >= 0)
		semctl(id, 0, IPC_RMID);
	snprintf(path, sizeof path, "%s" A2GATE_KEY_SUFFIX, pfx);
	unlink(path);
}

static int teardown(void **state)
{
	(void)state;
	remove_gate(prefix);
	rmdir(dir);
	return 0;
}

static void test_unbounded_locks_nothing(void **state)
{
	struct a2gate g;
	char path[256];

	(void)state;
	assert_int_equal(a2gate_enter_at(&g, prefix, 0, 0), AC_OK);
	assert_int_equal(g.semid, -1);
	a2gate_leave(&g);
	snprintf(path, sizeof path, "%s" A2GATE_KEY_SUFFIX, prefix);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_cap_is_enforced(void **state)
{
	struct a2gate a, b, c;
	long long t0;

	(void)state;
	assert_int_equal(a2gate_enter_at(&a, prefix, 2, 0), AC_OK);
	assert_true(a.semid >= 0);
	assert_int_equal(a2gate_enter_at(&b, prefix, 2, 0), AC_OK);
	assert_true(b.semid >= 0);
	/* Both slots are held: a third waits its time, then gives up. */
	t0 = tm_mono_ms();
	assert_int_equal(a2gate_enter_at(&c, prefix, 2, 150), AC_EUNAVAIL);
	assert_true(tm_mono_ms() - t0 >= 150);
	assert_int_equal(c.semid, -1);
	a2gate_leave(&a);
	assert_int_equal(a.semid, -1);
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
		/* The child waits up to 5 s; the parent releases after 100 ms. */
		struct a2gate w;
		int rc;

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
	assert_int_equal(g.semid, -1);
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
	snprintf(path, sizeof path, "%s" A2GATE_KEY_SUFFIX, prefix);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(a2gate_enter_at(&b, prefix, 1, 0), AC_EUNAVAIL);
	a2gate_leave(&a);
}

/* Linux wakes the waiters of a single-semaphore decrement in arrival order: N processes queued
 * one after the other on a full gate get the slot in that order. */
static void test_waiters_are_served_in_arrival_order(void **state)
{
	enum { N = 6 };
	struct a2gate a;
	int order[2], id;
	char got[N];

	(void)state;
	assert_int_equal(pipe(order), 0);
	assert_int_equal(a2gate_enter_at(&a, prefix, 1, 0), AC_OK);
	id = set_of(prefix);
	assert_true(id >= 0);
	for (int i = 0; i < N; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			struct a2gate w;
			char c = (char)('0' + i);

			if (a2gate_enter_at(&w, prefix, 1, 10000) != AC_OK)
				_exit(1);
			/* Reported while holding: the next waiter cannot have run yet. */
			if (write(order[1], &c, 1) != 1)
				_exit(1);
			usleep(5000);
			a2gate_leave(&w);
			_exit(0);
		}
		/* The next one is started only once this one sleeps in the queue. */
		for (int k = 0; k < 2000 && semctl(id, 0, GETNCNT) != i + 1; k++)
			usleep(1000);
		assert_int_equal(semctl(id, 0, GETNCNT), i + 1);
	}
	a2gate_leave(&a);
	for (int i = 0; i < N; i++)
		assert_int_equal(read(order[0], &got[i], 1), 1);
	for (int i = 0; i < N; i++) {
		int st;

		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_memory_equal(got, "012345", N);
	close(order[0]);
	close(order[1]);
}

static void test_owner_only(void **state)
{
	struct a2gate g;
	struct semid_ds ds;
	struct stat st;
	char path[256];

	(void)state;
	assert_int_equal(a2gate_enter_at(&g, prefix, 2, 0), AC_OK);
	snprintf(path, sizeof path, "%s" A2GATE_KEY_SUFFIX, prefix);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(semctl(g.semid, 0, IPC_STAT, &ds), 0);
	assert_int_equal(ds.sem_perm.mode & 0777, 0600);
	assert_int_equal(ds.sem_perm.uid, geteuid());
	assert_int_equal(ds.sem_nsems, 2);
	/* One taken of two. */
	assert_int_equal(semctl(g.semid, 0, GETVAL), 1);
	assert_int_equal(semctl(g.semid, 1, GETVAL), 2);
	a2gate_leave(&g);
	assert_int_equal(semctl(set_of(prefix), 0, GETVAL), 2);
}

/* Two installs (two database paths) never share a gate, even in one directory. */
static void test_prefixes_do_not_share(void **state)
{
	struct a2gate a, b;
	char other[160];

	(void)state;
	snprintf(other, sizeof other, "%s/other.sqlite3", dir);
	assert_int_equal(a2gate_enter_at(&a, prefix, 1, 0), AC_OK);
	assert_int_equal(a2gate_enter_at(&b, other, 1, 0), AC_OK);
	assert_int_not_equal(a.semid, b.semid);
	a2gate_leave(&a);
	a2gate_leave(&b);
	remove_gate(other);
}

/* ARGON2_MAX_CONCURRENT changed: the total follows, a decrease once the slots are free. */
static void test_total_follows_the_configuration(void **state)
{
	struct a2gate a, b, c;
	int id;

	(void)state;
	assert_int_equal(a2gate_enter_at(&a, prefix, 1, 0), AC_OK);
	assert_int_equal(a2gate_enter_at(&b, prefix, 1, 0), AC_EUNAVAIL);
	assert_int_equal(a2gate_enter_at(&b, prefix, 2, 0), AC_OK);   /* raised to 2 */
	id = set_of(prefix);
	assert_int_equal(semctl(id, 1, GETVAL), 2);
	/* Back to 1 with both held: not possible now, the total stays 2 and nothing is free. */
	assert_int_equal(a2gate_enter_at(&c, prefix, 1, 0), AC_EUNAVAIL);
	assert_int_equal(semctl(id, 1, GETVAL), 2);
	a2gate_leave(&a);
	a2gate_leave(&b);
	assert_int_equal(a2gate_enter_at(&c, prefix, 1, 0), AC_OK);   /* lowered to 1 */
	assert_int_equal(semctl(id, 1, GETVAL), 1);
	assert_int_equal(semctl(id, 0, GETVAL), 0);
	assert_int_equal(a2gate_enter_at(&a, prefix, 1, 0), AC_EUNAVAIL);
	a2gate_leave(&c);
	assert_int_equal(semctl(id, 0, GETVAL), 1);
}

/* After a reboot or ipcrm the key names no set: a new one is made, the file updated. */
static void test_stale_key_is_replaced(void **state)
{
	struct a2gate g;
	char path[256];
	FILE *f;
	int id;

	(void)state;
	assert_int_equal(a2gate_enter_at(&g, prefix, 1, 0), AC_OK);
	a2gate_leave(&g);
	id = set_of(prefix);
	assert_int_equal(semctl(id, 0, IPC_RMID), 0);
	assert_int_equal(a2gate_enter_at(&g, prefix, 1, 0), AC_OK);
	assert_int_not_equal(g.semid, id);
	assert_int_equal(set_of(prefix), g.semid);
	a2gate_leave(&g);
	/* Garbage in the file: the same. */
	snprintf(path, sizeof path, "%s" A2GATE_KEY_SUFFIX, prefix);
	id = set_of(prefix);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	semctl(id, 0, IPC_RMID);
	assert_int_equal(a2gate_enter_at(&g, prefix, 1, 0), AC_OK);
	assert_int_equal(set_of(prefix), g.semid);
	a2gate_leave(&g);
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
		cmocka_unit_test_setup_teardown(test_waiters_are_served_in_arrival_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefixes_do_not_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_total_follows_the_configuration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_key_is_replaced, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
