/* Account deletion (API.md §12.1 step 5): the rows in one transaction, then sessions and limit keys, then the thumbnail. */
#include "acct.h"
#include "crypto.h"
#include "email.h"
#include "err.h"
#include "log.h"
#include "mailq.h"
#include "rl.h"
#include "sess.h"
#include "store.h"
#include "twofactor/tfa.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct deletion {
	const struct user *u;
	const struct acct_proof *proof;
	int stale_password;         /* out: the verified hash is no longer stored */
	char *thumbnail;            /* out: the name the deleted row held */
};

/* Runs q for the user when Django's table exists (it may not: the service never creates it). */
static int delete_if_table(struct db *db, const char *table, enum db_q q, const char *hex)
{
	struct db_rows r;
	int rc = db_run(db, Q_TABLE_EXISTS, 1, &table, &r, NULL);
	int exists = rc == AC_OK && r.n > 0;

	db_rows_clear(&r);
	if (rc != AC_OK || !exists)
		return rc;
	return db_run(db, q, 1, &hex, NULL, NULL);
}

/* §12.1 step 4 inside the transaction: the second factor, when enabled, and its code consumed. */
static int second_factor(struct db *db, const struct user *u, const struct acct_proof *proof)
{
	struct tfa_status st;
	int rc = tfa_status(db, u->id, &st);

	if (rc != AC_OK || !st.enabled)
		return rc;
	if (!proof->code)
		return AC_EINVAL;
	rc = tfa_verify(db, proof->cfg, u->id, proof->code, time(NULL), NULL, NULL);
	/* disabled since the status was read: no second factor to prove */
	return rc == AC_ENOTFOUND ? AC_OK : rc;
}

static int deletion_tx(struct db *db, void *arg)
{
	struct deletion *d = arg;
	struct user *row = NULL;
	const char *p[1];
	char hex[33];
	long changes = 0;
	int rc;

	free(d->thumbnail);
	d->thumbnail = NULL;
	if (sec_uuid_to_db(d->u->id, hex) != AC_OK)
		return AC_EINTERNAL;
	rc = user_by_id(db, d->u->id, &row);
	if (rc != AC_OK)
		return rc;
	d->stale_password = d->proof && strcmp(row->password, d->proof->password_hash) != 0;
	if (d->stale_password)
		rc = AC_ECONFLICT;
	if (rc == AC_OK && d->proof)
		rc = second_factor(db, d->u, d->proof);
	if (rc == AC_OK)
		rc = tfa_delete(db, d->u->id, NULL);
	p[0] = hex;
	if (rc == AC_OK)
		rc = db_run(db, Q_PROFILE_DELETE, 1, p, NULL, NULL);
	if (rc == AC_OK)
		rc = delete_if_table(db, "users_user_groups", Q_USER_GROUPS_DELETE, hex);
	if (rc == AC_OK)
		rc = delete_if_table(db, "users_user_user_permissions", Q_USER_PERMS_DELETE, hex);
	p[0] = row->email;
	if (rc == AC_OK)
		rc = db_run(db, Q_MAIL_DELETE_TO, 1, p, NULL, NULL);
	p[0] = hex;
	if (rc == AC_OK)
		rc = db_run(db, Q_USER_DELETE, 1, p, NULL, &changes);
	if (rc == AC_OK && changes != 1)
		rc = AC_ENOTFOUND;
	if (rc == AC_OK) {
		rc = mailq_queue_account_deleted(db, row->email, time(NULL));
		/* AC_EINVAL means a missing code to the caller; an unmailable address is not that */
		if (rc == AC_EINVAL)
			rc = AC_EINTERNAL;
	}
	if (rc == AC_OK && row->thumbnail && *row->thumbnail) {
		d->thumbnail = strdup(row->thumbnail);
		if (!d->thumbnail)
			rc = AC_ENOMEM;
	}
	user_free(row);
	return rc;
}

int acct_delete_rows(struct db *db, const struct user *u, const struct acct_proof *proof,
		     char **thumbnail)
{
	struct deletion d = { u, proof, 0, NULL };
	int rc = db_tx(db, deletion_tx, &d);

	if (rc == AC_ECONFLICT && !d.stale_password) {
		/* a constraint at commit: a table the service does not know still references the user */
		log_error("deleting user %s: a row of another table still references it; nothing was "
			  "deleted", u->id);
		rc = AC_EINTERNAL;
	}
	if (rc != AC_OK) {
		free(d.thumbnail);
		d.thumbnail = NULL;
	}
	*thumbnail = d.thumbnail;
	return rc;
}

int acct_forget(struct rds *r, const struct user *u, long long *ended)
{
	static const char *const email_keyed[] = { RL_LOGIN_ACCOUNT, RL_MAIL_EMAIL };
	char subject[65];
	int rc;

	rc = sess_delete_all(r, u->id, ended);
	email_subject_hash(u->email, subject);
	for (size_t i = 0; rc == AC_OK && i < sizeof email_keyed / sizeof email_keyed[0]; i++)
		rc = rl_clear(r, email_keyed[i], subject);
	return rc;
}

int acct_delete_thumbnail(const struct cfg *cfg, const char *uid, const char *name)
{
	struct store *s = NULL;
	int rc;

	if (!name || !*name)
		return AC_OK;
	rc = store_open(cfg, &s);
	if (rc == AC_OK)
		rc = store_delete(s, name);
	store_free(s);
	if (rc != AC_OK)
		log_error("account %s deleted, but its thumbnail %s could not be deleted from storage "
			  "(%s): the object is orphaned", uid, name,
			  rc == AC_EUNAVAIL ? "storage unavailable" :
			  rc == AC_EINVAL ? "not a users/ name" : "error");
	return rc;
}
