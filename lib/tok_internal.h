/* Internals of tok.c exposed for the unit tests only (API.md §5.3 key, message and mac). */
#ifndef AUTHCGI_TOK_INTERNAL_H
#define AUTHCGI_TOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tok.h"

/* Room for the HMAC message; a row whose parts do not fit is refused (no real row comes close). */
#define TOK_MSG_MAX 4096

/* key = SHA-256(key_salt ‖ secret) for purpose. Returns 0 or AC_EINVAL (unknown purpose, secret too long). */
int tok_key(const char *secret, size_t secretlen, enum tok_purpose purpose, unsigned char key[32]);
/*
 * msg = id ‖ password ‖ login ‖ ts ‖ email ‖ active into out (outlen bytes, NUL-terminated),
 * its length in *msglen. Returns 0 or AC_EINVAL (bad id, NULL field, unparsable last_login,
 * does not fit).
 */
int tok_msg(const struct tok_user *u, uint64_t ts, char *out, size_t outlen, size_t *msglen);
/* The 64 lowercase hex characters of HMAC-SHA256(key, msg) into mac[65]. Returns 0 or AC_EINVAL. */
int tok_mac(const char *secret, size_t secretlen, enum tok_purpose purpose,
	    const struct tok_user *u, uint64_t ts, char mac[65]);

#endif
