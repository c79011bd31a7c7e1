/* Unit tests for lib/mailq.c: queueing inside a transaction, claim and lease, take, failure backoff, expiry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "mailq.h"
#include <sqlite3.h>
#include "timefmt.h"

static const char UID[] = "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi";
static const char TOK[] = "bohohd-72c12308e11efffde629178b369213ad";
static const time_t T0 = 1684570801;   /* 2023-05-20 08:20:01 */

static struct cfg make_cfg(void)
{
	struct cfg c;

	memset(&c, 0, sizeof c);
	c.api_base_url = "https://api.example.com";
	c.frontend_url = "https://app.example.com";
	c.token_expiration = 600;
	return c;
}

/*
 * Each test gets a fresh migrated SQLite file opened through the store (db) and a second, raw
 * connection to the same file (raw) with which the test sets up rows and reads what was written.
 */
static sqlite3 *raw;
static char db_path[64];

static struct db *open_db(unsigned busy_ms)
{
	struct cfg c;
	struct db *db;
	unsigned applied;
	int fd;

	snprintf(db_path, sizeof db_path, "/tmp/test_mailq_XXXXXX");
	fd = mkstemp(db_path);
	assert_true(fd >= 0);
	close(fd);
	memset(&c, 0, sizeof c);
	c.database_path = db_path;
	c.sqlite_busy_timeout_ms = busy_ms;
	assert_int_equal(db_open_create(&c, &db), AC_OK);
	assert_int_equal(db_migrate(db, &applied), AC_OK);
	assert_int_equal(sqlite3_open(db_path, &raw), SQLITE_OK);
	sqlite3_busy_timeout(raw, 1000);
	return db;
}

static void close_db(struct db *db)
{
	char side[80];

	db_close(db);
	sqlite3_close(raw);
	raw = NULL;
	unlink(db_path);
	snprintf(side, sizeof side, "%s-wal", db_path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", db_path);
	unlink(side);
}

static int setup(void **state)
{
	*state = open_db(1000);
	return 0;
}

static int teardown(void **state)
{
	close_db(*state);
	return 0;
}

static void exec(struct db *db, const char *sql)
{
	char *err = NULL;

	(void)db;
	if (sqlite3_exec(raw, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* The first column of the first row of sql as text ("" when NULL), into out. */
static void query(struct db *db, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	const char *v;

	(void)db;
	assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = (const char *)sqlite3_column_text(st, 0);
	snprintf(out, outlen, "%s", v ? v : "");
	sqlite3_finalize(st);
}

static long long count(struct db *db, const char *where)
{
	char sql[256], v[32];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM mail_outbox WHERE %s", where);
	query(db, sql, v, sizeof v);
	return atoll(v);
}

static void insert_at(struct db *db, const char *rcpt, time_t due, const time_t *not_after)
{
	char when[TM_BUF], sql[160];

	assert_int_equal(mailq_insert(db, rcpt, "Subject", "text", "<p>html</p>", T0, not_after),
			 AC_OK);
	tm_db_format(due, 0, when);
	snprintf(sql, sizeof sql, "UPDATE mail_outbox SET next_attempt_at = '%s'"
		 " WHERE id = (SELECT max(id) FROM mail_outbox)", when);
	exec(db, sql);
}

static void test_queue_activation(void **state)
{
	struct db *db = *state;
	struct cfg c = make_cfg();
	char v[4096];
	time_t before = time(NULL);

	assert_int_equal(mailq_queue_activation(db, &c, "john@example.com", UID, TOK, T0 + 600),
			 AC_OK);
	assert_int_equal(count(db, "1"), 1);
	query(db, "SELECT recipient || '|' || subject || '|' || not_after || '|' || attempts ||"
		  " '|' || (last_error IS NULL) || '|' || (next_attempt_at = created_at)"
		  " FROM mail_outbox", v, sizeof v);
	assert_string_equal(v, "john@example.com|Please, verify your account|2023-05-20 08:30:01|0|1|1");
	query(db, "SELECT body_text FROM mail_outbox", v, sizeof v);
	assert_non_null(strstr(v, "\nhttps://api.example.com/users/register/confirm/" "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi/bohohd-72c12308e11efffde629178b369213ad/\n"));
	assert_non_null(strstr(v, "Saturday May 20, 2023 at 08:30:01 AM UTC."));
	query(db, "SELECT body_html FROM mail_outbox", v, sizeof v);
	assert_non_null(strstr(v, "<title>Let's get you verified</title>"));
	/* created now, in the stored datetime form */
	query(db, "SELECT created_at FROM mail_outbox", v, sizeof v);
	{
		time_t s;
		long us;

		assert_int_equal(tm_db_parse(v, &s, &us), AC_OK);
		assert_true(s >= before && s <= time(NULL));
	}
}

static void test_queue_reset_and_changed(void **state)
{
	struct db *db = *state;
	struct cfg c = make_cfg();
	char v[4096];

	assert_int_equal(mailq_queue_reset(db, &c, "john@example.com", UID, TOK, T0 + 600), AC_OK);
	assert_int_equal(mailq_queue_password_changed(db, &c, "john@example.com", T0), AC_OK);
	query(db, "SELECT subject || '|' || not_after FROM mail_outbox WHERE id = 1", v, sizeof v);
	assert_string_equal(v, "Password reset instructions|2023-05-20 08:30:01");
	query(db, "SELECT body_text FROM mail_outbox WHERE id = 1", v, sizeof v);
	assert_non_null(strstr(v, "/users/password-change/confirm/change-password/"));
	query(db, "SELECT subject || '|' || (not_after IS NULL) FROM mail_outbox WHERE id = 2", v,
	      sizeof v);
	assert_string_equal(v, "Your password has been changed|1");
	query(db, "SELECT body_text FROM mail_outbox WHERE id = 2", v, sizeof v);
	assert_non_null(strstr(v, "The password of your account john@example.com was changed on Saturday May 20, 2023 at 08:20:01 AM UTC."));
}

/* Queues an activation e-mail, then fails the transaction it is in. */
static int queue_then_fail(struct db *db, void *arg)
{
	assert_int_equal(mailq_queue_activation(db, arg, "john@example.com", UID, TOK, T0), AC_OK);
	return AC_EDENIED;
}

static void test_queue_rolls_back(void **state)
{
	struct db *db = *state;
	struct cfg c = make_cfg();

	/* the message exists only if the change that caused it commits */
	assert_int_equal(db_tx(db, queue_then_fail, &c), AC_EDENIED);
	assert_int_equal(count(db, "1"), 0);
}

static void test_queue_rejects(void **state)
{
	struct db *db = *state;
	struct cfg c = make_cfg();

	assert_int_equal(mailq_queue_activation(db, &c, "john@example.com\r\nBcc: x@y.z", UID, TOK,
						T0), AC_EINVAL);
	assert_int_equal(mailq_queue_password_changed(db, &c, "a\nb@example.com", T0), AC_EINVAL);
	assert_int_equal(mailq_queue_reset(db, &c, "john@example.com", UID, "../x", T0), AC_EINVAL);
	assert_int_equal(mailq_insert(db, "john@example.com", "S\r\nX: y", "t", "h", T0, NULL),
			 AC_EINVAL);
	assert_int_equal(mailq_insert(db, "ab", "S", "t", "h", T0, NULL), AC_EINVAL);
	assert_int_equal(mailq_insert(db, "john@example.com", "", "t", "h", T0, NULL), AC_EINVAL);
	{
		char subj[600] = "";

		for (int i = 0; i < 256; i++)
			strcat(subj, "\xc3\xa9");
		assert_int_equal(mailq_insert(db, "john@example.com", subj, "t", "h", T0, NULL),
				 AC_EINVAL);
		assert_int_equal(count(db, "1"), 0);
		subj[510] = '\0';
		assert_int_equal(mailq_insert(db, "john@example.com", subj, "t", "h", T0, NULL),
				 AC_OK);
		exec(db, "DELETE FROM mail_outbox");
	}
	assert_int_equal(count(db, "1"), 0);
}

static void test_queue_busy(void **state)
{
	struct cfg c = make_cfg();
	struct db *db = open_db(0);

	(void)state;
	exec(db, "BEGIN IMMEDIATE");
	assert_int_equal(mailq_queue_activation(db, &c, "john@example.com", UID, TOK, T0),
			 AC_EUNAVAIL);
	exec(db, "ROLLBACK");
	assert_int_equal(mailq_queue_activation(db, &c, "john@example.com", UID, TOK, T0), AC_OK);
	close_db(db);
}

static void collect(long long id, const char *recipient, long attempts, void *ctx)
{
	char *log = ctx;

	snprintf(log + strlen(log), 256 - strlen(log), "%lld:%s:%ld;", id, recipient, attempts);
}

static void test_drop_expired(void **state)
{
	struct db *db = *state;
	char log[256] = "";
	unsigned n = 99;
	time_t past = T0 - 1, future = T0 + 60;

	insert_at(db, "a@example.com", T0, &past);     /* 1: expired */
	insert_at(db, "b@example.com", T0, &future);   /* 2 */
	insert_at(db, "c@example.com", T0, NULL);      /* 3: never expires */
	insert_at(db, "d@example.com", T0 + 99, &past); /* 4: expired, not even due */
	exec(db, "UPDATE mail_outbox SET attempts = 2 WHERE id = 4");
	assert_int_equal(mailq_drop_expired(db, T0, 0, collect, log, &n), AC_OK);
	assert_int_equal(n, 2);
	assert_string_equal(log, "1:a@example.com:0;4:d@example.com:2;");
	assert_int_equal(count(db, "1"), 2);
	/* not_after equal to now is not past it yet */
	assert_int_equal(mailq_drop_expired(db, T0 + 60, 0, NULL, NULL, &n), AC_OK);
	assert_int_equal(n, 0);
	assert_int_equal(mailq_drop_expired(db, T0 + 60, 1, NULL, NULL, &n), AC_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count(db, "1"), 1);
}

static void test_claim(void **state)
{
	struct db *db = *state;
	long long ids[8];
	size_t n;
	char lease[TM_BUF], v[64];
	time_t past = T0 - 1;

	insert_at(db, "a@example.com", T0 - 30, NULL);   /* 1 */
	insert_at(db, "b@example.com", T0 - 60, NULL);   /* 2: oldest due */
	insert_at(db, "c@example.com", T0, NULL);        /* 3: due exactly now */
	insert_at(db, "d@example.com", T0 + 1, NULL);    /* 4: not due */
	insert_at(db, "e@example.com", T0 - 90, &past);  /* 5: due but expired */

	assert_int_equal(mailq_claim(db, T0, 0, T0, 0, 300, 2, ids, &n, lease), AC_OK);
	assert_string_equal(lease, "2023-05-20 08:25:01");
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
	assert_int_equal(count(db, "next_attempt_at = '2023-05-20 08:25:01'"), 2);

	/* claimed rows are not claimed again while the lease runs */
	assert_int_equal(mailq_claim(db, T0, 1, T0, 1, 300, 8, ids, &n, lease), AC_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 3);
	assert_string_equal(lease, "2023-05-20 08:25:01.000001");
	assert_int_equal(mailq_claim(db, T0 + 299, 0, T0 + 299, 0, 300, 8, ids, &n, lease), AC_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 4);
	assert_int_equal(mailq_claim(db, T0 + 299, 0, T0 + 299, 0, 300, 8, ids, &n, lease), AC_OK);
	assert_int_equal(n, 0);
	/* ... and are claimable again once it has run out */
	assert_int_equal(mailq_claim(db, T0 + 300, 0, T0 + 300, 0, 300, 8, ids, &n, lease), AC_OK);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
	/* the cutoff holds back rows due after it */
	assert_int_equal(mailq_claim(db, T0 + 10000, 0, T0, 0, 300, 8, ids, &n, lease), AC_OK);
	assert_int_equal(n, 0);
	query(db, "SELECT next_attempt_at FROM mail_outbox WHERE id = 5", v, sizeof v);
	assert_string_equal(v, "2023-05-20 08:18:31");
	assert_int_equal(mailq_claim(db, T0, 0, T0, 0, 300, 0, ids, &n, lease), AC_OK);
	assert_int_equal(n, 0);
}

static void test_take_and_release(void **state)
{
	struct db *db = *state;
	struct mailq_row *r, *r2;
	long long ids[4];
	size_t n;
	char lease[TM_BUF], lease2[TM_BUF], v[64];
	time_t na = T0 + 600;

	insert_at(db, "a@example.com", T0, &na);
	assert_int_equal(mailq_claim(db, T0, 0, T0, 0, 300, 4, ids, &n, lease), AC_OK);
	assert_int_equal(n, 1);
	/* a wrong lease proves no claim */
	assert_int_equal(mailq_take(db, ids[0], "2023-05-20 08:25:02", T0 + 5, 0, 300, &r),
			 AC_ENOTFOUND);
	assert_null(r);
	assert_int_equal(mailq_take(db, ids[0], lease, T0 + 5, 7, 300, &r), AC_OK);
	assert_int_equal(r->id, 1);
	assert_string_equal(r->recipient, "a@example.com");
	assert_string_equal(r->subject, "Subject");
	assert_string_equal(r->body_text, "text");
	assert_string_equal(r->body_html, "<p>html</p>");
	assert_int_equal(r->attempts, 0);
	assert_int_equal(r->has_not_after, 1);
	assert_int_equal(r->not_after, T0 + 600);
	assert_string_equal(r->lease, "2023-05-20 08:25:06.000007");
	query(db, "SELECT next_attempt_at FROM mail_outbox", v, sizeof v);
	assert_string_equal(v, r->lease);
	/* the batch lease no longer matches: a second take fails */
	assert_int_equal(mailq_take(db, ids[0], lease, T0 + 5, 0, 300, &r2), AC_ENOTFOUND);

	/* a worker whose lease ran out loses the row to the next claimer */
	assert_int_equal(mailq_claim(db, T0 + 400, 0, T0 + 400, 0, 300, 4, ids, &n, lease2), AC_OK);
	assert_int_equal(n, 1);
	assert_int_equal(mailq_release(db, r, T0 + 401, 0), AC_OK);
	query(db, "SELECT next_attempt_at FROM mail_outbox", v, sizeof v);
	assert_string_equal(v, lease2);
	assert_int_equal(mailq_take(db, ids[0], lease2, T0 + 401, 0, 300, &r2), AC_OK);
	assert_int_equal(mailq_release(db, r2, T0 + 402, 0), AC_OK);
	query(db, "SELECT next_attempt_at FROM mail_outbox", v, sizeof v);
	assert_string_equal(v, "2023-05-20 08:26:43");
	mailq_row_free(r);
	mailq_row_free(r2);
	mailq_row_free(NULL);

	assert_int_equal(mailq_delete(db, 1), AC_OK);
	assert_int_equal(count(db, "1"), 0);
	assert_int_equal(mailq_take(db, 1, "2023-05-20 08:26:43", T0, 0, 300, &r), AC_ENOTFOUND);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(mailq_backoff(1, 60), 60);
	assert_int_equal(mailq_backoff(2, 60), 120);
	assert_int_equal(mailq_backoff(3, 60), 240);
	assert_int_equal(mailq_backoff(6, 60), 1920);
	assert_int_equal(mailq_backoff(7, 60), 3600);
	assert_int_equal(mailq_backoff(1000000, 60), 3600);
	assert_int_equal(mailq_backoff(0, 60), 60);
	assert_int_equal(mailq_backoff(1, 1), 1);
	assert_int_equal(mailq_backoff(3, 1), 4);
	assert_int_equal(mailq_backoff(13, 1), 3600);
	assert_int_equal(mailq_backoff(2, 4000000000u), 3600);
}

static struct mailq_row *claim_take(struct db *db, time_t now)
{
	long long ids[1];
	size_t n;
	char lease[TM_BUF];
	struct mailq_row *r;

	assert_int_equal(mailq_claim(db, now, 0, now, 0, 300, 1, ids, &n, lease), AC_OK);
	assert_int_equal(n, 1);
	assert_int_equal(mailq_take(db, ids[0], lease, now, 0, 300, &r), AC_OK);
	return r;
}

static void test_fail(void **state)
{
	struct db *db = *state;
	struct mailq_row *r;
	char v[1024], longerr[700];
	int dead = 7;

	insert_at(db, "a@example.com", T0, NULL);
	r = claim_take(db, T0);
	assert_int_equal(mailq_fail(db, r, "smtp: Couldn't connect\r\nto server", T0 + 1, 0, 60, 3,
				    &dead), AC_OK);
	assert_int_equal(dead, 0);
	query(db, "SELECT attempts || '|' || next_attempt_at || '|' || last_error FROM mail_outbox",
	      v, sizeof v);
	assert_string_equal(v, "1|2023-05-20 08:21:02|smtp: Couldn't connect  to server");
	mailq_row_free(r);

	r = claim_take(db, T0 + 61);
	assert_int_equal(r->attempts, 1);
	memset(longerr, 'e', sizeof longerr - 1);
	longerr[sizeof longerr - 1] = '\0';
	assert_int_equal(mailq_fail(db, r, longerr, T0 + 62, 0, 60, 3, &dead), AC_OK);
	assert_int_equal(dead, 0);
	query(db, "SELECT attempts || '|' || next_attempt_at || '|' || length(last_error)"
		  " FROM mail_outbox", v, sizeof v);
	assert_string_equal(v, "2|2023-05-20 08:23:03|500");
	/* a stale claim (the row was pushed back) changes nothing */
	assert_int_equal(mailq_fail(db, r, "late", T0 + 63, 0, 60, 3, &dead), AC_OK);
	assert_int_equal(dead, 0);
	assert_int_equal(count(db, "attempts = 2"), 1);
	mailq_row_free(r);

	/* the third failure of three dead-letters the row */
	r = claim_take(db, T0 + 200);
	assert_int_equal(mailq_fail(db, r, "again", T0 + 201, 0, 60, 3, &dead), AC_OK);
	assert_int_equal(dead, 1);
	assert_int_equal(count(db, "1"), 0);
	mailq_row_free(r);
}

static void test_fail_stale_no_delete(void **state)
{
	struct db *db = *state;
	struct mailq_row *r, *r2;
	int dead = 0;

	insert_at(db, "a@example.com", T0, NULL);
	r = claim_take(db, T0);
	/* another worker took the row over after the lease ran out: the late failure neither
	 * counts nor deletes */
	r2 = claim_take(db, T0 + 1000);
	assert_int_equal(mailq_fail(db, r, "x", T0 + 1001, 0, 60, 1, &dead), AC_OK);
	assert_int_equal(dead, 0);
	assert_int_equal(count(db, "attempts = 0"), 1);
	assert_int_equal(mailq_fail(db, r2, "x", T0 + 1001, 0, 60, 1, &dead), AC_OK);
	assert_int_equal(dead, 1);
	assert_int_equal(count(db, "1"), 0);
	mailq_row_free(r);
	mailq_row_free(r2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_activation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_reset_and_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_rejects, setup, teardown),
		cmocka_unit_test(test_queue_busy),
		cmocka_unit_test_setup_teardown(test_drop_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_and_release, setup, teardown),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test_setup_teardown(test_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_stale_no_delete, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
