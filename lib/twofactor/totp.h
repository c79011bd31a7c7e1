/* RFC 6238 time-based one-time passwords (HMAC-SHA1, 6 digits, 30 s) and RFC 4648 base32 (API.md §11.1). */
#ifndef AUTHCGI_TOTP_H
#define AUTHCGI_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN 20   /* bytes of a new secret */
#define TOTP_B32_LEN 32      /* its unpadded base32 form */
#define TOTP_PERIOD 30       /* seconds per step, T0 = 0 */
#define TOTP_DIGITS 6

/*
 * Unpadded base32 (A-Z2-7) of n bytes into out, NUL-terminated. outlen must hold
 * ceil(8n/5) + 1 bytes. Returns 0 or AC_EINVAL when out is too small.
 */
int totp_base32_encode(const void *in, size_t n, char *out, size_t outlen);
/*
 * Decodes unpadded base32 (upper or lower case; no padding, spaces or other characters) into out
 * (cap bytes); *n gets the length. Returns 0, or AC_EINVAL on a bad character, a length no
 * encoding produces, non-zero trailing bits or an out too small.
 */
int totp_base32_decode(const char *in, void *out, size_t cap, size_t *n);

/* The HOTP value (RFC 4226) of key at counter, reduced to TOTP_DIGITS digits. */
uint32_t totp_hotp(const void *key, size_t keylen, uint64_t counter);
/* The code of key for step, as TOTP_DIGITS digits with leading zeros, into out[7]. */
void totp_code(const void *key, size_t keylen, uint64_t step, char out[TOTP_DIGITS + 1]);
/* The step of Unix time now: floor(now / TOTP_PERIOD). */
int64_t totp_step(int64_t now);
/* 1 when s is exactly TOTP_DIGITS ASCII digits (§11.1: such a field is a TOTP). */
int totp_is_code(const char *s);

/*
 * Checks code against key for the steps of now - 1, now and now + 1 (§11.1), comparing each in
 * constant time. Returns 1 and sets *step to the greatest matching step that is greater than
 * last_step; 0 when none matches or only replayed steps match.
 */
int totp_match(const void *key, size_t keylen, const char *code, int64_t now, int64_t last_step,
	       int64_t *step);

#endif
