/*
 * libFuzzer harness for lib/pw.c: arbitrary bytes as a stored password hash, verified against
 * a fixed password with small bounds. It also stands in for argon2_hash and
 * PKCS5_PBKDF2_HMAC (the definitions here take precedence over the shared libraries') to
 * abort if pw.c ever hashes with parameters outside the bounds.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/evp.h>

#include "err.h"
#include "pw.h"

#define PW "correct horse battery staple"

static const struct pw_params params = { 64, 1, 1, 64 };

typedef int (*argon2_hash_fn)(const uint32_t, const uint32_t, const uint32_t, const void *,
			      const size_t, const void *, const size_t, void *, const size_t,
			      char *, const size_t, argon2_type, const uint32_t);

int argon2_hash(const uint32_t t_cost, const uint32_t m_cost, const uint32_t parallelism,
		const void *pwd, const size_t pwdlen, const void *salt, const size_t saltlen,
		void *hash, const size_t hashlen, char *encoded, const size_t encodedlen,
		argon2_type type, const uint32_t version)
{
	static argon2_hash_fn real;

	if (t_cost < 1 || t_cost > 16 || parallelism < 1 || parallelism > 16 ||
	    m_cost > params.max_m_kib || m_cost < 8 * parallelism || saltlen < 8 || saltlen > 64 ||
	    hashlen < 8 || hashlen > 64 || pwdlen > PW_MAX_BYTES ||
	    (version != ARGON2_VERSION_10 && version != ARGON2_VERSION_13) ||
	    (type != Argon2_i && type != Argon2_id)) {
		fprintf(stderr, "argon2_hash out of bounds: m=%u t=%u p=%u salt=%zu hash=%zu\n",
			m_cost, t_cost, parallelism, saltlen, hashlen);
		abort();
	}
	if (real == NULL)
		real = (argon2_hash_fn)dlsym(RTLD_NEXT, "argon2_hash");
	if (real == NULL)
		abort();
	return real(t_cost, m_cost, parallelism, pwd, pwdlen, salt, saltlen, hash, hashlen,
		    encoded, encodedlen, type, version);
}

typedef int (*pbkdf2_fn)(const char *, int, const unsigned char *, int, int, const EVP_MD *,
			 int, unsigned char *);

int PKCS5_PBKDF2_HMAC(const char *pass, int passlen, const unsigned char *salt, int saltlen,
		      int iter, const EVP_MD *digest, int keylen, unsigned char *out)
{
	static pbkdf2_fn real;

	if (iter < 1 || iter > 2000000 || saltlen < 8 || saltlen > 64 || passlen < 0 ||
	    passlen > PW_MAX_BYTES || (keylen != 32 && keylen != 20)) {
		fprintf(stderr, "PBKDF2 out of bounds: iter=%d salt=%d keylen=%d\n", iter, saltlen,
			keylen);
		abort();
	}
	/* In bounds but slow: the answer does not matter to the fuzzer, only the bounds. */
	if (iter > 1000) {
		memset(out, 0, (size_t)keylen);
		return 1;
	}
	if (real == NULL)
		real = (pbkdf2_fn)dlsym(RTLD_NEXT, "PKCS5_PBKDF2_HMAC");
	if (real == NULL)
		abort();
	return real(pass, passlen, salt, saltlen, iter, digest, keylen, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *stored = malloc(size + 1);
	enum pw_result r = 0;
	int rc;

	if (stored == NULL)
		return 0;
	memcpy(stored, data, size);
	stored[size] = '\0';

	rc = pw_verify(&params, stored, PW, sizeof PW - 1, &r);
	if (rc != AC_OK && rc != AC_EUNAVAIL)
		abort();
	if (rc == AC_OK && r != PW_MATCH && r != PW_NOMATCH && r != PW_UNUSABLE &&
	    r != PW_UNSUPPORTED)
		abort();
	/* "!" means unusable whatever follows; nothing else is. */
	if (rc == AC_OK && (r == PW_UNUSABLE) != (stored[0] == '!'))
		abort();
	(void)pw_needs_upgrade(&params, stored);
	free(stored);
	return 0;
}
