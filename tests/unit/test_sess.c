/*
 * Unit tests of lib/sess.c: cookie parsing (§4.3), the token hash and fingerprint vectors (§4.4),
 * cookie lines (§4.2); against a real redis-server, the cap of 64 sessions and the hash-upgrade
 * rewrite (§4.6).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "cfg.h"
#include "redis_server.h"
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

#define UID "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b"
#define UKEY "auth:user:" UID

static struct cfg *session_cfg(struct test_redis *t)
{
	t->cfg.secret_key = VECTOR_SECRET;
	t->cfg.secret_key_len = strlen(VECTOR_SECRET);
	t->cfg.session_cookie_age = 1209600;
	return &t->cfg;
}

static int redis_setup(void **state)
{
	struct test_redis *t = test_redis_start();

	if (!t || !t->r) {
		test_redis_stop(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int redis_teardown(void **state)
{
	test_redis_stop(*state);
	return 0;
}

static int flush(void **state)
{
	struct test_redis *t = *state;

	test_redis_do(t, "FLUSHALL");
	return 0;
}

static long long count(struct test_redis *t, const char *cmd, const char *key)
{
	char v[32];

	test_redis_get(t, v, sizeof v, cmd, key);
	return atoll(v);
}

static int exists(struct test_redis *t, const struct session *s)
{
	char key[80], v[8];

	snprintf(key, sizeof key, "auth:sess:%s", s->h);
	test_redis_get(t, v, sizeof v, "EXISTS", key);
	return strcmp(v, "1") == 0;
}

static void set_created(struct test_redis *t, const struct session *s, const char *created)
{
	char key[80];

	snprintf(key, sizeof key, "auth:sess:%s", s->h);
	test_redis_do(t, "HSET", key, "created", created);
}

static void cap_ends_the_oldest_session(void **state)
{
	struct test_redis *t = *state;
	struct cfg *cfg = session_cfg(t);
	static struct session s[SESS_MAX_PER_USER + 2];
	char token[SESS_TOKEN_LEN + 1];

	for (int i = 0; i < SESS_MAX_PER_USER; i++)
		assert_int_equal(sess_create(t->r, cfg, UID, "pw", "", "", token, &s[i]), AC_OK);
	assert_int_equal(count(t, "HLEN", UKEY), SESS_MAX_PER_USER);
	/* The oldest by created, wherever it is in the index; ties go by TTL left. */
	set_created(t, &s[7], "1000");
	set_created(t, &s[3], "1000");
	assert_int_equal(sess_create(t->r, cfg, UID, "pw", "", "", token, &s[SESS_MAX_PER_USER]),
			 AC_OK);
	assert_int_equal(count(t, "HLEN", UKEY), SESS_MAX_PER_USER);
	assert_false(exists(t, &s[3]));
	assert_true(exists(t, &s[7]));
	assert_true(exists(t, &s[SESS_MAX_PER_USER]));
	assert_int_equal(sess_create(t->r, cfg, UID, "pw", "", "", token, &s[SESS_MAX_PER_USER + 1]),
			 AC_OK);
	assert_false(exists(t, &s[7]));
	assert_true(exists(t, &s[0]));
	assert_int_equal(count(t, "HLEN", UKEY), SESS_MAX_PER_USER);
	assert_int_equal(count(t, "TTL", UKEY), 1209600);
}

static void stale_index_fields_are_removed_and_not_counted(void **state)
{
	struct test_redis *t = *state;
	struct cfg *cfg = session_cfg(t);
	struct session first, next;
	char token[SESS_TOKEN_LEN + 1], sid[33], h[65];

	assert_int_equal(sess_create(t->r, cfg, UID, "pw", "", "", token, &first), AC_OK);
	for (int i = 0; i < SESS_MAX_PER_USER; i++) {
		snprintf(sid, sizeof sid, "%032x", i);
		snprintf(h, sizeof h, "%064x", i);
		test_redis_do(t, "HSET", UKEY, sid, h);
	}
	assert_int_equal(sess_create(t->r, cfg, UID, "pw", "", "", token, &next), AC_OK);
	assert_int_equal(count(t, "HLEN", UKEY), 2);
	assert_true(exists(t, &first));
}

static void upgrade_rewrites_only_the_verified_hash_sessions(void **state)
{
	struct test_redis *t = *state;
	struct cfg *cfg = session_cfg(t);
	struct session old_pw, same_a, same_b, other_user, loaded;
	char token[SESS_TOKEN_LEN + 1], fp_old[65], fp_verified[65], fp_new[65];
	long long ended = -1;

	sess_fingerprint(cfg, "old hash", fp_old);
	sess_fingerprint(cfg, "verified hash", fp_verified);
	sess_fingerprint(cfg, "upgraded hash", fp_new);
	assert_int_equal(sess_create(t->r, cfg, UID, "old hash", "", "", token, &old_pw), AC_OK);
	assert_int_equal(sess_create(t->r, cfg, UID, "verified hash", "", "", token, &same_a), AC_OK);
	assert_int_equal(sess_create(t->r, cfg, UID, "upgraded hash", "", "", token, &same_b), AC_OK);
	assert_int_equal(sess_create(t->r, cfg, "00000000-0000-4000-8000-000000000000", "old hash",
				     "", "", token, &other_user), AC_OK);
	/* A field pointing at another user's session is dropped from this index, never deleted. */
	test_redis_do(t, "HSET", UKEY, other_user.sid, other_user.h);
	test_redis_do(t, "HSET", UKEY, "deadbeefdeadbeefdeadbeefdeadbeef", "ab");

	assert_int_equal(sess_refingerprint(t->r, UID, fp_verified, fp_new, &ended), AC_OK);
	assert_int_equal(ended, 1);
	assert_false(exists(t, &old_pw));
	assert_int_equal(sess_load(t->r, same_a.h, &loaded), AC_OK);
	assert_string_equal(loaded.pwd, fp_new);
	assert_int_equal(sess_load(t->r, same_b.h, &loaded), AC_OK);
	assert_string_equal(loaded.pwd, fp_new);
	assert_int_equal(sess_load(t->r, other_user.h, &loaded), AC_OK);
	assert_string_equal(loaded.pwd, fp_old);
	assert_int_equal(count(t, "HLEN", UKEY), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cookie_parsing),
		cmocka_unit_test(vectors_of_section_4_4),
		cmocka_unit_test(cookie_lines),
		cmocka_unit_test_setup(cap_ends_the_oldest_session, flush),
		cmocka_unit_test_setup(stale_index_fields_are_removed_and_not_counted, flush),
		cmocka_unit_test_setup(upgrade_rewrites_only_the_verified_hash_sessions, flush),
	};

	/* The group starts a redis-server for the last three. */
	return cmocka_run_group_tests(tests, redis_setup, redis_teardown);
}
