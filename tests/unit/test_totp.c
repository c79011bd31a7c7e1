/* Unit tests of lib/twofactor/: RFC 6238 vectors, base32, replay window, recovery codes, secret sealing (API.md §11.1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "twofactor/recovery.h"
#include "twofactor/seal.h"
#include "twofactor/totp.h"

static const char SEED[] = "12345678901234567890";

static void test_rfc6238_vectors(void **state)
{
	char code[7];

	(void)state;
	/* §11.1 and RFC 6238 Appendix B (SHA-1, truncated to 6 digits) */
	totp_code(SEED, 20, (uint64_t)totp_step(59), code);
	assert_string_equal(code, "287082");
	totp_code(SEED, 20, (uint64_t)totp_step(1111111109), code);
	assert_string_equal(code, "081804");
	totp_code(SEED, 20, (uint64_t)totp_step(1234567890), code);
	assert_string_equal(code, "005924");
	totp_code(SEED, 20, (uint64_t)totp_step(1111111111), code);
	assert_string_equal(code, "050471");
	totp_code(SEED, 20, (uint64_t)totp_step(2000000000), code);
	assert_string_equal(code, "279037");
	totp_code(SEED, 20, (uint64_t)totp_step(20000000000LL), code);
	assert_string_equal(code, "353130");
}

static void test_rfc4226_hotp(void **state)
{
	static const uint32_t want[] = { 755224, 287082, 359152, 969429, 338314,
					 254676, 287922, 162583, 399871, 520489 };

	(void)state;
	for (uint64_t i = 0; i < 10; i++)
		assert_int_equal(totp_hotp(SEED, 20, i), want[i]);
}

static void test_step(void **state)
{
	(void)state;
	assert_int_equal(totp_step(0), 0);
	assert_int_equal(totp_step(29), 0);
	assert_int_equal(totp_step(30), 1);
	assert_int_equal(totp_step(59), 1);
	assert_int_equal(totp_step(-1), -1);
}

static void test_is_code(void **state)
{
	(void)state;
	assert_true(totp_is_code("000000"));
	assert_true(totp_is_code("287082"));
	assert_false(totp_is_code("28708"));
	assert_false(totp_is_code("2870820"));
	assert_false(totp_is_code("28708a"));
	assert_false(totp_is_code(" 287082"));
	assert_false(totp_is_code("287082\n"));
	assert_false(totp_is_code(""));
}

static void test_match_window_and_replay(void **state)
{
	const int64_t now = 1111111109;   /* step 37037036 */
	char prev[7], cur[7], next[7], far[7];
	int64_t step = 0, s = totp_step(now);

	(void)state;
	totp_code(SEED, 20, (uint64_t)(s - 1), prev);
	totp_code(SEED, 20, (uint64_t)s, cur);
	totp_code(SEED, 20, (uint64_t)(s + 1), next);
	totp_code(SEED, 20, (uint64_t)(s + 2), far);
	assert_true(totp_match(SEED, 20, cur, now, 0, &step));
	assert_int_equal(step, s);
	assert_true(totp_match(SEED, 20, prev, now, 0, &step));
	assert_int_equal(step, s - 1);
	assert_true(totp_match(SEED, 20, next, now, 0, &step));
	assert_int_equal(step, s + 1);
	assert_false(totp_match(SEED, 20, far, now, 0, &step));
	/* replay: a step not greater than the last accepted one is refused */
	assert_false(totp_match(SEED, 20, cur, now, s, &step));
	assert_false(totp_match(SEED, 20, prev, now, s - 1, &step));
	assert_true(totp_match(SEED, 20, next, now, s, &step));
	assert_false(totp_match(SEED, 20, cur, now, s + 1, &step));
	/* malformed */
	assert_false(totp_match(SEED, 20, "", now, 0, &step));
	assert_false(totp_match(SEED, 20, "08180", now, 0, &step));
	assert_false(totp_match(SEED, 20, "0818044", now, 0, &step));
}

static void test_base32(void **state)
{
	unsigned char out[64];
	char enc[64];
	size_t n = 0;

	(void)state;
	assert_int_equal(totp_base32_encode(SEED, 20, enc, sizeof enc), AC_OK);
	assert_string_equal(enc, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_int_equal(strlen(enc), TOTP_B32_LEN);
	/* RFC 4648 §10, unpadded */
	assert_int_equal(totp_base32_encode("f", 1, enc, sizeof enc), AC_OK);
	assert_string_equal(enc, "MY");
	assert_int_equal(totp_base32_encode("fooba", 5, enc, sizeof enc), AC_OK);
	assert_string_equal(enc, "MZXW6YTB");
	assert_int_equal(totp_base32_encode("foobar", 6, enc, sizeof enc), AC_OK);
	assert_string_equal(enc, "MZXW6YTBOI");
	assert_int_equal(totp_base32_encode("foobar", 6, enc, 10), AC_EINVAL);
	assert_int_equal(totp_base32_decode("MZXW6YTBOI", out, sizeof out, &n), AC_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(totp_base32_decode("mzxw6ytboi", out, sizeof out, &n), AC_OK);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(totp_base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", out, sizeof out, &n),
			 AC_OK);
	assert_int_equal(n, 20);
	assert_memory_equal(out, SEED, 20);
	assert_int_equal(totp_base32_decode("MZXW6YTBO1", out, sizeof out, &n), AC_EINVAL);
	assert_int_equal(totp_base32_decode("MZXW6YTBOI=", out, sizeof out, &n), AC_EINVAL);
	assert_int_equal(totp_base32_decode("MZ", out, sizeof out, &n), AC_EINVAL); /* bits left over */
	assert_int_equal(totp_base32_decode("M", out, sizeof out, &n), AC_EINVAL);
	assert_int_equal(totp_base32_decode("MZXW6YTBOI", out, 5, &n), AC_EINVAL);
}

static void test_recovery_generate(void **state)
{
	char a[RECOVERY_COUNT][RECOVERY_SHOWN], b[RECOVERY_COUNT][RECOVERY_SHOWN];

	(void)state;
	assert_int_equal(recovery_generate(a), AC_OK);
	assert_int_equal(recovery_generate(b), AC_OK);
	assert_int_equal(strlen(recovery_alphabet), 32);
	for (int i = 0; i < RECOVERY_COUNT; i++) {
		assert_int_equal(strlen(a[i]), 11);
		assert_int_equal(a[i][5], '-');
		for (int j = 0; j < 11; j++) {
			if (j == 5)
				continue;
			assert_non_null(strchr(recovery_alphabet, a[i][j]));
			assert_true(a[i][j] != 'l' && a[i][j] != 'o' && a[i][j] != '0' &&
				    a[i][j] != '1');
		}
		for (int k = 0; k < i; k++)
			assert_string_not_equal(a[i], a[k]);
		/* two sets from the CSPRNG share no code (2^-50 per pair) */
		for (int k = 0; k < RECOVERY_COUNT; k++)
			assert_string_not_equal(a[i], b[k]);
	}
}

static void test_recovery_normalise_and_hash(void **state)
{
	char n[RECOVERY_CHARS + 1], h[65];

	(void)state;
	assert_int_equal(recovery_normalise("abcde-fghij", n), AC_OK);
	assert_string_equal(n, "abcdefghij");
	assert_int_equal(recovery_normalise(" ABCDE fghij- ", n), AC_OK);
	assert_string_equal(n, "abcdefghij");
	assert_int_equal(recovery_normalise("a-b-c-d-e-f-g-h-i-j", n), AC_OK);
	assert_string_equal(n, "abcdefghij");
	assert_int_equal(recovery_normalise("abcde-fghi", n), AC_EINVAL);     /* short */
	assert_int_equal(recovery_normalise("abcde-fghijk", n), AC_EINVAL);   /* long */
	assert_int_equal(recovery_normalise("abcde-fghil", n), AC_EINVAL);    /* l */
	assert_int_equal(recovery_normalise("abcde-fgho0", n), AC_EINVAL);    /* o, 0 */
	assert_int_equal(recovery_normalise("abcde\nfghij", n), AC_EINVAL);
	assert_int_equal(recovery_normalise("abcde\rfghij", n), AC_EINVAL);
	assert_int_equal(recovery_normalise("", n), AC_EINVAL);
	recovery_hash("abcdefghij", h);
	/* printf abcdefghij | sha256sum */
	assert_string_equal(h, "72399361da6a7754fec986dca5b7cbaf1c810a28ded4abaf56b2106d06cb78b0");
}

static void test_seal_roundtrip(void **state)
{
	unsigned char key[SEAL_KEY_LEN], key2[SEAL_KEY_LEN], out[64];
	char *a = NULL, *b = NULL;
	size_t n = 0;
	const char *sk = "an-example-secret-key-for-test-vectors-only-0123456789";

	(void)state;
	assert_int_equal(seal_key(sk, strlen(sk), key), AC_OK);
	assert_int_equal(seal_encrypt(key, SEED, 20, &a), AC_OK);
	assert_int_equal(seal_encrypt(key, SEED, 20, &b), AC_OK);
	/* base64 of 12 + 20 + 16 bytes */
	assert_int_equal(strlen(a), 64);
	/* a fresh nonce per write */
	assert_string_not_equal(a, b);
	assert_null(strstr(a, "GEZDGNBV"));
	assert_int_equal(seal_decrypt(key, a, out, sizeof out, &n), AC_OK);
	assert_int_equal(n, 20);
	assert_memory_equal(out, SEED, 20);
	/* another SECRET_KEY does not open it */
	assert_int_equal(seal_key("another-secret-key-of-at-least-32-bytes!", 40, key2), AC_OK);
	assert_int_equal(seal_decrypt(key2, a, out, sizeof out, &n), AC_EDENIED);
	/* tampering is detected */
	a[20] = a[20] == 'A' ? 'B' : 'A';
	assert_int_equal(seal_decrypt(key, a, out, sizeof out, &n), AC_EDENIED);
	assert_int_equal(seal_decrypt(key, "", out, sizeof out, &n), AC_EDENIED);
	assert_int_equal(seal_decrypt(key, "AAAA", out, sizeof out, &n), AC_EDENIED);
	assert_int_equal(seal_decrypt(key, "!!!!", out, sizeof out, &n), AC_EDENIED);
	free(a);
	free(b);
}

/* The key derivation of §11.1, computed step by step with crypto.h. */
static void test_seal_key_derivation(void **state)
{
	const char *sk = "an-example-secret-key-for-test-vectors-only-0123456789";
	unsigned char key[SEAL_KEY_LEN], inner[32], want[32];
	char buf[128];

	(void)state;
	snprintf(buf, sizeof buf, "auth.totp%s", sk);
	sec_sha256(buf, strlen(buf), inner);
	sec_hmac_sha256(inner, sizeof inner, "encryption", 10, want);
	assert_int_equal(seal_key(sk, strlen(sk), key), AC_OK);
	assert_memory_equal(key, want, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_rfc4226_hotp),
		cmocka_unit_test(test_step),
		cmocka_unit_test(test_is_code),
		cmocka_unit_test(test_match_window_and_replay),
		cmocka_unit_test(test_base32),
		cmocka_unit_test(test_recovery_generate),
		cmocka_unit_test(test_recovery_normalise_and_hash),
		cmocka_unit_test(test_seal_roundtrip),
		cmocka_unit_test(test_seal_key_derivation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
