/* What the two-factor endpoints share (API.md §11.3): messages, the otpauth URI, the recovery-code reply, the password-and-code steps. */
#ifndef AUTHCGI_TFA_EP_H
#define AUTHCGI_TFA_EP_H

#include "endpoint.h"
#include "tfa.h"

#define TFA_MSG_WRONG_PASSWORD "Your current password is incorrect"
#define TFA_MSG_CODE_INVALID "The code is not valid"
#define TFA_MSG_NOT_ENABLED "Two-factor authentication is not enabled"

/*
 * otpauth://totp/<issuer>:<email>?secret=<secret>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
 * with issuer and email percent-encoded (every byte outside A-Z a-z 0-9 - . _ ~ as %XX, uppercase
 * hex). Returns a malloc'd string the caller frees, or NULL when out of memory.
 */
char *tfa_otpauth_uri(const char *issuer, const char *email, const char *secret);

/* 200 {"message": msg, "recovery_codes": [...]}. 0 or AC_ENOMEM. */
int tfa_reply_codes(struct ctx *c, const char *msg, char codes[RECOVERY_COUNT][RECOVERY_SHOWN]);

/*
 * The steps of §11.3.4 and §11.3.5 after the fields are present, for the logged-in user, with
 * field[0] the password and field[1] the code: the reservation of §1.12 (429), 409 when
 * two-factor is not enabled, 400 on a wrong password, then one transaction that verifies and
 * consumes the code (400 when it is not valid) and runs action(db, c, arg). On commit the
 * reservation is settled as a success and reply(c, arg) answers. Wrong passwords and codes keep
 * their reservation (a failed login); 409s and errors give it back. Returns 0 or an ac_err.
 */
int tfa_password_and_code(struct ctx *c, int (*action)(struct db *db, struct ctx *c, void *arg),
			  int (*reply)(struct ctx *c, void *arg), void *arg);

#endif
