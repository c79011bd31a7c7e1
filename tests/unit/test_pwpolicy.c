/* Unit tests for lib/pwpolicy.c and lib/common_passwords.c: §2.8 checks, order, messages, lists. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "common_passwords.h"
#include "err.h"
#include "pw.h"

#define EMAIL "john.smith@example.com"
#define TOO_LONG "This password is too long. It must not exceed 4096 bytes."
#define SIMILAR "The password is too similar to the email."
#define SHORT8 "This password is too short. It must contain at least 8 characters."
#define COMMON "This password is too common."
#define NUMERIC "This password is entirely numeric."

static char reason[256];

/* Runs the policy with the built-in list and minimum 8 unless told otherwise. */
static int check_full(const char *pw, size_t len, const char *email, unsigned min,
		      const char *file)
{
	memset(reason, 'X', sizeof reason);
	return pw_policy_check(pw, len, email, min, file, reason, sizeof reason);
}

static int check(const char *pw)
{
	return check_full(pw, strlen(pw), EMAIL, 8, NULL);
}

static void expect_fail(const char *pw, const char *text)
{
	if (check(pw) != AC_EINVAL)
		fail_msg("accepted: %s", pw);
	assert_string_equal(reason, text);
}

static void expect_ok(const char *pw)
{
	int rc = check(pw);

	if (rc != 0)
		fail_msg("refused: %s (%s)", pw, reason);
	assert_string_equal(reason, "");
}

static void test_spec_examples(void **state)
{
	(void)state;
	expect_fail("examplecom", SIMILAR);
	expect_fail("jsmith@example.com", SIMILAR);
	expect_ok("John.Smith1");
	expect_ok("correct horse battery staple");
}

static void test_similarity(void **state)
{
	(void)state;
	/* Lower-casing applies to the password and the address. */
	expect_fail("EXAMPLECOM", SIMILAR);
	assert_int_equal(check_full("examplecom", 10, "John.Smith@EXAMPLE.com", 8, NULL), AC_EINVAL);
	assert_string_equal(reason, SIMILAR);
	/* The whole address is a part, and each piece of it. */
	expect_fail("john.smith@example.co", SIMILAR);
	expect_fail("smith123", SIMILAR);  /* vs "smith": 10/13 (it is also common) */
	expect_ok("smithjohnx");  /* vs "smith" 10/15, vs the address 20/32 */
	/* Exactly 0.7 is too similar: "example"+6 others vs "example" is 14/20. */
	expect_fail("exampleqqqqqq", SIMILAR);
	expect_ok("exampleqqqqqqq");  /* 14/21 */
	/* Characters are code points: 4 x U+00E9 are 4 characters, not 8 bytes (14/18). */
	expect_fail("example\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", SIMILAR);
	expect_ok("example\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");  /* 14/21 */
	/* No address, no similarity test. */
	assert_int_equal(check_full("examplecom", 10, NULL, 8, NULL), 0);
	assert_int_equal(check_full("examplecom", 10, "", 8, NULL), 0);
	/* Pieces are runs of [a-z0-9_]: "a_b-c" gives "a_b" and "c". */
	assert_int_equal(check_full("zz_top9x", 8, "zz_top9-q@ex.io", 8, NULL), AC_EINVAL);
	assert_string_equal(reason, SIMILAR);
	/* A non-ASCII address splits on the multibyte character. */
	assert_int_equal(check_full("jorgensen", 9, "j\xc3\xb6rgensen@ex.io", 8, NULL), AC_EINVAL);
	assert_string_equal(reason, SIMILAR);
	/* Skip rule: a part at most a tenth of the password's length is skipped (it could not
	 * reach 0.7 anyway); nothing breaks at the boundary. */
	assert_int_equal(check_full("abcdefghijkl", 12, "zz@ab.io", 8, NULL), 0);
}

static void test_order(void **state)
{
	char *big = malloc(PW_MAX_BYTES + 1);

	(void)state;
	assert_non_null(big);
	/* Too long beats everything, even numeric. */
	memset(big, '1', PW_MAX_BYTES + 1);
	assert_int_equal(check_full(big, PW_MAX_BYTES + 1, EMAIL, 8, NULL), AC_EINVAL);
	assert_string_equal(reason, TOO_LONG);
	/* 4096 bytes is allowed: numeric is what fails. */
	assert_int_equal(check_full(big, PW_MAX_BYTES, EMAIL, 8, NULL), AC_EINVAL);
	assert_string_equal(reason, NUMERIC);
	memset(big, 'a', PW_MAX_BYTES);
	assert_int_equal(check_full(big, PW_MAX_BYTES, EMAIL, 8, NULL), 0);
	free(big);

	/* Similar beats short: "john" is both. */
	expect_fail("john", SIMILAR);
	/* Short beats common and numeric. */
	expect_fail("pass", SHORT8);
	expect_fail("1234", SHORT8);
	/* Common beats numeric. */
	expect_fail("12345678", COMMON);
	/* Numeric alone. */
	expect_fail("83920174", NUMERIC);
	expect_fail("8392017465", NUMERIC);
}

static void test_min_length(void **state)
{
	(void)state;
	/* 7 characters of 2 bytes each are 14 bytes but still too short. */
	expect_fail("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", SHORT8);
	expect_ok("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	/* 4-byte characters: 7 emoji are 28 bytes, too short. */
	expect_fail("\xf0\x9f\x98\x80\xf0\x9f\x98\x81\xf0\x9f\x98\x82\xf0\x9f\x98\x83"
		    "\xf0\x9f\x98\x84\xf0\x9f\x98\x85\xf0\x9f\x98\x86", SHORT8);
	expect_ok("\xf0\x9f\x98\x80\xf0\x9f\x98\x81\xf0\x9f\x98\x82\xf0\x9f\x98\x83"
		  "\xf0\x9f\x98\x84\xf0\x9f\x98\x85\xf0\x9f\x98\x86\xf0\x9f\x98\x87");
	/* Never trimmed: spaces count. */
	expect_ok("  qzx7  ");
	expect_fail(" qzx7  ", SHORT8);

	assert_int_equal(check_full("", 0, EMAIL, 1, NULL), AC_EINVAL);
	assert_string_equal(reason,
			    "This password is too short. It must contain at least 1 character.");
	assert_int_equal(check_full("Q", 1, EMAIL, 1, NULL), AC_EINVAL);  /* "q" is on the list */
	assert_string_equal(reason, COMMON);
	assert_int_equal(check_full("%", 1, EMAIL, 1, NULL), 0);
	assert_int_equal(check_full("qzx7qzx7qzx", 11, EMAIL, 12, NULL), AC_EINVAL);
	assert_string_equal(reason,
			    "This password is too short. It must contain at least 12 characters.");
	assert_int_equal(check_full("qzx7qzx7qzx7", 12, EMAIL, 12, NULL), 0);
	assert_int_equal(check_full("qzx", 3, EMAIL, 4096, NULL), AC_EINVAL);
	assert_string_equal(reason,
			    "This password is too short. It must contain at least 4096 characters.");
}

static void test_builtin_list(void **state)
{
	(void)state;
	assert_int_equal(common_passwords_count(), 19727);
	assert_true(common_passwords_contains("password", 8));
	assert_true(common_passwords_contains("password1", 9));
	assert_true(common_passwords_contains("!", 1));           /* first in C order */
	assert_true(common_passwords_contains("zzzzzzzzzz", 10)); /* last */
	assert_true(common_passwords_contains("????", 4));        /* no trigraph damage */
	assert_true(common_passwords_contains("z k.lovemom", 11));
	assert_false(common_passwords_contains("Password", 8));
	assert_true(common_passwords_contains("passwordXYZ", 8));  /* len is honoured */
	assert_false(common_passwords_contains("password\0", 9));
	assert_false(common_passwords_contains("", 0));
	assert_false(common_passwords_contains("correct horse battery staple", 28));

	expect_fail("password", COMMON);
	expect_fail("password1", COMMON);
	expect_fail(" PassWord ", COMMON);
	expect_fail("\tPASSWORD1\r\n", COMMON);
	expect_fail("Z K.LoveMom", COMMON);
	expect_fail("iloveyou", COMMON);
	/* Inner whitespace is kept; NUL is not whitespace. */
	expect_ok("pass word");
	assert_int_equal(check_full("password\0", 9, EMAIL, 8, NULL), 0);
	/* Non-ASCII whitespace is not trimmed (ASCII only). */
	expect_ok("password\xc2\xa0");
}

static char tmpdir[] = "/tmp/test_pwpolicy.XXXXXX";

static const char *write_file(const char *name, const void *data, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static int setup_dir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_dir(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_common_file(void **state)
{
	static const char list[] = "  Hunter2 \r\n\n\t\nCorrect Horse\nqzx7qzx7\nlast-no-newline";
	const char *path;

	(void)state;
	path = write_file("list.txt", list, sizeof list - 1);
	assert_int_equal(check_full("hunter2x", 8, EMAIL, 8, path), 0);
	assert_int_equal(check_full("HUNTER2", 7, EMAIL, 7, path), AC_EINVAL);
	assert_string_equal(reason, COMMON);
	assert_int_equal(check_full(" hunter2 ", 9, EMAIL, 7, path), AC_EINVAL);
	assert_string_equal(reason, COMMON);
	assert_int_equal(check_full("correct horse", 13, EMAIL, 8, path), AC_EINVAL);
	assert_int_equal(check_full("QZX7QZX7", 8, EMAIL, 8, path), AC_EINVAL);
	assert_string_equal(reason, COMMON);
	assert_int_equal(check_full("last-no-newline", 15, EMAIL, 8, path), AC_EINVAL);
	assert_string_equal(reason, COMMON);
	/* The file replaces the built-in list. */
	assert_int_equal(check_full("password", 8, EMAIL, 8, path), 0);
	/* Blank lines are not entries: an all-blank password is not "common". */
	assert_int_equal(check_full("        ", 8, EMAIL, 8, path), 0);
	/* Numeric still applies after the list. */
	assert_int_equal(check_full("83920174", 8, EMAIL, 8, path), AC_EINVAL);
	assert_string_equal(reason, NUMERIC);

	path = write_file("empty.txt", "", 0);
	assert_int_equal(check_full("password", 8, EMAIL, 8, path), 0);
}

static void test_common_file_errors(void **state)
{
	char path[256];
	FILE *f;

	(void)state;
	snprintf(path, sizeof path, "%s/missing.txt", tmpdir);
	assert_int_equal(check_full("qzx7qzx7", 8, EMAIL, 8, path), AC_EINTERNAL);
	/* The file is only read when check 4 is reached. */
	assert_int_equal(check_full("qzx", 3, EMAIL, 8, path), AC_EINVAL);
	assert_string_equal(reason, SHORT8);

	assert_int_equal(check_full("qzx7qzx7", 8, EMAIL, 8, tmpdir), AC_EINTERNAL);

	/* 16 MiB is accepted, one byte more is not. */
	snprintf(path, sizeof path, "%s/big.txt", tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 16 << 20), 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	assert_int_equal(fputs("qzx7qzx7\n", f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(check_full("qzx7qzx7", 8, EMAIL, 8, path), AC_EINVAL);
	assert_string_equal(reason, COMMON);
	assert_int_equal(truncate(path, (16 << 20) + 1), 0);
	assert_int_equal(check_full("qzx7qzx7", 8, EMAIL, 8, path), AC_EINTERNAL);

	/* A gzip file (like Django's own) is refused, not read as junk. */
	{
		const char *gz = write_file("list.gz", "\x1f\x8b\x08\x00password\n", 13);

		assert_int_equal(check_full("qzx7qzx7", 8, EMAIL, 8, gz), AC_EINTERNAL);
	}
	/* Unreadable (skipped as root, who can read it anyway). */
	if (geteuid() != 0) {
		const char *p = write_file("noread.txt", "x\n", 2);

		assert_int_equal(chmod(p, 0), 0);
		assert_int_equal(check_full("qzx7qzx7", 8, EMAIL, 8, p), AC_EINTERNAL);
	}
}

static void test_reason_buffer(void **state)
{
	char small[10];

	(void)state;
	memset(small, 'X', sizeof small);
	assert_int_equal(pw_policy_check("password", 8, EMAIL, 8, NULL, small, sizeof small),
			 AC_EINVAL);
	assert_string_equal(small, "This pass");
	assert_int_equal(pw_policy_check("password", 8, EMAIL, 8, NULL, NULL, 0), AC_EINVAL);
	assert_int_equal(pw_policy_check(NULL, 0, EMAIL, 1, NULL, small, sizeof small), AC_EINVAL);
	assert_int_equal(pw_policy_check(NULL, 3, EMAIL, 1, NULL, small, sizeof small),
			 AC_EINTERNAL);
}

static void test_numeric(void **state)
{
	(void)state;
	expect_fail("0000111122223333", "This password is entirely numeric.");
	expect_ok("83920174a");
	expect_ok("8392 0174");
	expect_ok("+83920174");
	/* Only 0-9 count as digits: Arabic-Indic digits do not. */
	expect_ok("\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8");
}

static void test_malformed_utf8(void **state)
{
	(void)state;
	/* Invalid bytes count as one character each and never crash the similarity test. */
	expect_ok("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8");
	expect_fail("\xff\xfe\xfd\xfc\xfb\xfa\xf9", SHORT8);
	expect_ok("\xe2\x82\xe2\x82\xe2\x82\xe2\x82");
	expect_ok("\xed\xa0\x80\xed\xa0\x80\xed\xa0\x80");  /* surrogates: 9 "characters" */
	expect_fail("qzx7\xc3\xc3\xc3", SHORT8);
	expect_ok("qzx7\xc3\xc3\xc3\xc3");
	expect_fail("example\xc3", SIMILAR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_examples),
		cmocka_unit_test(test_similarity),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_min_length),
		cmocka_unit_test(test_builtin_list),
		cmocka_unit_test(test_common_file),
		cmocka_unit_test(test_common_file_errors),
		cmocka_unit_test(test_reason_buffer),
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_malformed_utf8),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
