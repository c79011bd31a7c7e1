/* `authctl two-factor-reset EMAIL` (API.md §11.4): removes a user's second factor and ends their sessions. */
#include "tfa_admin.h"
#include "email.h"
#include "err.h"
#include "log.h"
#include "rds.h"
#include "sess.h"
#include "tfa.h"
#include "user.h"

struct reset {
	const char *id;
	int deleted;
};

static int reset_tx(struct db *db, void *arg)
{
	struct reset *r = arg;

	return tfa_delete(db, r->id, &r->deleted);
}

int tfa_admin_reset(const struct cfg *cfg, const char *address, FILE *out)
{
	char email[EMAIL_MAX + 1];
	struct user *u = NULL;
	struct db *db = NULL;
	struct rds *r = NULL;
	struct reset x = { NULL, 0 };
	long long ended = 0;
	int rc;

	if (email_trim(address, email, sizeof email) != AC_OK)
		return AC_ENOTFOUND;
	rc = db_open(cfg, &db);
	if (rc == AC_OK)
		rc = user_by_email(db, email, &u);
	if (rc == AC_OK) {
		x.id = u->id;
		rc = db_tx(db, reset_tx, &x);
	}
	db_close(db);
	if (rc == AC_OK)
		rc = rds_connect(cfg, &r);
	if (rc == AC_OK)
		rc = sess_delete_all(r, u->id, &ended);
	rds_close(r);
	if (rc == AC_OK) {
		log_security("two-factor reset by authctl: user %s, %s, %lld session(s) ended", u->id,
			     x.deleted ? "second factor removed" : "had no second factor", ended);
		fprintf(out, "two-factor authentication %s for %s; ended %lld session(s)\n",
			x.deleted ? "removed" : "was not set up", u->email, ended);
	}
	user_free(u);
	return rc;
}
