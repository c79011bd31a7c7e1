/* POST /users/delete-account/ — deletes the logged-in user's account after the password (and second factor) (API.md §12.1). */
#include "acct.h"
#include "cred.h"
#include "endpoint.h"
#include "err.h"
#include "log.h"

#include <stdlib.h>

#define MSG_WRONG_CURRENT "Your current password is incorrect"
#define MSG_BAD_CODE "The two-factor code is not valid"

static const char *const fields[] = { "password", "code" };

/* Steps 5.2 and 5.3 after the commit; a Redis failure is a 503, the thumbnail goes regardless. */
static int after_commit(struct ctx *c, struct cred_resv *res, const char *thumbnail)
{
	long long ended = 0;
	struct rds *r;
	int rc;

	rc = ctx_redis(c, &r);
	if (rc == AC_OK)
		rc = acct_forget(r, c->user, &ended);
	log_security("account deleted: user %s addr %s, %lld sessions ended%s", c->user->id,
		     c->req.client_known ? c->req.client_ip : "unknown", ended,
		     rc == AC_OK ? "" : " (Redis failed: the sessions end at next use)");
	acct_delete_thumbnail(c->cfg, c->user->id, thumbnail);
	if (rc == AC_OK)
		rc = cred_succeeded(c, res);
	return rc;
}

/* One reserved attempt: the password's check, its verdict, the second factor and the deletion. */
static int attempt(struct ctx *c, struct cred_resv *res, void *arg)
{
	struct acct_proof proof = { c->cfg, c->user->password, c->field[1] };
	char *thumbnail = NULL;
	struct db *db;
	int rc, ok = 0;

	(void)arg;
	rc = cred_verify(c, c->user, c->field[0], &ok);
	if (rc != AC_OK)
		return rc;
	if (!ok) {
		cred_failed(c, res, c->user);
		return resp_error(&c->resp, 400, MSG_WRONG_CURRENT);
	}
	rc = ctx_db(c, &db);
	if (rc != AC_OK)
		return rc;
	rc = acct_delete_rows(db, c->user, &proof, &thumbnail);
	if (rc == AC_EINVAL) {
		/* A missing code is no verdict (§1.12 rule 4): both reservations go back. */
		cred_release(c, res);
		return resp_error(&c->resp, 400, MSG_BAD_CODE);
	}
	if (rc == AC_EDENIED) {
		cred_failed(c, res, c->user);
		return resp_error(&c->resp, 400, MSG_BAD_CODE);
	}
	if (rc == AC_ECONFLICT) {
		/* The password changed since it was read: what was verified is not current. */
		cred_failed(c, res, c->user);
		return resp_error(&c->resp, 400, MSG_WRONG_CURRENT);
	}
	if (rc == AC_ENOTFOUND) {
		/* Deleted by a concurrent request: this session is gone with it. */
		rc = cred_succeeded(c, res);
		if (rc != AC_OK)
			return rc;
		ctx_delete_cookie(c);
		ctx_not_logged_in(c);
		return AC_OK;
	}
	if (rc != AC_OK)
		return rc;
	rc = after_commit(c, res, thumbnail);
	free(thumbnail);
	if (rc != AC_OK)
		return rc;
	ctx_delete_cookie(c);
	return resp_message(&c->resp, 200, "Your account has been deleted");
}

static int handle(struct ctx *c)
{
	if (!c->field[0])
		return resp_error(&c->resp, 400, "Please provide your password");
	/* §1.12: the attempt is reserved before the password is hashed. */
	return cred_attempt(c, c->user->email, attempt, NULL);
}

static const struct endpoint delete_account = {
	.name = "delete-account",
	.methods = REQ_POST,
	.body = EP_BODY_JSON,
	.body_cap = 4 * 1024,
	.session = EP_SESSION_REQUIRED,
	.fields = fields,
	.n_fields = 2,
	.handle = handle,
};

int main(void)
{
	return ep_main(&delete_account);
}
