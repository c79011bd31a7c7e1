/* Password reset and change: reset tokens, the conditional password update, ending sessions (API.md §5, §7.6–§7.8, §7.12). */
#ifndef AUTHCGI_RESET_H
#define AUTHCGI_RESET_H

#include <stddef.h>
#include <stdint.h>
#include "cfg.h"
#include "db/db.h"
#include "endpoint.h"
#include "pw.h"
#include "rds.h"
#include "tok.h"
#include "user.h"

#define RESET_FIELD_MAX 128   /* §9: the token field of change-user-password */
#define RESET_UIDB64_LEN 48

/* The parts of u a token covers (pointers into u, valid while u lives). */
void reset_tok_user(const struct user *u, struct tok_user *t);

/*
 * Splits the change-user-password field "<uidb64>:<token>" (§7.8 step 2): at most 128 bytes,
 * exactly one ':', a 48-character uidb64 and a token of at most TOK_MAX - 1 characters.
 * Only the shape is checked here. Returns 0 or AC_EINVAL.
 */
int reset_split(const char *field, char uidb64[RESET_UIDB64_LEN + 1], char token[TOK_MAX]);

/*
 * Finds the active user uidb64 names (§5.1) and checks token for purpose against that
 * user's current row at now_ts (§5.4). Returns 0 with *out (free with user_free); AC_EDENIED
 * for any invalid part (bad uidb64, no such user, inactive, bad or expired token); AC_EUNAVAIL
 * or AC_EINTERNAL from the database.
 */
int reset_verify(struct db *db, const struct cfg *cfg, enum tok_purpose purpose, const char *uidb64,
		 const char *token, int64_t now_ts, struct user **out);

/*
 * §7.7: the form token for u at now_ts, and the frontend path of the redirect
 * "/auth/password/change-password?token=<uidb64>:<form token>" written into path (pathlen).
 * Returns 0 or AC_EINVAL.
 */
int reset_form_path(const struct cfg *cfg, const struct user *u, int64_t now_ts, char *path,
		    size_t pathlen);

/*
 * §7.6 step 5: in one transaction, looks up the active account with the normalised address
 * email and queues the password reset e-mail with a new reset-link token (ts = now).
 * id gets the user's UUID. Returns 0; AC_ENOTFOUND when no active account has the address;
 * AC_EUNAVAIL; other errors.
 */
int reset_request(struct db *db, const struct cfg *cfg, const char *email, char id[37]);

/*
 * §7.8 / §7.12 step 5: hashes password with params, then in one transaction sets it
 * conditionally on u->password (the hash the token or current password was checked against)
 * and queues the "password changed" e-mail. On success u->password holds the new hash.
 * Returns 0; AC_ECONFLICT when the row no longer holds the old hash (nothing is kept);
 * AC_EUNAVAIL (database busy, or Argon2 out of memory); other errors.
 */
int reset_set_password(struct db *db, const struct cfg *cfg, const struct pw_params *params,
		       struct user *u, const char *password);

/*
 * After the commit: ends every session of u (§4.6) and deletes its login-account counter
 * (keyed by the stored e-mail). *ended (may be NULL) gets the number of sessions ended.
 * Returns 0 or AC_EUNAVAIL.
 */
int reset_end_sessions(struct rds *r, const struct user *u, long long *ended);

/*
 * §2.8 for a password being set, with similarity against email. Returns 0 when acceptable;
 * AC_EINVAL after answering 400 with the reason; AC_EINTERNAL.
 */
int ctx_password_policy(struct ctx *c, const char *password, const char *email);

/* §7.6 step 4: the 404 whose text names F/auth/regenerate-token. */
int ctx_no_active_user(struct ctx *c);

#endif
