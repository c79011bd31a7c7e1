/* Account deletion and data export by the user (API.md §12), shared by the CGIs and authctl. */
#ifndef AUTHCGI_ACCT_H
#define AUTHCGI_ACCT_H

#include <cjson/cJSON.h>
#include "cfg.h"
#include "db/db.h"
#include "rds.h"
#include "user.h"

/* What the user proved for a deletion they ask for (authctl proves nothing: NULL). */
struct acct_proof {
	const struct cfg *cfg;
	const char *password_hash;  /* the stored hash the password was verified against */
	const char *code;           /* the two-factor code; NULL when absent */
};

/*
 * §12.1 step 5.1 in one transaction (db_tx). With proof: the stored hash must still be
 * proof->password_hash (else AC_ECONFLICT: a concurrent password change), and when two-factor is
 * enabled proof->code must verify and is consumed (tfa_verify): AC_EINVAL when it is absent,
 * AC_EDENIED when it is not valid; nothing changes then. Deletes the user's two-factor rows
 * (§11.2), profile, users_user_groups and users_user_user_permissions rows (when those tables
 * exist), the mail_outbox rows addressed to the user and the user, and queues the "account
 * deleted" e-mail. On success *thumbnail gets the stored thumbnail name the row held (malloc'd;
 * NULL when none). Returns 0; AC_ENOTFOUND when the user is already gone; AC_EUNAVAIL; others.
 */
int acct_delete_rows(struct db *db, const struct user *u, const struct acct_proof *proof,
		     char **thumbnail);

/*
 * §12.1 step 5.2, after the commit: ends every session of u (§4.6) and deletes the user's
 * rate-limit keys (the e-mail-keyed counters login-account and mail-email). *ended (may be
 * NULL) gets the number of sessions ended. Returns 0 or AC_EUNAVAIL.
 */
int acct_forget(struct rds *r, const struct user *u, long long *ended);

/*
 * §12.1 step 5.3: deletes the stored thumbnail name (NULL or "" is nothing to do), locally
 * or on S3. A failure is logged as an orphaned object and returned (the caller still answers
 * 200). Returns 0, AC_EINVAL (a name outside users/), AC_EUNAVAIL or AC_EINTERNAL.
 */
int acct_delete_thumbnail(const struct cfg *cfg, const char *uid, const char *name);

/*
 * §12.2: the export document {"exported_at", "user", "last_login", "two_factor", "sessions"}
 * for u (its profile row is created first when missing). current_h (may be NULL) marks the
 * caller's session as current. It holds no password hash, secret, code or token. On success
 * *out is a new cJSON object the caller frees. Returns 0, AC_ENOMEM, AC_EUNAVAIL or others.
 */
int acct_export(struct db *db, struct rds *r, const struct cfg *cfg, struct user *u,
		const char *current_h, cJSON **out);

/* The Content-Disposition value of §12.2: attachment; filename="account-<uuid>.json". */
void acct_export_disposition(const struct user *u, char out[80]);

#endif
