/* RFC 6238 time-based one-time passwords (HMAC-SHA1, 6 digits, 30 s) and RFC 4648 base32 (API.md §11.1). */
#include "totp.h"
#include "crypto.h"
#include "err.h"

#include <string.h>
/* Low-level SHA-1 like crypto.c's SHA-256: no EVP provider start-up for a login. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int totp_base32_encode(const void *in, size_t n, char *out, size_t outlen)
{
	const unsigned char *p = in;
	size_t need = (n * 8 + 4) / 5, o = 0;
	unsigned acc = 0;
	int bits = 0;

	if (outlen < need + 1)
		return AC_EINVAL;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = B32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = B32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return AC_OK;
}

static int b32_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a';
	if (ch >= '2' && ch <= '7')
		return ch - '2' + 26;
	return -1;
}

int totp_base32_decode(const char *in, void *out, size_t cap, size_t *n)
{
	unsigned char *p = out;
	size_t len = strlen(in), o = 0;
	unsigned acc = 0;
	int bits = 0;

	*n = 0;
	/* lengths mod 8 of 1, 3 and 6 are produced by no byte count */
	if (len % 8 == 1 || len % 8 == 3 || len % 8 == 6 || len * 5 / 8 > cap)
		return AC_EINVAL;
	for (size_t i = 0; i < len; i++) {
		int v = b32_value(in[i]);

		if (v < 0)
			return AC_EINVAL;
		acc = ((acc << 5) | (unsigned)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			p[o++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (acc & ((1u << bits) - 1))
		return AC_EINVAL;
	*n = o;
	return AC_OK;
}

/* RFC 2104 over SHA-1 (block size 64). */
static void hmac_sha1(const void *key, size_t keylen, const void *msg, size_t msglen,
		      unsigned char out[SHA_DIGEST_LENGTH])
{
	unsigned char k[64] = { 0 }, pad[64], inner[SHA_DIGEST_LENGTH];
	SHA_CTX c;

	if (keylen > sizeof k)
		SHA1(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (size_t i = 0; i < sizeof pad; i++)
		pad[i] = (unsigned char)(k[i] ^ 0x36);
	SHA1_Init(&c);
	SHA1_Update(&c, pad, sizeof pad);
	SHA1_Update(&c, msg, msglen);
	SHA1_Final(inner, &c);
	for (size_t i = 0; i < sizeof pad; i++)
		pad[i] = (unsigned char)(k[i] ^ 0x5c);
	SHA1_Init(&c);
	SHA1_Update(&c, pad, sizeof pad);
	SHA1_Update(&c, inner, sizeof inner);
	SHA1_Final(out, &c);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(pad, sizeof pad);
	OPENSSL_cleanse(inner, sizeof inner);
	OPENSSL_cleanse(&c, sizeof c);
}

uint32_t totp_hotp(const void *key, size_t keylen, uint64_t counter)
{
	unsigned char msg[8], mac[SHA_DIGEST_LENGTH];
	uint32_t bin;
	unsigned off;

	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	hmac_sha1(key, keylen, msg, sizeof msg, mac);
	off = mac[sizeof mac - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	OPENSSL_cleanse(mac, sizeof mac);
	return bin % 1000000u;
}

void totp_code(const void *key, size_t keylen, uint64_t step, char out[TOTP_DIGITS + 1])
{
	uint32_t v = totp_hotp(key, keylen, step);

	for (int i = TOTP_DIGITS - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[TOTP_DIGITS] = '\0';
}

int64_t totp_step(int64_t now)
{
	return now < 0 ? -1 - (-1 - now) / TOTP_PERIOD : now / TOTP_PERIOD;
}

int totp_is_code(const char *s)
{
	for (int i = 0; i < TOTP_DIGITS; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[TOTP_DIGITS] == '\0';
}

int totp_match(const void *key, size_t keylen, const char *code, int64_t now, int64_t last_step,
	       int64_t *step)
{
	int64_t cur = totp_step(now), found = -1;
	char want[TOTP_DIGITS + 1];
	int ok = totp_is_code(code);

	/* every candidate is computed and compared, whatever matched */
	for (int64_t s = cur - 1; s <= cur + 1; s++) {
		int eq;

		if (s < 0)
			continue;
		totp_code(key, keylen, (uint64_t)s, want);
		eq = ok && sec_equal(want, code, TOTP_DIGITS);
		if (eq && s > last_step)
			found = s;
	}
	OPENSSL_cleanse(want, sizeof want);
	if (found < 0)
		return 0;
	*step = found;
	return 1;
}
