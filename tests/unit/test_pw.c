/* Unit tests for lib/pw.c: §2.7 vectors, new hashes, bounds before hashing, strict parsing, upgrade rule. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <cmocka.h>

#include <argon2.h>
#include <openssl/evp.h>

#include "err.h"
#include "pw.h"

#define PW "correct horse battery staple"
#define PWLEN (sizeof PW - 1)
#define SALT "abcdefghijklmnopqrstuv"

/* Allocation failures must come back as NULL under ASan too (test_alloc_failure). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static const struct pw_params defaults = { 19456, 2, 1, 131072 };
static const struct pw_params small = { 64, 1, 1, 64 };

static enum pw_result verify(const struct pw_params *params, const char *stored,
			     const char *pw, size_t len)
{
	enum pw_result r = 0;

	assert_int_equal(pw_verify(params, stored, pw, len, &r), 0);
	return r;
}

static enum pw_result verify_s(const struct pw_params *params, const char *stored, const char *pw)
{
	return verify(params, stored, pw, strlen(pw));
}

/* Standard base64 of n bytes; padded or not. out must hold 4*ceil(n/3)+1. */
static void b64(const unsigned char *in, size_t n, int padded, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);

	while (!padded && len > 0 && out[len - 1] == '=')
		out[--len] = '\0';
}

/* Builds "argon2$<type>$<vpart>m=..,t=..,p=..$salt$hash" with a real Argon2 hash of pw. */
static void make_argon2(char *out, size_t cap, argon2_type type, uint32_t version,
			const char *vpart, uint32_t m, uint32_t t, uint32_t p,
			const void *salt, size_t saltlen, size_t hashlen, const char *pw)
{
	unsigned char hash[128];
	char s64[200], h64[200];

	assert_true(hashlen <= sizeof hash);
	assert_int_equal(argon2_hash(t, m, p, pw, strlen(pw), salt, saltlen, hash, hashlen, NULL,
				     0, type, version),
			 ARGON2_OK);
	b64(salt, saltlen, 0, s64);
	b64(hash, hashlen, 0, h64);
	snprintf(out, cap, "argon2$%s$%sm=%u,t=%u,p=%u$%s$%s",
		 type == Argon2_id ? "argon2id" : "argon2i", vpart, m, t, p, s64, h64);
}

static void make_pbkdf2(char *out, size_t cap, int sha256, unsigned iter, const char *salt,
			const char *pw)
{
	unsigned char hash[32];
	char h64[64];
	size_t dklen = sha256 ? 32 : 20;

	assert_int_equal(PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), (const unsigned char *)salt,
					   (int)strlen(salt), (int)iter,
					   sha256 ? EVP_sha256() : EVP_sha1(), (int)dklen, hash),
			 1);
	b64(hash, dklen, 1, h64);
	snprintf(out, cap, "pbkdf2_%s$%u$%s$%s", sha256 ? "sha256" : "sha1", iter, salt, h64);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int overcommit_always(void)
{
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
	int mode = 0;

	if (f != NULL) {
		if (fscanf(f, "%d", &mode) != 1)
			mode = 0;
		fclose(f);
	}
	return mode == 1;
}

/* §2.7 test vectors. */
struct vec {
	const char *stored;
	enum pw_result result;
	int upgrade;
};

static const struct vec vectors[] = {
	{ "argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	  PW_MATCH, 0 },
	{ "argon2$argon2id$v=19$m=102400,t=2,p=8$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$2XaaSPOLXpMyf0XDKKDlaA",
	  PW_MATCH, 1 },
	{ "argon2$argon2i$v=19$m=512,t=2,p=2$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$2Ci93Ps4pQlyPfevV55cag",
	  PW_MATCH, 1 },
	{ "pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	  PW_MATCH, 1 },
	{ "pbkdf2_sha1$600000$abcdefghijklmnopqrstuv$1iVLfcmCGZp5akz0FkImCUDaJwo=", PW_MATCH, 1 },
	{ "argon2$argon2id$v=19$m=4194304,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	  PW_UNSUPPORTED, -1 },
};

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		const struct vec *v = &vectors[i];

		assert_int_equal(verify(&defaults, v->stored, PW, PWLEN), v->result);
		if (v->upgrade >= 0)
			assert_int_equal(pw_needs_upgrade(&defaults, v->stored), v->upgrade);
	}
}

static void test_vectors_wrong_passwords(void **state)
{
	static const char *const wrong[] = {
		"correct horse battery stapl", "Correct horse battery staple",
		"correct horse battery staple ", "",
	};

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		/* The 100 MiB and 600000-iteration rows are slow under valgrind: one wrong each. */
		size_t nwrong = i == 0 || i == 2 ? sizeof wrong / sizeof wrong[0] : 1;

		for (size_t j = 0; j < nwrong; j++)
			assert_int_equal(verify_s(&defaults, vectors[i].stored, wrong[j]),
					 PW_NOMATCH);
	}
	assert_int_equal(verify_s(&defaults, vectors[5].stored, "wrong"), PW_UNSUPPORTED);
}

/* m=4194304 (4 GiB) must be refused by parsing alone: no time spent, no memory touched. */
static void test_over_bound_refused_before_hashing(void **state)
{
	long rss0 = maxrss_kib();
	double t0 = now();

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(verify(&defaults, vectors[5].stored, PW, PWLEN), PW_UNSUPPORTED);
	assert_true(now() - t0 < 1.0);
	assert_true(maxrss_kib() - rss0 < 256 * 1024);
	/* Even a bound just below the stored m refuses it. */
	{
		struct pw_params p = defaults;

		p.max_m_kib = 4194303;
		t0 = now();
		assert_int_equal(verify(&p, vectors[5].stored, PW, PWLEN), PW_UNSUPPORTED);
		assert_true(now() - t0 < 1.0);
	}
	/* And the first vector is refused once the bound is below its m. */
	{
		struct pw_params p = defaults;

		p.max_m_kib = 19455;
		assert_int_equal(verify(&p, vectors[0].stored, PW, PWLEN), PW_UNSUPPORTED);
		p.max_m_kib = 19456;
		assert_int_equal(verify(&p, vectors[0].stored, PW, PWLEN), PW_MATCH);
	}
}

static int is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Decodes unpadded base64 by padding it for EVP_DecodeBlock. Returns the length. */
static size_t unb64(const char *s, size_t n, unsigned char *out)
{
	char buf[256];
	size_t pad = (4 - n % 4) % 4;
	int len;

	assert_true(n + pad < sizeof buf);
	memcpy(buf, s, n);
	memset(buf + n, '=', pad);
	len = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)(n + pad));
	assert_true(len >= 0);
	return (size_t)len - pad;
}

static void check_new_hash_shape(const char *h, const char *prefix)
{
	const char *salt, *hash;
	unsigned char raw[64];

	assert_int_equal(strncmp(h, prefix, strlen(prefix)), 0);
	salt = h + strlen(prefix);
	hash = strchr(salt, '$');
	assert_non_null(hash);
	assert_int_equal(hash - salt, 30);  /* 22 bytes, unpadded */
	assert_int_equal(unb64(salt, 30, raw), 22);
	for (size_t i = 0; i < 22; i++)
		assert_true(is_alnum(raw[i]));
	hash++;
	assert_int_equal(strlen(hash), 22);  /* 16 bytes, unpadded */
	assert_null(strchr(hash, '='));
	assert_null(strchr(hash, '$'));
	assert_int_equal(unb64(hash, 22, raw), 16);
}

static void test_hash_default_params(void **state)
{
	char *h1 = NULL, *h2 = NULL;

	(void)state;
	assert_int_equal(pw_hash(&defaults, PW, PWLEN, &h1), 0);
	assert_non_null(h1);
	check_new_hash_shape(h1, "argon2$argon2id$v=19$m=19456,t=2,p=1$");
	assert_int_equal(verify(&defaults, h1, PW, PWLEN), PW_MATCH);
	assert_int_equal(pw_needs_upgrade(&defaults, h1), 0);
	assert_int_equal(verify_s(&defaults, h1, "correct horse battery stapl"), PW_NOMATCH);

	assert_int_equal(pw_hash(&defaults, PW, PWLEN, &h2), 0);
	assert_string_not_equal(h1, h2);  /* fresh salt each time */
	assert_int_equal(verify(&defaults, h2, PW, PWLEN), PW_MATCH);
	free(h1);
	free(h2);
}

static void test_hash_other_params_and_upgrade(void **state)
{
	struct pw_params p = { 64, 3, 2, 64 }, q;
	char *h = NULL;

	(void)state;
	assert_int_equal(pw_hash(&p, PW, PWLEN, &h), 0);
	check_new_hash_shape(h, "argon2$argon2id$v=19$m=64,t=3,p=2$");
	assert_int_equal(verify(&p, h, PW, PWLEN), PW_MATCH);
	assert_int_equal(pw_needs_upgrade(&p, h), 0);

	q = p, q.m_kib = 56;
	assert_int_equal(pw_needs_upgrade(&q, h), 1);
	q = p, q.t = 2;
	assert_int_equal(pw_needs_upgrade(&q, h), 1);
	q = p, q.p = 1;
	assert_int_equal(pw_needs_upgrade(&q, h), 1);
	q = p, q.max_m_kib = 1024;  /* the bound is not a parameter */
	assert_int_equal(pw_needs_upgrade(&q, h), 0);
	free(h);
}

static void test_upgrade_rule(void **state)
{
	/* Parsing only: none of these is hashed. 16 bytes = 22 chars, 22-byte salt = 30 chars. */
	static const struct {
		const char *stored;
		int upgrade;
	} cases[] = {
		{ "argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA", 0 },
		/* salt of 21 bytes */
		{ "argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1$4Z5PpXSUjmwCFqVEDjkVSA", 1 },
		/* salt of 24 bytes is fine */
		{ "argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4$4Z5PpXSUjmwCFqVEDjkVSA", 0 },
		/* hash of 32 bytes */
		{ "argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSOGeT6V0lI5sAhalRA45FUg", 1 },
		/* hash of 15 bytes */
		{ "argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkV", 1 },
		/* version 16 */
		{ "argon2$argon2id$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA", 1 },
		{ "argon2$argon2id$v=16$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA", 1 },
		/* argon2i */
		{ "argon2$argon2i$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA", 1 },
		/* m, t, p */
		{ "argon2$argon2id$v=19$m=19457,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA", 1 },
		{ "argon2$argon2id$v=19$m=19456,t=3,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA", 1 },
		{ "argon2$argon2id$v=19$m=19456,t=2,p=2$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA", 1 },
		{ "!unusable", 1 },
		{ "", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(pw_needs_upgrade(&defaults, cases[i].stored), cases[i].upgrade);
	assert_int_equal(pw_needs_upgrade(&defaults, NULL), 1);
}

static void test_password_length_bound(void **state)
{
	char *big = malloc(PW_MAX_BYTES + 2);
	char *h = NULL;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', PW_MAX_BYTES + 1);
	big[PW_MAX_BYTES + 1] = '\0';

	assert_int_equal(pw_hash(&small, big, PW_MAX_BYTES + 1, &h), AC_EINVAL);
	assert_null(h);
	assert_int_equal(pw_hash(&small, big, PW_MAX_BYTES, &h), 0);
	assert_int_equal(verify(&small, h, big, PW_MAX_BYTES), PW_MATCH);
	/* One byte more never matches and is not hashed. */
	assert_int_equal(verify(&small, h, big, PW_MAX_BYTES + 1), PW_NOMATCH);
	assert_int_equal(verify(&small, h, big, PW_MAX_BYTES - 1), PW_NOMATCH);
	free(h);

	/* The 4 GiB-class argument applies to over-long passwords too: nothing is hashed. */
	{
		double t0 = now();

		assert_int_equal(verify(&defaults, vectors[3].stored, big, PW_MAX_BYTES + 1),
				 PW_NOMATCH);
		assert_true(now() - t0 < 0.1);
	}
	free(big);
}

static void test_password_bytes_exact(void **state)
{
	char *h = NULL;

	(void)state;
	assert_int_equal(pw_hash(&small, "abc\0def", 7, &h), 0);
	assert_int_equal(verify(&small, h, "abc\0def", 7), PW_MATCH);
	assert_int_equal(verify(&small, h, "abc", 3), PW_NOMATCH);
	assert_int_equal(verify(&small, h, "abc\0deg", 7), PW_NOMATCH);
	free(h);

	assert_int_equal(pw_hash(&small, NULL, 0, &h), 0);
	assert_int_equal(verify(&small, h, "", 0), PW_MATCH);
	assert_int_equal(verify(&small, h, NULL, 0), PW_MATCH);
	assert_int_equal(verify(&small, h, "a", 1), PW_NOMATCH);
	free(h);

	/* UTF-8 is hashed as received, not normalised: NFC vs NFD differ. */
	assert_int_equal(pw_hash(&small, "caf\xc3\xa9", 5, &h), 0);
	assert_int_equal(verify_s(&small, h, "caf\xc3\xa9"), PW_MATCH);
	assert_int_equal(verify_s(&small, h, "cafe\xcc\x81"), PW_NOMATCH);
	free(h);
}

static void test_bad_params_for_new_hashes(void **state)
{
	static const struct pw_params bad[] = {
		{ 64, 0, 1, 64 }, { 64, 17, 1, 64 }, { 64, 1, 0, 64 }, { 256, 1, 17, 256 },
		{ 7, 1, 1, 64 }, { 63, 1, 8, 64 }, { 128, 1, 1, 64 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *h = (char *)1;

		assert_int_equal(pw_hash(&bad[i], PW, PWLEN, &h), AC_EINTERNAL);
		assert_null(h);
		assert_int_equal(pw_dummy_verify(&bad[i], PW, PWLEN), AC_EINTERNAL);
	}
}

static void test_argon2i_and_version16(void **state)
{
	char s[512];

	(void)state;
	/* No v= means version 16, for argon2i and argon2id. */
	make_argon2(s, sizeof s, Argon2_i, ARGON2_VERSION_10, "", 64, 1, 1, SALT, 22, 16, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_MATCH);
	assert_int_equal(verify_s(&small, s, "wrong"), PW_NOMATCH);
	assert_int_equal(pw_needs_upgrade(&small, s), 1);

	make_argon2(s, sizeof s, Argon2_id, ARGON2_VERSION_10, "", 64, 1, 1, SALT, 22, 16, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_MATCH);
	assert_int_equal(pw_needs_upgrade(&small, s), 1);

	/* An explicit v=16 is the same; the same bytes labelled v=19 do not verify. */
	make_argon2(s, sizeof s, Argon2_id, ARGON2_VERSION_10, "v=16$", 64, 1, 1, SALT, 22, 16, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_MATCH);
	memcpy(strstr(s, "v=16"), "v=19", 4);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_NOMATCH);

	/* argon2i vs argon2id are not interchangeable. */
	make_argon2(s, sizeof s, Argon2_i, ARGON2_VERSION_13, "v=19$", 64, 1, 1, SALT, 22, 16, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_MATCH);
	{
		char t[520];

		assert_int_equal(strncmp(s, "argon2$argon2i$", 15), 0);
		snprintf(t, sizeof t, "argon2$argon2id%s", s + 14);
		assert_int_equal(verify(&small, t, PW, PWLEN), PW_NOMATCH);
	}
}

/*
 * Each bound, tested with a hash that really is the hash of the password: accepted at the
 * bound, refused (not "no match") just past it.
 */
static void test_argon2_bounds(void **state)
{
	unsigned char salt[65];
	char s[512];
	struct pw_params p128 = { 64, 1, 1, 128 };

	(void)state;
	for (size_t i = 0; i < sizeof salt; i++)
		salt[i] = (unsigned char)('a' + i % 26);

	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 64, 1, 1, salt, 8, 16, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_MATCH);
	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 64, 1, 1, salt, 64, 16, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_MATCH);
	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 64, 1, 1, salt, 65, 16, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_UNSUPPORTED);

	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 64, 1, 1, salt, 22, 8, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_MATCH);
	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 64, 1, 1, salt, 22, 7, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_UNSUPPORTED);
	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 64, 1, 1, salt, 22, 64, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_MATCH);
	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 64, 1, 1, salt, 22, 65, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_UNSUPPORTED);

	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 64, 16, 1, salt, 22, 16, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_MATCH);
	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 64, 17, 1, salt, 22, 16, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_UNSUPPORTED);

	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 128, 1, 16, salt, 22, 16, PW);
	assert_int_equal(verify(&p128, s, PW, PWLEN), PW_MATCH);
	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 136, 1, 17, salt, 22, 16, PW);
	assert_int_equal(verify(&p128, s, PW, PWLEN), PW_UNSUPPORTED);
	p128.max_m_kib = 136;
	assert_int_equal(verify(&p128, s, PW, PWLEN), PW_UNSUPPORTED);

	make_argon2(s, sizeof s, Argon2_id, 0x13, "v=19$", 65, 1, 1, salt, 22, 16, PW);
	assert_int_equal(verify(&small, s, PW, PWLEN), PW_UNSUPPORTED);
	assert_int_equal(verify(&p128, s, PW, PWLEN), PW_MATCH);
}

static void test_pbkdf2(void **state)
{
	char s[512];

	(void)state;
	make_pbkdf2(s, sizeof s, 1, 1, "saltsalt", PW);
	assert_int_equal(verify(&defaults, s, PW, PWLEN), PW_MATCH);
	assert_int_equal(verify_s(&defaults, s, "wrong"), PW_NOMATCH);
	assert_int_equal(pw_needs_upgrade(&defaults, s), 1);
	make_pbkdf2(s, sizeof s, 0, 1000, "saltsalt", PW);
	assert_int_equal(verify(&defaults, s, PW, PWLEN), PW_MATCH);
	/* Salts are bytes 0x21-0x7e without '$', 8 to 64 of them. */
	make_pbkdf2(s, sizeof s, 1, 10, "0123456789012345678901234567890123456789012345678901234567890123", PW);
	assert_int_equal(verify(&defaults, s, PW, PWLEN), PW_MATCH);
	make_pbkdf2(s, sizeof s, 1, 10, "01234567890123456789012345678901234567890123456789012345678901234", PW);
	assert_int_equal(verify(&defaults, s, PW, PWLEN), PW_UNSUPPORTED);
	make_pbkdf2(s, sizeof s, 1, 10, "1234567", PW);
	assert_int_equal(verify(&defaults, s, PW, PWLEN), PW_UNSUPPORTED);
	make_pbkdf2(s, sizeof s, 1, 10, "a!#%&*+-./:;<=>?@[]^_`{|}~", PW);
	assert_int_equal(verify(&defaults, s, PW, PWLEN), PW_MATCH);
	make_pbkdf2(s, sizeof s, 1, 10, "salt salt", PW);
	assert_int_equal(verify(&defaults, s, PW, PWLEN), PW_UNSUPPORTED);
	make_pbkdf2(s, sizeof s, 1, 10, "salt\x80salt", PW);
	assert_int_equal(verify(&defaults, s, PW, PWLEN), PW_UNSUPPORTED);
}

/* Strings that must be refused by parsing alone, with the right password. */
static const char *const malformed[] = {
	"",
	"argon2",
	"argon2$",
	"argon2$argon2id",
	"argon2$argon2id$",
	"argon2$argon2id$v=19",
	"argon2$argon2id$v=19$",
	"argon2$argon2id$v=19$m=19456,t=2,p=1",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$",
	/* extra or missing '$' */
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA$",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"$argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	/* names */
	"Argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$Argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2d$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2idx$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	/* versions */
	"argon2$argon2id$v=18$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=20$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=019$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=+19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19,m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=0x13$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	/* numbers */
	"argon2$argon2id$v=19$m=+19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=019456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=-19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m= 19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456 ,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1 $YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456.0,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=0x4c00,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=99999999999999999999,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=18446744073709571072,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=4294986752,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=4294967298,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=4294967297$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=0,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=0$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=0,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=7,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=127,t=2,p=16$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=131073,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	/* parameter syntax */
	"argon2$argon2id$v=19$t=2,m=19456,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,p=1,t=2$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1,keyid=x$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456;t=2;p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$M=19456,T=2,P=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	/* base64 of the salt */
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg==$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dh$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1d$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1d-$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1d_$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hp*mtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hp amtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg\n$4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVm$4Z5PpXSUjmwCFqVEDjkVSA",
	/* base64 of the hash */
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA==",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA=",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSB",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVS",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSAAAA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA\n",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA ",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$ 4Z5PpXSUjmwCFqVEDjkVSA",
	"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSU",
	/* PBKDF2 */
	"pbkdf2_sha256",
	"pbkdf2_sha256$",
	"pbkdf2_sha256$600000",
	"pbkdf2_sha256$600000$",
	"pbkdf2_sha256$600000$abcdefghijklmnopqrstuv",
	"pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$",
	"pbkdf2_sha256$600000$$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$0$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$2000001$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$99999999999999999999$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$+600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$0600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$-600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$600000.0$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$ 600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA",
	"pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA==",
	"pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKB=",
	"pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=\n",
	"pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=$",
	"pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$_J0CpZ3vcK9I1h75JC_iU_sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$1iVLfcmCGZp5akz0FkImCUDaJwo=",
	"pbkdf2_sha1$600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha512$600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"PBKDF2_SHA256$600000$abcdefghijklmnopqrstuv$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	"pbkdf2_sha256$600000$abcdefg$/J0CpZ3vcK9I1h75JC/iU/sNXIXDOUp63J0kPWutYKA=",
	/* other Django hashers and junk */
	"bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuu5Gx1VX9WpwIUrG5ZSEV9H0mVm6cDwMO",
	"bcrypt$$2b$12$abcdefghijklmnopqrstuu5Gx1VX9WpwIUrG5ZSEV9H0mVm6cDwMO",
	"sha1$abcde$4a1d6a4cdfc1af9bd13a2bd0c25a1c1c1a7a1f1f",
	"md5$abcde$0123456789abcdef0123456789abcdef",
	"unsalted_md5$$0123456789abcdef0123456789abcdef",
	"crypt$$abcdefghijklm",
	"scrypt$16384$abcdefghijklmnopqrstuv$8$1$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	"$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
	"correct horse battery staple",
	" ",
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		enum pw_result r = 0;

		assert_int_equal(pw_verify(&defaults, malformed[i], PW, PWLEN, &r), 0);
		if (r != PW_UNSUPPORTED)
			fail_msg("accepted: %s", malformed[i]);
		assert_int_equal(pw_needs_upgrade(&defaults, malformed[i]), 1);
	}
	assert_int_equal(verify(&defaults, NULL, PW, PWLEN), PW_UNSUPPORTED);
}

static void test_overlong_stored(void **state)
{
	char s[2048];
	size_t n;

	(void)state;
	/* A well-formed hash padded to 600 characters with a long salt is still refused. */
	n = (size_t)snprintf(s, sizeof s, "argon2$argon2id$v=19$m=19456,t=2,p=1$");
	memset(s + n, 'A', 560);
	strcpy(s + n + 560, "$4Z5PpXSUjmwCFqVEDjkVSA");
	assert_int_equal(verify(&defaults, s, PW, PWLEN), PW_UNSUPPORTED);
	memset(s, 'x', sizeof s - 1);
	s[sizeof s - 1] = '\0';
	assert_int_equal(verify(&defaults, s, PW, PWLEN), PW_UNSUPPORTED);
}

/* Every prefix of a good hash is refused or wrong; it never matches. */
static void test_truncations(void **state)
{
	char *h = NULL, buf[256];
	size_t len, last;

	(void)state;
	assert_int_equal(pw_hash(&small, PW, PWLEN, &h), 0);
	len = strlen(h);
	last = (size_t)(strrchr(h, '$') - h);
	for (size_t n = 0; n < len; n++) {
		enum pw_result r;

		memcpy(buf, h, n);
		buf[n] = '\0';
		r = verify(&small, buf, PW, PWLEN);
		assert_int_not_equal(r, PW_MATCH);
		/* Up to 10 characters of hash are under 8 bytes. */
		if (n <= last + 10)
			assert_int_equal(r, PW_UNSUPPORTED);
	}
	free(h);
}

static void test_unusable(void **state)
{
	static const char *const unusable[] = {
		"!", "!abc", "!argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
		"!yH5cwGSCHYtZ3vXGc94r1kwPSIOtVtbEqImFQDYt",
	};

	(void)state;
	for (size_t i = 0; i < sizeof unusable / sizeof unusable[0]; i++) {
		assert_int_equal(verify(&defaults, unusable[i], PW, PWLEN), PW_UNUSABLE);
		assert_int_equal(verify_s(&defaults, unusable[i], ""), PW_UNUSABLE);
		assert_int_equal(verify_s(&defaults, unusable[i], unusable[i]), PW_UNUSABLE);
	}
	/* "!" must be first. */
	assert_int_equal(verify_s(&defaults, " !abc", PW), PW_UNSUPPORTED);
}

static void test_bad_arguments(void **state)
{
	enum pw_result r = PW_MATCH;
	char *h = (char *)1;

	(void)state;
	assert_int_equal(pw_verify(NULL, vectors[0].stored, PW, PWLEN, &r), AC_EINTERNAL);
	assert_int_not_equal(r, PW_MATCH);
	assert_int_equal(pw_verify(&defaults, vectors[0].stored, PW, PWLEN, NULL), AC_EINTERNAL);
	r = PW_MATCH;
	assert_int_equal(pw_verify(&defaults, vectors[0].stored, NULL, 5, &r), AC_EINTERNAL);
	assert_int_not_equal(r, PW_MATCH);
	assert_int_equal(pw_hash(NULL, PW, PWLEN, &h), AC_EINTERNAL);
	assert_null(h);
	assert_int_equal(pw_hash(&defaults, PW, PWLEN, NULL), AC_EINTERNAL);
	assert_int_equal(pw_hash(&defaults, NULL, 3, &h), AC_EINTERNAL);
	assert_int_equal(pw_dummy_verify(NULL, PW, PWLEN), AC_EINTERNAL);
	assert_int_equal(pw_dummy_verify(&defaults, NULL, 3), AC_EINTERNAL);
	assert_int_equal(pw_needs_upgrade(NULL, vectors[0].stored), 1);
}

static void test_dummy_verify(void **state)
{
	char *big = calloc(1, PW_MAX_BYTES + 1);
	double t0;

	(void)state;
	assert_non_null(big);
	assert_int_equal(pw_dummy_verify(&defaults, PW, PWLEN), 0);
	assert_int_equal(pw_dummy_verify(&small, "", 0), 0);
	t0 = now();
	assert_int_equal(pw_dummy_verify(&defaults, big, PW_MAX_BYTES + 1), 0);
	assert_true(now() - t0 < 0.1);
	free(big);
}

/* Argon2 failing to allocate is AC_EUNAVAIL (503), never an abort. */
static void test_alloc_failure(void **state)
{
	const struct pw_params huge = { 0x7fffffffu, 1, 1, 0x7fffffffu };
	char *h = (char *)1;
	enum pw_result r = PW_MATCH;

	(void)state;
	if (overcommit_always())
		skip();
	assert_int_equal(pw_hash(&huge, PW, PWLEN, &h), AC_EUNAVAIL);
	assert_null(h);
	assert_int_equal(pw_dummy_verify(&huge, PW, PWLEN), AC_EUNAVAIL);
	assert_int_equal(pw_verify(&huge,
				   "argon2$argon2id$v=19$m=2147483647,t=1,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
				   PW, PWLEN, &r),
			 AC_EUNAVAIL);
	assert_int_not_equal(r, PW_MATCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_vectors_wrong_passwords),
		cmocka_unit_test(test_over_bound_refused_before_hashing),
		cmocka_unit_test(test_hash_default_params),
		cmocka_unit_test(test_hash_other_params_and_upgrade),
		cmocka_unit_test(test_upgrade_rule),
		cmocka_unit_test(test_password_length_bound),
		cmocka_unit_test(test_password_bytes_exact),
		cmocka_unit_test(test_bad_params_for_new_hashes),
		cmocka_unit_test(test_argon2i_and_version16),
		cmocka_unit_test(test_argon2_bounds),
		cmocka_unit_test(test_pbkdf2),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_overlong_stored),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_unusable),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_dummy_verify),
		cmocka_unit_test(test_alloc_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
