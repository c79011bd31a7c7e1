/* Small wrappers over OpenSSL libcrypto: CSPRNG, SHA-256, HMAC, hex, constant-time compare, UUIDs. */
#include "crypto.h"
#include "err.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
/*
 * The low-level SHA-256 functions (deprecated in OpenSSL 3 but kept) run without the
 * provider machinery: EVP's first use loads openssl.cnf and registers every algorithm,
 * which costs more CPU than the rest of a CGI request (bench/README.md).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

int sec_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return AC_EINTERNAL;
		p += r;
		n -= (size_t)r;
	}
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
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof c);
}

void sec_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];

	sec_sha256(data, len, md);
	sec_hex(md, sizeof md, out);
}

/* RFC 2104 over SHA-256 (block size 64). */
void sec_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		     unsigned char out[32])
{
	unsigned char k[64] = { 0 }, pad[64], inner[32];
	SHA256_CTX c;

	if (keylen > sizeof k)
		sec_sha256(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (size_t i = 0; i < sizeof pad; i++)
		pad[i] = (unsigned char)(k[i] ^ 0x36);
	SHA256_Init(&c);
	SHA256_Update(&c, pad, sizeof pad);
	SHA256_Update(&c, msg, msglen);
	SHA256_Final(inner, &c);
	for (size_t i = 0; i < sizeof pad; i++)
		pad[i] = (unsigned char)(k[i] ^ 0x5c);
	SHA256_Init(&c);
	SHA256_Update(&c, pad, sizeof pad);
	SHA256_Update(&c, inner, sizeof inner);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(pad, sizeof pad);
	OPENSSL_cleanse(inner, sizeof inner);
	OPENSSL_cleanse(&c, sizeof c);
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
