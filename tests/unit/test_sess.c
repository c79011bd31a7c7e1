/* Unit tests of lib/sess.c: cookie parsing (§4.3), the token hash and fingerprint vectors (§4.4), cookie lines (§4.2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "cfg.h"
#include "sess.h"

#define VECTOR_SECRET "an-example-secret-key-for-test-vectors-only-0123456789"
#define VECTOR_TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void cookie_parsing(void **state)
{
	char token[SESS_TOKEN_LEN + 1];

	(void)state;
	assert_int_equal(sess_parse_cookie(NULL, token), SESS_COOKIE_NONE);
	assert_int_equal(sess_parse_cookie("", token), SESS_COOKIE_NONE);
	assert_int_equal(sess_parse_cookie("csrftoken=abc; other=1", token), SESS_COOKIE_NONE);
	assert_int_equal(sess_parse_cookie("xsessionid=" VECTOR_TOKEN, token), SESS_COOKIE_NONE);
	assert_int_equal(sess_parse_cookie("sessionid=" VECTOR_TOKEN, token), SESS_COOKIE_TOKEN);
	assert_string_equal(token, VECTOR_TOKEN);
	assert_int_equal(sess_parse_cookie("a=1;  sessionid=" VECTOR_TOKEN "  ; b=2", token),
			 SESS_COOKIE_TOKEN);
	assert_int_equal(sess_parse_cookie("sessionid=\"" VECTOR_TOKEN "\"", token), SESS_COOKIE_TOKEN);
	assert_int_equal(sess_parse_cookie("sessionid=undefined", token), SESS_COOKIE_STALE);
	assert_string_equal(token, "");
	assert_int_equal(sess_parse_cookie("sessionid=", token), SESS_COOKIE_STALE);
	assert_int_equal(sess_parse_cookie("sessionid=" VECTOR_TOKEN "0", token), SESS_COOKIE_STALE);
	assert_int_equal(sess_parse_cookie("sessionid=0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", token),
			 SESS_COOKIE_STALE);
	assert_int_equal(sess_parse_cookie("sessionid=" VECTOR_TOKEN "; sessionid=" VECTOR_TOKEN, token),
			 SESS_COOKIE_STALE);
}

static void vectors_of_section_4_4(void **state)
{
	struct cfg cfg;
	char h[65], fp[65];

	(void)state;
	sess_token_hash(VECTOR_TOKEN, h);
	assert_string_equal(h, "a8ae6e6ee929abea3afcfc5258c8ccd6f85273e0d4626d26c7279f3250f77c8e");
	memset(&cfg, 0, sizeof cfg);
	cfg.secret_key = VECTOR_SECRET;
	cfg.secret_key_len = strlen(VECTOR_SECRET);
	sess_fingerprint(&cfg,
			 "argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
			 fp);
	assert_string_equal(fp, "78b4a2c41cad856827358fe2441d8e2ce0c9bcd37d8e2cba20b672aadd88d26d");
}

static void cookie_lines(void **state)
{
	char line[512];

	(void)state;
	/* 2023-05-20 08:20:01 UTC = 1684570801 */
	sess_cookie_line(line, sizeof line, "sessionid", VECTOR_TOKEN, 1209600, 1684570801, 0);
	assert_string_equal(line, "sessionid=" VECTOR_TOKEN "; expires=Sat, 03 Jun 2023 08:20:01 GMT; "
				  "HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax");
	sess_cookie_line(line, sizeof line, "csrftoken", "Xb3kQ9mZ2pL7vN4rT8wY1cF6hJ0dS5aE", 31449600,
			 1684570801, 1);
	assert_string_equal(line, "csrftoken=Xb3kQ9mZ2pL7vN4rT8wY1cF6hJ0dS5aE; expires=Sat, 18 May 2024 "
				  "08:20:01 GMT; HttpOnly; Max-Age=31449600; Path=/; SameSite=Lax; Secure");
	sess_cookie_delete_line(line, sizeof line, 0);
	assert_string_equal(line, "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; "
				  "Path=/; SameSite=Lax");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cookie_parsing),
		cmocka_unit_test(vectors_of_section_4_4),
		cmocka_unit_test(cookie_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
