/* Activation and password-reset tokens, and the uidb64 link encoding (API.md §5). */
#ifndef AUTHCGI_TOK_H
#define AUTHCGI_TOK_H

#include <stddef.h>
#include <stdint.h>

#define TOK_MAX 48        /* buffer size for a token: 13 base36 + '-' + 32 hex + NUL fits */
#define TOK_EPOCH 978307200 /* 2001-01-01T00:00:00Z */

enum tok_purpose { TOK_ACTIVATION, TOK_RESET_LINK, TOK_RESET_FORM };

/* The parts of the user's current row that a token covers (§5.3). */
struct tok_user {
	const char *id;          /* 36-character lowercase hyphenated UUID */
	const char *password;    /* the password column exactly as stored */
	const char *last_login;  /* the stored datetime text, or NULL */
	const char *email;       /* the stored address */
	int is_active;
};

/* Makes a token for ts (seconds since TOK_EPOCH) into out[TOK_MAX]. Returns 0 or AC_EINVAL. */
int tok_make(const char *secret, size_t secretlen, enum tok_purpose purpose,
	     const struct tok_user *u, int64_t ts, char out[TOK_MAX]);
/*
 * Checks a token per §5.4 against the user's current row at now_ts (seconds since
 * TOK_EPOCH), with lifetime expiration seconds. Returns 0 when valid, AC_EDENIED otherwise.
 */
int tok_check(const char *secret, size_t secretlen, enum tok_purpose purpose,
	      const struct tok_user *u, const char *token, int64_t now_ts, unsigned expiration);
/* The current time as seconds since TOK_EPOCH. */
int64_t tok_now(void);
/* The ts of a token that passed tok_check (for the e-mail's expiry text); -1 if malformed. */
int64_t tok_ts(const char *token);

/* Lowercase base36 without leading zeros; out needs 14 bytes. */
void tok_base36(uint64_t v, char out[14]);
/* Strict decode per §5.4 rule 2. Returns 0 or AC_EINVAL. */
int tok_base36_decode(const char *s, size_t len, uint64_t *out);

/* uidb64 of a 36-character UUID: 48 URL-safe base64 characters plus NUL. Returns 0 or AC_EINVAL. */
int tok_uidb64_encode(const char *uuid36, char out[49]);
/* Strict decode per §5.1 into a canonical 36-character UUID. Returns 0 or AC_EINVAL. */
int tok_uidb64_decode(const char *s, size_t len, char out[37]);

#endif
