/* Password credentials against the login failure counters (API.md §7.4, §7.12, §1.12). */
#ifndef AUTHCGI_CRED_H
#define AUTHCGI_CRED_H

#include "endpoint.h"

#define CRED_TOO_MANY "Too many failed login attempts. Please try again later"

/*
 * Checks the login-account (keyed by email's subject hash) and login-addr counters before any
 * hashing. AC_OK; AC_ELIMIT with *retry_after set (the 429 is the caller's); AC_EUNAVAIL.
 */
int cred_check_limits(struct ctx *c, const char *email, long *retry_after);
/*
 * Verifies password against u's stored hash, or against a dummy hash when u is NULL, so
 * both cost the same. *ok is 1 only for a match on an active account. Unsupported and
 * out-of-bounds stored hashes are logged. The hash runs inside the Argon2 concurrency cap
 * (argon2_gate.h). Returns 0, AC_EUNAVAIL (no free slot, or no memory) or AC_EINTERNAL.
 */
int cred_verify(struct ctx *c, const struct user *u, const char *password, int *ok);
/*
 * Hashes password with the configured parameters (pw_hash) inside the Argon2 concurrency cap
 * (argon2_gate.h). On success *out is a malloc'd stored hash the caller frees. Returns 0,
 * AC_EUNAVAIL (no free slot, or no memory for Argon2), AC_EINVAL or AC_EINTERNAL.
 */
int cred_hash(struct ctx *c, const char *password, char **out);
/* Increments both failure counters after a failed attempt and logs it. */
int cred_failed(struct ctx *c, const char *email, const struct user *u);
/* Deletes the login-account counter after a success. */
int cred_succeeded(struct ctx *c, const char *email);

#endif
