/* POST /users/password-change/change-user-password/ — sets a new password with a reset form token (API.md §7.8). */
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "reset.h"

#define MSG_BAD_TOKEN "It appears that your password request token has expired or previously used"

static const char *const fields[] = { "token", "password" };

static int handle(struct ctx *c)
{
	char uidb64[RESET_UIDB64_LEN + 1], token[TOK_MAX];
	struct pw_params params;
	struct user *u = NULL;
	struct db *db;
	struct rds *r;
	long long ended = 0;
	int rc;

	if (!c->field[0] || !c->field[1])
		return resp_error(&c->resp, 400, "Please provide token and password");
	if (reset_split(c->field[0], uidb64, token) != AC_OK)
		return resp_error(&c->resp, 400, MSG_BAD_TOKEN);
	rc = ctx_db(c, &db);
	if (rc != AC_OK)
		return rc;
	rc = reset_verify(db, c->cfg, TOK_RESET_FORM, uidb64, token, tok_now(), &u);
	c->user = u; /* freed by the pipeline */
	if (rc == AC_EDENIED)
		return resp_error(&c->resp, 400, MSG_BAD_TOKEN);
	if (rc != AC_OK)
		return rc;
	/* Step 3: Redis must be reachable before anything is written. */
	rc = ctx_redis(c, &r);
	if (rc != AC_OK)
		return rc;
	rc = ctx_password_policy(c, c->field[1], u->email);
	if (rc == AC_EINVAL)
		return AC_OK;
	if (rc != AC_OK)
		return rc;
	ctx_pw_params(c, &params);
	rc = reset_set_password(db, c->cfg, &params, u, c->field[1]);
	if (rc == AC_ECONFLICT)
		return resp_error(&c->resp, 400, MSG_BAD_TOKEN);
	if (rc != AC_OK)
		return rc;
	/* Committed: a Redis failure now only leaves sessions that no longer authenticate (§4.5). */
	rc = reset_end_sessions(r, u, &ended);
	log_security("password reset: user %s addr %s, %lld sessions ended%s", u->id,
		     c->req.client_known ? c->req.client_ip : "unknown", ended,
		     rc == AC_OK ? "" : " (Redis failed: remaining sessions end at next use)");
	return resp_message(&c->resp, 200,
			    "Your password has been changed successfully. Kindly login with the new password");
}

static const struct endpoint change_user_password = {
	.name = "change-user-password",
	.methods = REQ_POST,
	.body = EP_BODY_JSON,
	.body_cap = 16 * 1024,
	.session = EP_SESSION_NONE,
	.fields = fields,
	.n_fields = 2,
	.handle = handle,
};

int main(void)
{
	return ep_main(&change_user_password);
}
