/* Small wrappers over OpenSSL libcrypto: CSPRNG, SHA-256, HMAC, hex, constant-time compare, UUIDs. */
#include "crypto.h"
#include "err.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

int sec_random(void *buf, size_t n)
{
	if (n > 0x7fffffff || RAND_bytes(buf, (int)n) != 1)
		return AC_EINTERNAL;
	return AC_OK;
}

int sec_random_alnum(char *out, size_t n)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t i = 0;
	unsigned char buf[64];

	/* Rejection sampling: 248 = 4 * 62 keeps the draw uniform. */
	while (i < n) {
		if (sec_random(buf, sizeof buf) != AC_OK)
			return AC_EINTERNAL;
		for (size_t j = 0; j < sizeof buf && i < n; j++)
			if (buf[j] < 248)
				out[i++] = alphabet[buf[j] % 62];
	}
	out[n] = '\0';
	OPENSSL_cleanse(buf, sizeof buf);
	return AC_OK;
}

void sec_hex(const void *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = bytes;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void sec_sha256(const void *data, size_t len, unsigned char out[32])
{
	SHA256(data, len, out);
}

void sec_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];

	SHA256(data, len, md);
	sec_hex(md, sizeof md, out);
}

void sec_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		     unsigned char out[32])
{
	unsigned int outlen = 32;

	HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &outlen);
}

int sec_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int sec_str_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb) {
		/* Still touch the bytes so the time depends only on the lengths. */
		(void)CRYPTO_memcmp(a, a, la);
		return 0;
	}
	return CRYPTO_memcmp(a, b, la) == 0;
}

int sec_uuid4(char out[37])
{
	unsigned char b[16];
	char hex[33];

	if (sec_random(b, sizeof b) != AC_OK)
		return AC_EINTERNAL;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	sec_hex(b, sizeof b, hex);
	return sec_uuid_from_db(hex, out);
}

int sec_is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

int sec_uuid_to_db(const char *uuid36, char out[33])
{
	size_t j = 0;

	for (size_t i = 0; i < 36; i++) {
		char ch = uuid36[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (ch != '-')
				return AC_EINVAL;
			continue;
		}
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return AC_EINVAL;
		out[j++] = ch;
	}
	if (uuid36[36] != '\0')
		return AC_EINVAL;
	out[32] = '\0';
	return AC_OK;
}

int sec_uuid_from_db(const char *hex32, char out[37])
{
	size_t j = 0;

	if (!sec_is_lower_hex(hex32, 32))
		return AC_EINVAL;
	for (size_t i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[j++] = '-';
		out[j++] = hex32[i];
	}
	out[36] = '\0';
	return AC_OK;
}
