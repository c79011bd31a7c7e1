/* Small wrappers over OpenSSL libcrypto: CSPRNG, SHA-256, HMAC, hex, constant-time compare, UUIDs. */
#ifndef AUTHCGI_CRYPTO_H
#define AUTHCGI_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf with n bytes from the OS CSPRNG. Returns 0 or AC_EINTERNAL. */
int sec_random(void *buf, size_t n);
/* Writes n characters drawn uniformly from [A-Za-z0-9] plus a NUL into out (n+1 bytes). */
int sec_random_alnum(char *out, size_t n);
/* Writes 2n lowercase hex characters plus a NUL into out (2n+1 bytes). */
void sec_hex(const void *bytes, size_t n, char *out);
/* SHA-256 of data into out[32]. */
void sec_sha256(const void *data, size_t len, unsigned char out[32]);
/* Lowercase hex SHA-256 of data into out[65]. */
void sec_sha256_hex(const void *data, size_t len, char out[65]);
/* HMAC-SHA256(key, msg) into out[32]. */
void sec_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		     unsigned char out[32]);
/* Constant-time equality of two n-byte buffers: 1 when equal. */
int sec_equal(const void *a, const void *b, size_t n);
/* Constant-time equality of two NUL-terminated strings (time depends only on lengths). */
int sec_str_equal(const char *a, const char *b);
/* A new version-4 UUID as 36 lowercase characters with hyphens plus NUL. */
int sec_uuid4(char out[37]);
/* "3f1c2a4e-8b7d-..." (36) <-> "3f1c2a4e8b7d..." (32). Return 0, or AC_EINVAL if not canonical. */
int sec_uuid_to_db(const char *uuid36, char out[33]);
int sec_uuid_from_db(const char *hex32, char out[37]);
/* 1 when s is exactly n characters of [0-9a-f]. */
int sec_is_lower_hex(const char *s, size_t n);

#endif
