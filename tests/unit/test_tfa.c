/* Unit tests of lib/twofactor/tfa.c and tfa_mail.c on SQLite: enrolment, verification, replay, recovery codes, e-mails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "err.h"
#include "twofactor/tfa.h"
#include "twofactor/tfa_mail.h"

#define UID "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b"
#define UID_HEX "3f1c2a4e8b7d4e2f9a1b0c2d3e4f5a6b"
static const time_t NOW = 1684570801;   /* 2023-05-20 08:20:01 */

static sqlite3 *raw;
static char db_path[64];
static struct cfg cfg;

static int setup(void **state)
{
	struct db *db;
	unsigned applied;
	int fd;

	snprintf(db_path, sizeof db_path, "/tmp/test_tfa_XXXXXX");
	fd = mkstemp(db_path);
	assert_true(fd >= 0);
	close(fd);
	memset(&cfg, 0, sizeof cfg);
	cfg.database_path = db_path;
	cfg.sqlite_busy_timeout_ms = 1000;
	cfg.secret_key = "an-example-secret-key-for-test-vectors-only-0123456789";
	cfg.secret_key_len = strlen(cfg.secret_key);
	cfg.frontend_url = "https://app.example.com";
	assert_int_equal(db_open_create(&cfg, &db), AC_OK);
	assert_int_equal(db_migrate(db, &applied), AC_OK);
	assert_int_equal(sqlite3_open(db_path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw,
		"INSERT INTO users_user VALUES ('x', NULL, 0, 'A', 'B', 0, 1, '2023-05-20 08:00:00', '"
		UID_HEX "', 'john@example.com', NULL)", NULL, NULL, NULL), SQLITE_OK);
	*state = db;
	return 0;
}

static int teardown(void **state)
{
	char side[80];

	db_close(*state);
	sqlite3_close(raw);
	unlink(db_path);
	snprintf(side, sizeof side, "%s-wal", db_path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", db_path);
	unlink(side);
	return 0;
}

static long long scalar(const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The TOTP at t of a base32 secret. */
static void code_at(const char *b32, time_t t, char out[7])
{
	unsigned char key[32];
	size_t n = 0;

	assert_int_equal(totp_base32_decode(b32, key, sizeof key, &n), AC_OK);
	assert_int_equal(n, TOTP_SECRET_LEN);
	totp_code(key, n, (uint64_t)totp_step(t), out);
}

/* Setup and confirm at NOW; secret and codes out. */
static void enrol(struct db *db, char secret[33], char codes[RECOVERY_COUNT][RECOVERY_SHOWN])
{
	char code[7];

	assert_int_equal(tfa_setup(db, &cfg, UID, NOW, secret), AC_OK);
	code_at(secret, NOW, code);
	assert_int_equal(tfa_confirm(db, &cfg, UID, code, NOW, codes), AC_OK);
}

static void test_setup_and_status(void **state)
{
	struct db *db = *state;
	struct tfa_status st;
	char s1[33], s2[33];

	assert_int_equal(tfa_status(db, UID, &st), AC_OK);
	assert_false(st.enabled);
	assert_false(st.pending);
	assert_int_equal(tfa_setup(db, &cfg, UID, NOW, s1), AC_OK);
	assert_int_equal(strlen(s1), 32);
	assert_int_equal(strspn(s1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
	assert_int_equal(tfa_status(db, UID, &st), AC_OK);
	assert_false(st.enabled);
	assert_true(st.pending);
	/* a second setup replaces the unconfirmed secret */
	assert_int_equal(tfa_setup(db, &cfg, UID, NOW, s2), AC_OK);
	assert_string_not_equal(s1, s2);
	assert_int_equal(scalar("SELECT count(*) FROM auth_totp"), 1);
	/* the stored secret is sealed: neither its base32 nor anything readable */
	assert_int_equal(scalar("SELECT count(*) FROM auth_totp WHERE instr(secret, 'A') > 0 AND"
				" length(secret) = 64"), 1);
}

static void test_confirm(void **state)
{
	struct db *db = *state;
	char secret[33], codes[RECOVERY_COUNT][RECOVERY_SHOWN], code[7], wrong[16];
	struct tfa_status st;

	/* nothing to confirm */
	assert_int_equal(tfa_confirm(db, &cfg, UID, "123456", NOW, codes), AC_ENOTFOUND);
	assert_int_equal(tfa_setup(db, &cfg, UID, NOW, secret), AC_OK);
	code_at(secret, NOW, code);
	snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
	assert_int_equal(tfa_confirm(db, &cfg, UID, wrong, NOW, codes), AC_EDENIED);
	assert_int_equal(tfa_confirm(db, &cfg, UID, "abcde-fghij", NOW, codes), AC_EDENIED);
	/* a code 90 s old is outside the window */
	code_at(secret, NOW - 90, code);
	assert_int_equal(tfa_confirm(db, &cfg, UID, code, NOW, codes), AC_EDENIED);
	code_at(secret, NOW, code);
	assert_int_equal(tfa_confirm(db, &cfg, UID, code, NOW, codes), AC_OK);
	assert_int_equal(tfa_status(db, UID, &st), AC_OK);
	assert_true(st.enabled);
	assert_false(st.pending);
	assert_int_equal(st.codes_left, 10);
	assert_int_equal(scalar("SELECT last_step FROM auth_totp"), totp_step(NOW));
	assert_int_equal(scalar("SELECT count(*) FROM auth_recovery_code WHERE length(code_hash) = 64"),
			 10);
	/* confirmed: no second confirm, no new setup */
	assert_int_equal(tfa_confirm(db, &cfg, UID, code, NOW, codes), AC_ENOTFOUND);
	assert_int_equal(tfa_setup(db, &cfg, UID, NOW, secret), AC_ECONFLICT);
	assert_int_equal(scalar("SELECT count(*) FROM auth_totp WHERE confirmed_at IS NOT NULL"), 1);
}

static void test_verify_totp_replay(void **state)
{
	struct db *db = *state;
	char secret[33], codes[RECOVERY_COUNT][RECOVERY_SHOWN], code[7];
	enum tfa_kind kind = 0;
	long left = -1;

	assert_int_equal(tfa_verify(db, &cfg, UID, "123456", NOW, &kind, &left), AC_ENOTFOUND);
	enrol(db, secret, codes);
	/* the confirming code cannot be used again */
	code_at(secret, NOW, code);
	assert_int_equal(tfa_verify(db, &cfg, UID, code, NOW, &kind, &left), AC_EDENIED);
	/* the next step is within the window, once */
	code_at(secret, NOW + 30, code);
	assert_int_equal(tfa_verify(db, &cfg, UID, code, NOW, &kind, &left), AC_OK);
	assert_int_equal(kind, TFA_KIND_TOTP);
	assert_int_equal(left, 10);
	assert_int_equal(tfa_verify(db, &cfg, UID, code, NOW, &kind, &left), AC_EDENIED);
	assert_int_equal(tfa_verify(db, &cfg, UID, code, NOW + 30, &kind, &left), AC_EDENIED);
	/* an older step after a newer one is a replay too */
	code_at(secret, NOW + 60, code);
	assert_int_equal(tfa_verify(db, &cfg, UID, code, NOW + 60, NULL, NULL), AC_OK);
	code_at(secret, NOW + 30, code);
	assert_int_equal(tfa_verify(db, &cfg, UID, code, NOW + 60, NULL, NULL), AC_EDENIED);
	/* long or malformed */
	assert_int_equal(tfa_verify(db, &cfg, UID, "", NOW, NULL, NULL), AC_EDENIED);
	assert_int_equal(tfa_verify(db, &cfg, UID, "123456\n", NOW, NULL, NULL), AC_EDENIED);
	assert_int_equal(tfa_verify(db, &cfg, UID, "1234567890123456789012345678901234", NOW, NULL,
				    NULL), AC_EDENIED);
	/* another SECRET_KEY cannot open the secret: TOTPs fail, recovery codes still work */
	cfg.secret_key = "another-secret-key-of-at-least-32-bytes!";
	cfg.secret_key_len = strlen(cfg.secret_key);
	code_at(secret, NOW + 120, code);
	assert_int_equal(tfa_verify(db, &cfg, UID, code, NOW + 120, NULL, NULL), AC_EDENIED);
	assert_int_equal(tfa_verify(db, &cfg, UID, codes[0], NOW + 120, NULL, NULL), AC_OK);
}

static void test_verify_recovery_single_use(void **state)
{
	struct db *db = *state;
	char secret[33], codes[RECOVERY_COUNT][RECOVERY_SHOWN], upper[80];
	struct tfa_status st;
	enum tfa_kind kind = 0;
	long left = -1;

	enrol(db, secret, codes);
	assert_int_equal(tfa_verify(db, &cfg, UID, codes[3], NOW, &kind, &left), AC_OK);
	assert_int_equal(kind, TFA_KIND_RECOVERY);
	assert_int_equal(left, 9);
	assert_int_equal(tfa_verify(db, &cfg, UID, codes[3], NOW, &kind, &left), AC_EDENIED);
	/* input is normalised: upper case, spaces, no dash */
	snprintf(upper, sizeof upper, " %.5s %s ", codes[4], codes[4] + 6);
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(tfa_verify(db, &cfg, UID, upper, NOW, &kind, &left), AC_OK);
	assert_int_equal(left, 8);
	assert_int_equal(tfa_status(db, UID, &st), AC_OK);
	assert_int_equal(st.codes_left, 8);
	assert_int_equal(scalar("SELECT count(*) FROM auth_recovery_code WHERE used_at IS NOT NULL"), 2);
	assert_int_equal(tfa_verify(db, &cfg, UID, "aaaaa-aaaaa", NOW, NULL, NULL), AC_EDENIED);
	/* no code is stored in clear */
	for (int i = 0; i < RECOVERY_COUNT; i++) {
		char sql[160];

		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM auth_recovery_code WHERE code_hash LIKE '%%%.5s%%'",
			 codes[i]);
		assert_int_equal(scalar(sql), 0);
	}
	/* a new set replaces the old one */
	char fresh[RECOVERY_COUNT][RECOVERY_SHOWN];

	assert_int_equal(tfa_new_codes(db, UID, fresh), AC_OK);
	assert_int_equal(tfa_verify(db, &cfg, UID, codes[5], NOW, NULL, NULL), AC_EDENIED);
	assert_int_equal(tfa_verify(db, &cfg, UID, fresh[5], NOW, NULL, &left), AC_OK);
	assert_int_equal(left, 9);
}

static void test_delete(void **state)
{
	struct db *db = *state;
	char secret[33], codes[RECOVERY_COUNT][RECOVERY_SHOWN];
	struct tfa_status st;
	int deleted = -1;

	assert_int_equal(tfa_delete(db, UID, &deleted), AC_OK);
	assert_int_equal(deleted, 0);
	enrol(db, secret, codes);
	assert_int_equal(tfa_delete(db, UID, &deleted), AC_OK);
	assert_int_equal(deleted, 1);
	assert_int_equal(tfa_status(db, UID, &st), AC_OK);
	assert_false(st.enabled);
	assert_int_equal(st.codes_left, 0);
	assert_int_equal(scalar("SELECT count(*) FROM auth_recovery_code"), 0);
	assert_int_equal(scalar("SELECT count(*) FROM auth_totp"), 0);
	assert_int_equal(tfa_verify(db, &cfg, UID, codes[0], NOW, NULL, NULL), AC_ENOTFOUND);
	/* deleting the user cascades (foreign keys are on) */
	enrol(db, secret, codes);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA foreign_keys=ON; DELETE FROM users_user", NULL,
				      NULL, NULL), SQLITE_OK);
	assert_int_equal(scalar("SELECT count(*) FROM auth_recovery_code"), 0);
	assert_int_equal(scalar("SELECT count(*) FROM auth_totp"), 0);
}

static int tx_verify(struct db *db, void *arg)
{
	return tfa_verify(db, &cfg, UID, arg, NOW, NULL, NULL);
}

/* Inside db_tx a failed verification writes nothing, and a success commits. */
static void test_verify_in_tx(void **state)
{
	struct db *db = *state;
	char secret[33], codes[RECOVERY_COUNT][RECOVERY_SHOWN];

	enrol(db, secret, codes);
	assert_int_equal(db_tx(db, tx_verify, "zzzzz-zzzzz"), AC_EDENIED);
	assert_int_equal(db_tx(db, tx_verify, codes[1]), AC_OK);
	assert_int_equal(db_tx(db, tx_verify, codes[1]), AC_EDENIED);
	assert_int_equal(scalar("SELECT count(*) FROM auth_recovery_code WHERE used_at IS NOT NULL"), 1);
}

static void test_mails(void **state)
{
	struct db *db = *state;
	sqlite3_stmt *st;

	assert_int_equal(tfa_mail_enabled(db, &cfg, "john@example.com", NOW), AC_OK);
	assert_int_equal(tfa_mail_disabled(db, &cfg, "john@example.com", NOW), AC_OK);
	assert_int_equal(tfa_mail_recovery_used(db, &cfg, "john@example.com", NOW, 7), AC_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT subject, body_text, body_html, not_after FROM"
				" mail_outbox ORDER BY id", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "Two-factor authentication is on");
	assert_non_null(strstr((const char *)sqlite3_column_text(st, 1),
		"Two-factor authentication was turned on for your account john@example.com on "
		"Saturday May 20, 2023 at 08:20:01 AM UTC."));
	assert_int_equal(sqlite3_column_type(st, 3), SQLITE_NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "Two-factor authentication is off");
	assert_non_null(strstr((const char *)sqlite3_column_text(st, 1),
		"Two-factor authentication was turned off for your account john@example.com on "
		"Saturday May 20, 2023 at 08:20:01 AM UTC. If you did not do this, change your "
		"password now:\nhttps://app.example.com/auth/password/request-change\n"));
	assert_non_null(strstr((const char *)sqlite3_column_text(st, 2),
		"href=\"https://app.example.com/auth/password/request-change\""));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "A recovery code was used");
	assert_non_null(strstr((const char *)sqlite3_column_text(st, 1),
		"A recovery code was used to sign in to your account john@example.com on "
		"Saturday May 20, 2023 at 08:20:01 AM UTC. You have 7 recovery codes left."));
	assert_non_null(strstr((const char *)sqlite3_column_text(st, 2), "You have 7 recovery codes left."));
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(tfa_mail_enabled(db, &cfg, "", NOW), AC_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_setup_and_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confirm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_totp_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_recovery_single_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_in_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mails, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
