/* Password credentials against the login failure counters (API.md §7.4, §7.12, §1.12). */
#ifndef AUTHCGI_CRED_H
#define AUTHCGI_CRED_H

#include "endpoint.h"

#define CRED_TOO_MANY "Too many failed login attempts. Please try again later"

/*
 * A reserved login attempt (§1.12): held[0] is the login-account counter (keyed by account,
 * the subject hash of the submitted e-mail), held[1] the login-addr counter.
 */
struct cred_resv {
	char account[65];
	int held[2];
};

/*
 * One password attempt under a reservation (§1.12): before anything is hashed, one script
 * INCRs login-account and login-addr; when either is over its COUNT the answer is the 429 of
 * CRED_TOO_MANY and nothing is held. Otherwise attempt(c, res, arg) runs and settles res with
 * cred_failed or cred_succeeded when it reaches a verdict; when it returns an error (no
 * verdict) both reservations are given back. Returns what attempt returned, or AC_EUNAVAIL.
 */
int cred_attempt(struct ctx *c, const char *email,
		 int (*attempt)(struct ctx *c, struct cred_resv *res, void *arg), void *arg);
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
/* A failed attempt: logged; its reservation stays, as its count. No Redis command. */
void cred_failed(struct ctx *c, struct cred_resv *res, const struct user *u);
/*
 * An attempt that ends without a verdict (§1.12 rule 4: the 401 of §11.4, a 409 of §11.3):
 * both reservations are given back, best effort. Nothing once res was settled.
 */
void cred_release(struct ctx *c, struct cred_resv *res);
/* A success: DEL the login-account counter, give back the login-addr reservation. */
int cred_succeeded(struct ctx *c, struct cred_resv *res);

#endif
