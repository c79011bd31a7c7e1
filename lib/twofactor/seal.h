/* TOTP secrets at rest: AES-256-GCM under a key derived from SECRET_KEY, stored as base64(nonce‖ct‖tag) (API.md §11.1). */
#ifndef AUTHCGI_SEAL_H
#define AUTHCGI_SEAL_H

#include <stddef.h>

#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_KEY_LEN 32

/* key = HMAC-SHA256(SHA-256("auth.totp" ‖ secret_key), "encryption"). Returns 0 or AC_ENOMEM. */
int seal_key(const char *secret_key, size_t secret_len, unsigned char key[SEAL_KEY_LEN]);

/*
 * Encrypts n bytes of plain under key with a fresh random 12-byte nonce. On success *out is a
 * malloc'd NUL-terminated base64 of nonce ‖ ciphertext ‖ tag the caller frees. Returns 0,
 * AC_ENOMEM or AC_EINTERNAL.
 */
int seal_encrypt(const unsigned char key[SEAL_KEY_LEN], const void *plain, size_t n, char **out);
/*
 * Decrypts a value of seal_encrypt into out (cap bytes); *n gets the length. Returns 0;
 * AC_EDENIED when the value is malformed or does not authenticate under key (another
 * SECRET_KEY, or tampered); AC_ENOMEM, AC_EINTERNAL.
 */
int seal_decrypt(const unsigned char key[SEAL_KEY_LEN], const char *sealed, void *out, size_t cap,
		 size_t *n);

#endif
