/* Registration, activation and new activation links: the database side of API.md §7.1–§7.3. */
#ifndef AUTHCGI_SIGNUP_H
#define AUTHCGI_SIGNUP_H

#include "cfg.h"
#include "db/db.h"
#include "user.h"

/*
 * 1 when u is a registration waiting for its confirmation: inactive and never logged in. An
 * account that is inactive after it has logged in was deactivated: no activation link, old or
 * new, may turn it on again (only `authctl activate` does).
 */
int signup_pending(const struct user *u);

/*
 * 1 when u is an abandoned registration that a new registration of its address replaces
 * (§7.1): inactive, never logged in, and joined at least TOKEN_EXPIRATION seconds ago.
 */
int signup_abandoned(const struct user *u, const struct cfg *cfg);

/*
 * §7.1 step 8: in one transaction deletes an abandoned registration of the address, then
 * inserts the inactive user (email normalised, names as sent, password_hash already made) with its empty profile and queues the activation e-mail with a
 * new activation token. id gets the new user's UUID. Returns 0; AC_ECONFLICT when the address
 * is taken (the unique index decides races; nothing is kept); AC_EUNAVAIL; other errors.
 */
int signup_create(struct db *db, const struct cfg *cfg, const char *email, const char *first_name,
		  const char *last_name, const char *password_hash, char id[37]);

/*
 * §7.2, after the link's uidb64 decoded to id (§5.1): checks that a user with that id is a
 * pending registration (signup_pending) and that token is a valid activation token for its
 * current row, then activates with UPDATE ... SET is_active = 1 WHERE id = ? AND is_active = 0,
 * all in one transaction. Returns 0 when exactly one row changed; AC_EDENIED for no such user,
 * an active or deactivated account, a bad, expired or used token or a lost race; AC_EUNAVAIL when the database is busy or
 * down; other errors.
 */
int signup_activate(struct db *db, const struct cfg *cfg, const char *id, const char *token);

/*
 * §7.3 step 5: queues a new activation e-mail (new token, ts = now) for the pending
 * registration (signup_pending) with the normalised address email, in one transaction. Earlier
 * tokens are untouched. id gets the user's UUID. Returns 0; AC_ENOTFOUND when no pending
 * registration has the address (unknown, active or deactivated); AC_EUNAVAIL; other errors.
 */
int signup_regenerate(struct db *db, const struct cfg *cfg, const char *email, char id[37]);

#endif
