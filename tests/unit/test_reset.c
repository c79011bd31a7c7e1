/* Unit tests for lib/reset.c: the token field split, reset token checks against the row, the form redirect, the request and the conditional password update. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "reset.h"
#include <sqlite3.h>
#include <unistd.h>

/* The fixture of API.md §5.6. */
static const char SECRET[] = "an-example-secret-key-for-test-vectors-only-0123456789";
static const char ID[] = "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b";
static const char UIDB64[] = "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi";
static const char HASH[] =
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA";
static const char LINK_TOKEN[] = "bohohd-72c12308e11efffde629178b369213ad";   /* vector 2 */
static const char FORM_TOKEN[] = "bohoj1-207ff86db707b9362b3bc22cbbbe6217";   /* vector 3 */
static const char ACT_TOKEN[] = "bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf";    /* vector 1 */
static const int64_t LINK_TS = 706263601, FORM_TS = 706263661;

struct fixture {
	struct cfg cfg;
	struct db *db;
	char path[64];
};

/* The test's own connection to the store's file, to set up rows and read what was written. */
static sqlite3 *raw;

static void exec(struct db *db, const char *sql)
{
	char *err = NULL;

	(void)db;
	if (sqlite3_exec(raw, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

static long long count(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n;

	(void)db;
	assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void column(struct db *db, const char *sql, char *out, size_t outlen)
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

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	unsigned applied = 0;

	assert_non_null(f);
	f->cfg.secret_key = (char *)SECRET;
	f->cfg.secret_key_len = strlen(SECRET);
	snprintf(f->path, sizeof f->path, "/tmp/test_reset_XXXXXX");
	assert_true(mkstemp(f->path) >= 0);
	f->cfg.database_path = f->path;
	f->cfg.sqlite_busy_timeout_ms = 1000;
	f->cfg.token_expiration = 600;
	f->cfg.frontend_url = (char *)"https://app.example.com";
	f->cfg.api_base_url = (char *)"https://api.example.com";
	assert_int_equal(db_open_create(&f->cfg, &f->db), AC_OK);
	assert_int_equal(db_migrate(f->db, &applied), AC_OK);
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	sqlite3_busy_timeout(raw, 1000);
	exec(f->db,
	     "INSERT INTO users_user (password, last_login, is_superuser, first_name, last_name,"
	     " is_staff, is_active, date_joined, id, email, thumbnail) VALUES ("
	     "'argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA',"
	     " '2023-05-20 08:20:01.123456', 0, 'John', 'Doe', 0, 1, '2023-05-01 00:00:00',"
	     " '3f1c2a4e8b7d4e2f9a1b0c2d3e4f5a6b', 'john@example.com', NULL)");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char side[80];

	db_close(f->db);
	sqlite3_close(raw);
	unlink(f->path);
	snprintf(side, sizeof side, "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", f->path);
	unlink(side);
	free(f);
	return 0;
}

static void test_split(void **state)
{
	char field[256], uidb64[RESET_UIDB64_LEN + 1], token[TOK_MAX];

	(void)state;
	snprintf(field, sizeof field, "%s:%s", UIDB64, FORM_TOKEN);
	assert_int_equal(reset_split(field, uidb64, token), AC_OK);
	assert_string_equal(uidb64, UIDB64);
	assert_string_equal(token, FORM_TOKEN);

	/* a 47-character token part is the longest that fits */
	snprintf(field, sizeof field, "%s:%047d", UIDB64, 0);
	assert_int_equal(reset_split(field, uidb64, token), AC_OK);
	assert_int_equal(strlen(token), 47);
	snprintf(field, sizeof field, "%s:%048d", UIDB64, 0);
	assert_int_equal(reset_split(field, uidb64, token), AC_EINVAL);

	const char *bad[] = { "", ":", "abc", UIDB64, FORM_TOKEN, "a:b:c",
			      "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZ:bohoj1-0" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(reset_split(bad[i], uidb64, token), AC_EINVAL);
	snprintf(field, sizeof field, "%s:", UIDB64);
	assert_int_equal(reset_split(field, uidb64, token), AC_EINVAL);
	snprintf(field, sizeof field, "%s::%s", UIDB64, FORM_TOKEN);
	assert_int_equal(reset_split(field, uidb64, token), AC_EINVAL);
	snprintf(field, sizeof field, "%s:%s:", UIDB64, FORM_TOKEN);
	assert_int_equal(reset_split(field, uidb64, token), AC_EINVAL);
	/* over 128 bytes, whatever the content */
	memset(field, 'a', 129);
	field[48] = ':';
	field[129] = '\0';
	assert_int_equal(reset_split(field, uidb64, token), AC_EINVAL);
	assert_int_equal(reset_split(NULL, uidb64, token), AC_EINVAL);
}

static void test_verify_link_and_form_vectors(void **state)
{
	struct fixture *f = *state;
	struct user *u = (struct user *)1;

	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, LINK_TOKEN, LINK_TS, &u),
			 AC_OK);
	assert_non_null(u);
	assert_string_equal(u->id, ID);
	user_free(u);
	/* lifetime edge: ts + 600 is valid, ts + 601 is not; a future ts is accepted */
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, LINK_TOKEN,
				      LINK_TS + 600, &u), AC_OK);
	user_free(u);
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, LINK_TOKEN,
				      LINK_TS + 601, &u), AC_EDENIED);
	assert_null(u);
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, LINK_TOKEN,
				      LINK_TS - 5000, &u), AC_OK);
	user_free(u);
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_FORM, UIDB64, FORM_TOKEN, FORM_TS, &u),
			 AC_OK);
	user_free(u);
}

static void test_verify_refusals(void **state)
{
	struct fixture *f = *state;
	struct user *u = NULL;

	/* purposes never cross */
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_FORM, UIDB64, LINK_TOKEN, LINK_TS, &u),
			 AC_EDENIED);
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, FORM_TOKEN, FORM_TS, &u),
			 AC_EDENIED);
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, ACT_TOKEN, 700000000, &u),
			 AC_EDENIED);
	/* bad uidb64, unknown user */
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, "bm90LWEtdXVpZA", LINK_TOKEN,
				      LINK_TS, &u), AC_EDENIED);
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK,
				      "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZj", LINK_TOKEN,
				      LINK_TS, &u), AC_EDENIED);
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, "bohohd-", LINK_TS, &u),
			 AC_EDENIED);
	/* the token dies when last_login or the password changes, or the account is inactive */
	exec(f->db, "UPDATE users_user SET last_login = '2023-05-20 08:20:02'");
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, LINK_TOKEN, LINK_TS, &u),
			 AC_EDENIED);
	exec(f->db, "UPDATE users_user SET last_login = '2023-05-20 08:20:01.999'");
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, LINK_TOKEN, LINK_TS, &u),
			 AC_OK);
	user_free(u);
	exec(f->db, "UPDATE users_user SET is_active = 0");
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, LINK_TOKEN, LINK_TS, &u),
			 AC_EDENIED);
	exec(f->db, "UPDATE users_user SET is_active = 1, password = 'pbkdf2_sha256$1$a$b'");
	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, LINK_TOKEN, LINK_TS, &u),
			 AC_EDENIED);
	assert_null(u);
}

static void test_form_path_vector(void **state)
{
	struct fixture *f = *state;
	struct user *u = NULL;
	char path[256], small[40];

	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, LINK_TOKEN, LINK_TS, &u),
			 AC_OK);
	assert_int_equal(reset_form_path(&f->cfg, u, FORM_TS, path, sizeof path), AC_OK);
	assert_string_equal(path, "/auth/password/change-password?token="
				  "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi:"
				  "bohoj1-207ff86db707b9362b3bc22cbbbe6217");
	assert_int_equal(reset_form_path(&f->cfg, u, FORM_TS, small, sizeof small), AC_EINVAL);
	user_free(u);
}

static void test_request_queues_the_reset_mail(void **state)
{
	struct fixture *f = *state;
	char id[37], text[8192], want[160];

	assert_int_equal(reset_request(f->db, &f->cfg, "JOHN@example.com", id), AC_OK);
	assert_string_equal(id, ID);
	assert_int_equal(count(f->db, "SELECT count(*) FROM mail_outbox WHERE recipient ="
				      " 'john@example.com' AND subject = 'Password reset instructions'"
				      " AND not_after IS NOT NULL"), 1);
	column(f->db, "SELECT body_text FROM mail_outbox", text, sizeof text);
	snprintf(want, sizeof want,
		 "https://api.example.com/users/password-change/confirm/change-password/%s/", UIDB64);
	assert_non_null(strstr(text, want));

	/* unknown and inactive accounts: nothing queued */
	assert_int_equal(reset_request(f->db, &f->cfg, "nobody@example.com", id), AC_ENOTFOUND);
	exec(f->db, "UPDATE users_user SET is_active = 0");
	assert_int_equal(reset_request(f->db, &f->cfg, "john@example.com", id), AC_ENOTFOUND);
	assert_int_equal(count(f->db, "SELECT count(*) FROM mail_outbox"), 1);
	/* the transaction was closed each time: another writer gets in at once */
	exec(f->db, "BEGIN IMMEDIATE; ROLLBACK");
}

static void test_set_password_is_conditional(void **state)
{
	struct fixture *f = *state;
	struct pw_params params = { .m_kib = 64, .t = 1, .p = 1, .max_m_kib = 1024 };
	struct user *u = NULL;
	char stored[256], again[256];

	assert_int_equal(reset_verify(f->db, &f->cfg, TOK_RESET_LINK, UIDB64, LINK_TOKEN, LINK_TS, &u),
			 AC_OK);
	assert_int_equal(reset_set_password(f->db, &f->cfg, &params, u, "a brand new passphrase"),
			 AC_OK);
	column(f->db, "SELECT password FROM users_user", stored, sizeof stored);
	assert_string_equal(stored, u->password);
	assert_true(strncmp(stored, "argon2$argon2id$v=19$m=64,t=1,p=1$", 34) == 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM mail_outbox WHERE subject ="
				      " 'Your password has been changed' AND not_after IS NULL"), 1);

	/* a second change from the stale row loses: nothing is written or queued */
	free(u->password);
	u->password = strdup(HASH);
	assert_non_null(u->password);
	assert_int_equal(reset_set_password(f->db, &f->cfg, &params, u, "another passphrase"),
			 AC_ECONFLICT);
	assert_string_equal(u->password, HASH);
	column(f->db, "SELECT password FROM users_user", again, sizeof again);
	assert_string_equal(again, stored);
	assert_int_equal(count(f->db, "SELECT count(*) FROM mail_outbox"), 1);
	exec(f->db, "BEGIN IMMEDIATE; ROLLBACK");
	user_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test_setup_teardown(test_verify_link_and_form_vectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_path_vector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_queues_the_reset_mail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_password_is_conditional, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
