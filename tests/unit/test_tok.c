/* Unit tests of lib/tok.c: the §5.6 vectors, verification rules, base36 and uidb64 (API.md §5). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "crypto.h"
#include "err.h"
#include "tok.h"
#include "tok_internal.h"

#define SECRET "an-example-secret-key-for-test-vectors-only-0123456789"
#define ID "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b"
#define PW "argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA"
#define EXP 600

static const struct tok_user v1_user = { ID, PW, NULL, "john@example.com", 0 };
static const struct tok_user v2_user = { ID, PW, "2023-05-20 08:20:01.123456", "john@example.com", 1 };

static const char V1[] = "bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf";
static const char V2[] = "bohohd-72c12308e11efffde629178b369213ad";
static const char V3[] = "bohoj1-207ff86db707b9362b3bc22cbbbe6217";

static int check(enum tok_purpose p, const struct tok_user *u, const char *tok, int64_t now)
{
	return tok_check(SECRET, strlen(SECRET), p, u, tok, now, EXP);
}

static void key_hex(enum tok_purpose p, char out[65])
{
	unsigned char key[32];

	assert_int_equal(tok_key(SECRET, strlen(SECRET), p, key), AC_OK);
	sec_hex(key, sizeof key, out);
}

/* ---- §5.6 vectors ---- */

static void test_vector1(void **state)
{
	char hex[65], msg[TOK_MSG_MAX], tok[TOK_MAX];
	size_t n;

	(void)state;
	key_hex(TOK_ACTIVATION, hex);
	assert_string_equal(hex, "62aad30540cfbb74853f92d4dd7280c8fd7a631a675705466ec460326ffcee4c");
	assert_int_equal(tok_msg(&v1_user, 700000000, msg, sizeof msg, &n), AC_OK);
	assert_string_equal(msg, ID PW "700000000john@example.comFalse");
	assert_int_equal(n, strlen(msg));
	assert_int_equal(tok_mac(SECRET, strlen(SECRET), TOK_ACTIVATION, &v1_user, 700000000, hex),
			 AC_OK);
	assert_string_equal(hex, "aac88caae8171b40d6a76a28e7ba02ef0ab8ff0be3818645ffc89ba92526c0f0");
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_ACTIVATION, &v1_user, 700000000, tok),
			 AC_OK);
	assert_string_equal(tok, V1);
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, V1, 700000000), AC_OK);
	assert_int_equal(tok_ts(V1), 700000000);
}

static void test_vector2(void **state)
{
	char hex[65], msg[TOK_MSG_MAX], tok[TOK_MAX];
	size_t n;

	(void)state;
	key_hex(TOK_RESET_LINK, hex);
	assert_string_equal(hex, "93c39541e7bd43634c48e5acbd3fdc213eafd1d3d6349c922a3ed763bb4e7855");
	assert_int_equal(tok_msg(&v2_user, 706263601, msg, sizeof msg, &n), AC_OK);
	assert_string_equal(msg, ID PW "2023-05-20 08:20:01706263601john@example.comTrue");
	assert_int_equal(tok_mac(SECRET, strlen(SECRET), TOK_RESET_LINK, &v2_user, 706263601, hex),
			 AC_OK);
	assert_string_equal(hex, "7124cb15243d058ae81c1ee6f7fdf9dceb6a299f1b7a87b53e6b942d1430abd1");
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_RESET_LINK, &v2_user, 706263601, tok),
			 AC_OK);
	assert_string_equal(tok, V2);
	assert_int_equal(check(TOK_RESET_LINK, &v2_user, V2, 706263601), AC_OK);
	assert_int_equal(tok_ts(V2), 706263601);
}

static void test_vector3(void **state)
{
	char hex[65], msg[TOK_MSG_MAX], tok[TOK_MAX];
	size_t n;

	(void)state;
	key_hex(TOK_RESET_FORM, hex);
	assert_string_equal(hex, "b121b715381588726fdbd663a3ef4a5895268ec9d791a34c40070a742b350c87");
	assert_int_equal(tok_msg(&v2_user, 706263661, msg, sizeof msg, &n), AC_OK);
	assert_string_equal(msg, ID PW "2023-05-20 08:20:01706263661john@example.comTrue");
	assert_int_equal(tok_mac(SECRET, strlen(SECRET), TOK_RESET_FORM, &v2_user, 706263661, hex),
			 AC_OK);
	assert_string_equal(hex, "250f7af6f0826cd2b87a0f71b592306822ba35bac02029cbbdbcb0e66727127b");
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_RESET_FORM, &v2_user, 706263661, tok),
			 AC_OK);
	assert_string_equal(tok, V3);
	assert_int_equal(check(TOK_RESET_FORM, &v2_user, V3, 706263661), AC_OK);
}

/* The other stored spellings of the same last_login give the same login part. */
static void test_login_forms(void **state)
{
	static const char *const forms[] = {
		"2023-05-20 08:20:01.123456", "2023-05-20 08:20:01", "2023-05-20T08:20:01.5Z",
		"2023-05-20T08:20:01+00:00", "2023-05-20 08:20:01.999999+00:00",
	};
	char msg[TOK_MSG_MAX];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct tok_user u = v2_user;

		u.last_login = forms[i];
		assert_int_equal(tok_msg(&u, 706263601, msg, sizeof msg, &n), AC_OK);
		assert_string_equal(msg, ID PW "2023-05-20 08:20:01706263601john@example.comTrue");
		assert_int_equal(check(TOK_RESET_LINK, &u, V2, 706263601), AC_OK);
	}
}

/* ---- §5.6 expected failures ---- */

static void test_activation_dies_on_activation(void **state)
{
	struct tok_user u = v1_user;

	(void)state;
	u.is_active = 1;
	assert_int_equal(check(TOK_ACTIVATION, &u, V1, 700000000), AC_EDENIED);
}

static void test_reset_dies_on_password_change(void **state)
{
	struct tok_user u = v2_user;

	(void)state;
	u.password = "argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSB";
	assert_int_equal(check(TOK_RESET_LINK, &u, V2, 706263601), AC_EDENIED);
	u = v2_user;
	u.password = "";
	assert_int_equal(check(TOK_RESET_LINK, &u, V2, 706263601), AC_EDENIED);
}

static void test_reset_dies_on_login(void **state)
{
	struct tok_user u = v2_user;

	(void)state;
	u.last_login = "2023-05-20 08:20:02.000001";
	assert_int_equal(check(TOK_RESET_LINK, &u, V2, 706263601), AC_EDENIED);
	u.last_login = NULL;
	assert_int_equal(check(TOK_RESET_LINK, &u, V2, 706263601), AC_EDENIED);
	u.last_login = "not a date";
	assert_int_equal(check(TOK_RESET_LINK, &u, V2, 706263601), AC_EDENIED);
}

static void test_email_change(void **state)
{
	struct tok_user u = v2_user;

	(void)state;
	u.email = "John@example.com";
	assert_int_equal(check(TOK_RESET_LINK, &u, V2, 706263601), AC_EDENIED);
}

static void test_wrong_purpose(void **state)
{
	(void)state;
	assert_int_equal(check(TOK_RESET_FORM, &v2_user, V2, 706263601), AC_EDENIED);
	assert_int_equal(check(TOK_ACTIVATION, &v2_user, V2, 706263601), AC_EDENIED);
	assert_int_equal(check(TOK_RESET_LINK, &v2_user, V3, 706263661), AC_EDENIED);
	assert_int_equal(check(TOK_RESET_LINK, &v1_user, V1, 700000000), AC_EDENIED);
	assert_int_equal(check(TOK_RESET_FORM, &v1_user, V1, 700000000), AC_EDENIED);
}

static void test_wrong_secret(void **state)
{
	(void)state;
	assert_int_equal(tok_check("another-secret-key-that-is-long-enough-000", 42, TOK_RESET_LINK,
				   &v2_user, V2, 706263601, EXP),
			 AC_EDENIED);
}

static void test_expiry(void **state)
{
	(void)state;
	/* Valid through ts + 600 inclusive, dead one second later. */
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, V1, 700000000 + 600), AC_OK);
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, V1, 700000000 + 601), AC_EDENIED);
	assert_int_equal(check(TOK_RESET_LINK, &v2_user, V2, 706263601 + 601), AC_EDENIED);
	assert_int_equal(check(TOK_RESET_FORM, &v2_user, V3, 706263661 + 601), AC_EDENIED);
	assert_int_equal(check(TOK_RESET_FORM, &v2_user, V3, INT64_MAX), AC_EDENIED);
	/* A ts in the future is accepted. */
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, V1, 700000000 - 100000), AC_OK);
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, V1, 0), AC_OK);
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, V1, -5), AC_OK);
	/* The configured lifetime is what counts. */
	assert_int_equal(tok_check(SECRET, strlen(SECRET), TOK_ACTIVATION, &v1_user, V1,
				   700000000 + 60, 59),
			 AC_EDENIED);
	assert_int_equal(tok_check(SECRET, strlen(SECRET), TOK_ACTIVATION, &v1_user, V1,
				   700000000 + 60, 60),
			 AC_OK);
}

static void test_hash_mismatch(void **state)
{
	char t[TOK_MAX];

	(void)state;
	/* Each single changed character of hash32 fails. */
	for (size_t i = 7; i < strlen(V1); i++) {
		strcpy(t, V1);
		t[i] = t[i] == '0' ? '1' : '0';
		assert_int_equal(check(TOK_ACTIVATION, &v1_user, t, 700000000), AC_EDENIED);
	}
	/* The hash is bound to the ts. */
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, "bkrfgh-ac8ae114da62eb0e0bf0e884fc9a22cf",
			       700000000),
			 AC_EDENIED);
}

static void test_token_shape(void **state)
{
	static const char *const bad[] = {
		"",
		"-",
		"bkrfggac8ae114da62eb0e0bf0e884fc9a22cf",           /* no '-' */
		"bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf-",         /* two '-' */
		"bkrfgg--ac8ae114da62eb0e0bf0e884fc9a22cf",         /* two '-' */
		"bk-rfgg-ac8ae114da62eb0e0bf0e884fc9a22cf",         /* two '-' */
		"bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22c",           /* 31 hex */
		"bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf0",         /* 33 hex */
		"bkrfgg-AC8AE114DA62EB0E0BF0E884FC9A22CF",          /* uppercase hex */
		"bkrfgg-Ac8ae114da62eb0e0bf0e884fc9a22cf",          /* one uppercase */
		"bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cg",          /* not hex */
		"BKRFGG-ac8ae114da62eb0e0bf0e884fc9a22cf",          /* uppercase base36 */
		"0bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf",         /* leading zero */
		"-ac8ae114da62eb0e0bf0e884fc9a22cf",                /* empty ts */
		"bkrfgg-",                                          /* empty hash */
		" bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf",
		"bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf ",
		"bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf\n",
		"bkrfgg ac8ae114da62eb0e0bf0e884fc9a22cf",
		"00000000000000-ac8ae114da62eb0e0bf0e884fc9a22cf",  /* 14 chars ts */
		"3w5e11264sgsg-ac8ae114da62eb0e0bf0e884fc9a22cf",   /* 2^64: overflow */
		"zzzzzzzzzzzzz-ac8ae114da62eb0e0bf0e884fc9a22cf",   /* overflow */
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(check(TOK_ACTIVATION, &v1_user, bad[i], 700000000), AC_EDENIED);
		assert_int_equal(tok_ts(bad[i]), -1);
	}
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, NULL, 700000000), AC_EDENIED);
	assert_int_equal(tok_ts(NULL), -1);
	/* Well-formed at the extremes: a wrong hash, not a crash. */
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, "3w5e11264sgsf-ac8ae114da62eb0e0bf0e884fc9a22cf",
			       700000000),
			 AC_EDENIED);
	assert_int_equal(tok_ts("3w5e11264sgsf-ac8ae114da62eb0e0bf0e884fc9a22cf"), -1);
	assert_int_equal(tok_ts("0-ac8ae114da62eb0e0bf0e884fc9a22cf"), 0);
}

/* A round trip at the largest ts, and a fresh token at now. */
static void test_make_check_roundtrip(void **state)
{
	char tok[TOK_MAX];
	int64_t now = tok_now();

	(void)state;
	assert_true(now > 706263601);
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_RESET_LINK, &v2_user, now, tok), AC_OK);
	assert_int_equal(check(TOK_RESET_LINK, &v2_user, tok, now), AC_OK);
	assert_int_equal(tok_ts(tok), now);

	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_ACTIVATION, &v1_user, INT64_MAX, tok),
			 AC_OK);
	assert_memory_equal(tok, "1y2p0ij32e8e7-", 14);
	assert_int_equal(strlen(tok), 46);
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, tok, INT64_MAX), AC_OK);
	assert_int_equal(tok_ts(tok), INT64_MAX);

	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_ACTIVATION, &v1_user, 0, tok), AC_OK);
	assert_int_equal(tok[0], '0');
	assert_int_equal(tok[1], '-');
	assert_int_equal(check(TOK_ACTIVATION, &v1_user, tok, 600), AC_OK);
}

static void test_make_rejects(void **state)
{
	char tok[TOK_MAX];
	struct tok_user u = v1_user;

	(void)state;
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_ACTIVATION, &u, -1, tok), AC_EINVAL);
	u.id = "3f1c2a4e8b7d4e2f9a1b0c2d3e4f5a6b";  /* storage form, not the hyphenated one */
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_ACTIVATION, &u, 1, tok), AC_EINVAL);
	u.id = "3F1C2A4E-8B7D-4E2F-9A1B-0C2D3E4F5A6B";
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_ACTIVATION, &u, 1, tok), AC_EINVAL);
	u = v1_user;
	u.password = NULL;
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_ACTIVATION, &u, 1, tok), AC_EINVAL);
	u = v1_user;
	u.email = NULL;
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_ACTIVATION, &u, 1, tok), AC_EINVAL);
	u = v1_user;
	u.last_login = "2023-05-20";
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_ACTIVATION, &u, 1, tok), AC_EINVAL);
	assert_int_equal(tok_make(SECRET, strlen(SECRET), (enum tok_purpose)7, &v1_user, 1, tok),
			 AC_EINVAL);
	assert_int_equal(tok_make(SECRET, strlen(SECRET), TOK_ACTIVATION, NULL, 1, tok), AC_EINVAL);
}

/* ---- base36, §5.2 and rule 2 ---- */

static void test_base36_vectors(void **state)
{
	static const struct { uint64_t v; const char *s; } vec[] = {
		{ 0, "0" }, { 35, "z" }, { 36, "10" }, { 700000000, "bkrfgg" },
		{ 706263601, "bohohd" }, { 2147483648u, "zik0zk" }, { UINT64_MAX, "3w5e11264sgsf" },
	};
	char buf[14];
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		tok_base36(vec[i].v, buf);
		assert_string_equal(buf, vec[i].s);
		v = 12345;
		assert_int_equal(tok_base36_decode(vec[i].s, strlen(vec[i].s), &v), AC_OK);
		assert_true(v == vec[i].v);
	}
	/* 2023-05-20T08:20:01Z */
	tok_base36(1684570801 - TOK_EPOCH, buf);
	assert_string_equal(buf, "bohohd");
	/* Decoding uses len, not the NUL. */
	assert_int_equal(tok_base36_decode("bkrfggXX", 6, &v), AC_OK);
	assert_true(v == 700000000);
}

static void test_base36_rejects(void **state)
{
	static const char *const bad[] = {
		"", "00", "01", "0z", "Z", "BKRFGG", "bkrFgg", "-1", "+1", " 1", "1 ", "1.0",
		"12345678901234",  /* 14 chars */
		"3w5e11264sgsg",   /* 2^64 */
		"zzzzzzzzzzzzz",   /* 13 chars but > 2^64 */
		"a_", "1-",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(tok_base36_decode(bad[i], strlen(bad[i]), &v), AC_EINVAL);
	assert_int_equal(tok_base36_decode(NULL, 0, &v), AC_EINVAL);
	assert_int_equal(tok_base36_decode("1\0", 2, &v), AC_EINVAL);
	/* 13 characters are fine when they fit. */
	assert_int_equal(tok_base36_decode("1000000000000", 13, &v), AC_OK);
	assert_true(v == UINT64_C(4738381338321616896));
}

/* ---- uidb64, §5.1 ---- */

#define UIDB64 "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi"

static void test_uidb64_example(void **state)
{
	char enc[49], dec[37];

	(void)state;
	assert_int_equal(tok_uidb64_encode(ID, enc), AC_OK);
	assert_string_equal(enc, UIDB64);
	assert_int_equal(tok_uidb64_decode(UIDB64, 48, dec), AC_OK);
	assert_string_equal(dec, ID);
	/* Decoding uses len, not the NUL. */
	assert_int_equal(tok_uidb64_decode(UIDB64 "/", 48, dec), AC_OK);
	assert_string_equal(dec, ID);
}

static void test_uidb64_roundtrip(void **state)
{
	char id[37], enc[49], dec[37];

	(void)state;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(sec_uuid4(id), AC_OK);
		assert_int_equal(tok_uidb64_encode(id, enc), AC_OK);
		assert_int_equal(strlen(enc), 48);
		assert_int_equal(tok_uidb64_decode(enc, 48, dec), AC_OK);
		assert_string_equal(dec, id);
	}
	assert_int_equal(tok_uidb64_encode("ffffffff-ffff-ffff-ffff-ffffffffffff", enc), AC_OK);
	assert_string_equal(enc, "ZmZmZmZmZmYtZmZmZi1mZmZmLWZmZmYtZmZmZmZmZmZmZmZm");
	assert_int_equal(tok_uidb64_decode(enc, 48, dec), AC_OK);
	assert_string_equal(dec, "ffffffff-ffff-ffff-ffff-ffffffffffff");
	assert_int_equal(tok_uidb64_encode("00000000-0000-0000-0000-000000000000", enc), AC_OK);
	assert_int_equal(tok_uidb64_decode(enc, 48, dec), AC_OK);
	assert_string_equal(dec, "00000000-0000-0000-0000-000000000000");
}

static void test_uidb64_rejects(void **state)
{
	char dec[37], enc[49], s[64];
	static const char *const bad[] = {
		"bm90LWEtdXVpZA",                                      /* not-a-uuid */
		"M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZ",    /* 47 */
		"M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZiA",  /* 49 */
		"M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi==", /* padded */
		"M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZ=",   /* '=' inside 48 */
		"M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YT+i",   /* '+' */
		"M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YT/i",   /* '/' */
		"M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YT.i",
		"M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YT i",
		"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(tok_uidb64_decode(bad[i], strlen(bad[i]), dec), AC_EINVAL);
	assert_int_equal(tok_uidb64_decode(NULL, 48, dec), AC_EINVAL);
	/* A NUL inside the 48 characters. */
	memcpy(s, UIDB64, 49);
	s[10] = '\0';
	assert_int_equal(tok_uidb64_decode(s, 48, dec), AC_EINVAL);

	/* Well-formed base64 of 36 bytes that are not a canonical lowercase UUID. */
	static const char *const notuuid[] = {
		"3F1C2A4E-8B7D-4E2F-9A1B-0C2D3E4F5A6B",  /* uppercase */
		"3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6B",  /* one uppercase */
		"3f1c2a4e8-b7d-4e2f-9a1b-0c2d3e4f5a6b",  /* layout */
		"3f1c2a4e-8b7d-4e2f-9a1b_0c2d3e4f5a6b",  /* separator */
		"3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6g",  /* not hex */
		"{f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6}",
		"3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6 ",
	};
	for (size_t i = 0; i < sizeof notuuid / sizeof notuuid[0]; i++) {
		/* Encode by hand (tok_uidb64_encode refuses these too). */
		static const char a[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const unsigned char *b = (const unsigned char *)notuuid[i];
		size_t j = 0;

		for (size_t k = 0; k < 36; k += 3) {
			unsigned long v = (unsigned long)b[k] << 16 | (unsigned long)b[k + 1] << 8 | b[k + 2];

			s[j++] = a[(v >> 18) & 63];
			s[j++] = a[(v >> 12) & 63];
			s[j++] = a[(v >> 6) & 63];
			s[j++] = a[v & 63];
		}
		s[48] = '\0';
		assert_int_equal(tok_uidb64_decode(s, 48, dec), AC_EINVAL);
		assert_int_equal(tok_uidb64_encode(notuuid[i], enc), AC_EINVAL);
	}
	/* 36 NUL bytes. */
	assert_int_equal(tok_uidb64_decode("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 48, dec),
			 AC_EINVAL);
	assert_int_equal(tok_uidb64_encode("3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6", enc), AC_EINVAL);
	assert_int_equal(tok_uidb64_encode("3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6bb", enc), AC_EINVAL);
	assert_int_equal(tok_uidb64_encode(NULL, enc), AC_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector1),
		cmocka_unit_test(test_vector2),
		cmocka_unit_test(test_vector3),
		cmocka_unit_test(test_login_forms),
		cmocka_unit_test(test_activation_dies_on_activation),
		cmocka_unit_test(test_reset_dies_on_password_change),
		cmocka_unit_test(test_reset_dies_on_login),
		cmocka_unit_test(test_email_change),
		cmocka_unit_test(test_wrong_purpose),
		cmocka_unit_test(test_wrong_secret),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_hash_mismatch),
		cmocka_unit_test(test_token_shape),
		cmocka_unit_test(test_make_check_roundtrip),
		cmocka_unit_test(test_make_rejects),
		cmocka_unit_test(test_base36_vectors),
		cmocka_unit_test(test_base36_rejects),
		cmocka_unit_test(test_uidb64_example),
		cmocka_unit_test(test_uidb64_roundtrip),
		cmocka_unit_test(test_uidb64_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
