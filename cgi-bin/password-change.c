/* POST /users/password-change/ — changes the password of the logged-in user and renews the session (API.md §7.12). */
#include "cred.h"
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "reset.h"

#include <string.h>

#define MSG_WRONG_CURRENT "Your current password is incorrect"

static const char *const fields[] = { "current_password", "new_password" };

/* Step 5 after the commit: every session ends, the caller gets a new one. */
static int renew_sessions(struct ctx *c)
{
	char old_h[65];
	long long ended = 0;
	struct rds *r;
	int rc;

	memcpy(old_h, c->sess.h, sizeof old_h);
	rc = ctx_redis(c, &r);
	if (rc == AC_OK)
		rc = reset_end_sessions(r, c->user, &ended);
	if (rc == AC_OK)
		rc = ctx_start_session(c, c->user);
	log_security("password changed: user %s session %.8s addr %s, %lld sessions ended%s",
		     c->user->id, old_h, c->req.client_known ? c->req.client_ip : "unknown", ended,
		     rc == AC_OK ? "" : " (Redis failed: remaining sessions end at next use)");
	return rc;
}

/* One reserved attempt: the current password's check, its verdict, and the change. */
static int attempt(struct ctx *c, struct cred_resv *res, void *arg)
{
	const char *current = c->field[0], *new_password = c->field[1];
	struct pw_params params;
	struct db *db;
	int rc, ok = 0;

	(void)arg;
	rc = cred_verify(c, c->user, current, &ok);
	if (rc != AC_OK)
		return rc;
	if (!ok) {
		cred_failed(c, res, c->user);
		return resp_error(&c->resp, 400, MSG_WRONG_CURRENT);
	}
	rc = ctx_db(c, &db);
	if (rc != AC_OK)
		return rc;
	ctx_pw_params(c, &params);
	rc = reset_set_password(db, c->cfg, &params, c->user, new_password);
	if (rc == AC_ECONFLICT) {
		/* The password changed since it was read: what was verified is not current. */
		cred_failed(c, res, c->user);
		return resp_error(&c->resp, 400, MSG_WRONG_CURRENT);
	}
	if (rc != AC_OK)
		return rc;
	rc = renew_sessions(c);
	if (rc == AC_OK)
		rc = cred_succeeded(c, res);
	if (rc != AC_OK)
		return rc;
	return resp_message(&c->resp, 200, "Your password has been changed successfully");
}

static int handle(struct ctx *c)
{
	int rc;

	if (!c->field[0] || !c->field[1])
		return resp_error(&c->resp, 400, "Please provide current_password and new_password");
	rc = ctx_password_policy(c, c->field[1], c->user->email);
	if (rc == AC_EINVAL)
		return AC_OK;
	if (rc != AC_OK)
		return rc;
	/* §1.12: the attempt is reserved before the current password is hashed. */
	return cred_attempt(c, c->user->email, attempt, NULL);
}

static const struct endpoint password_change = {
	.name = "password-change",
	.methods = REQ_POST,
	.body = EP_BODY_JSON,
	.body_cap = 32 * 1024,
	.session = EP_SESSION_REQUIRED,
	.fields = fields,
	.n_fields = 2,
	.handle = handle,
};

int main(void)
{
	return ep_main(&password_change);
}
