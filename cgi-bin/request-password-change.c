/* POST /users/password-change/request-password-change/ — e-mails a password reset link (API.md §7.6). */
#include "email.h"
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "quota.h"
#include "reset.h"
#include "rl.h"

static const char *const fields[] = { "email" };

static int handle(struct ctx *c)
{
	char email[EMAIL_MAX + 1], id[37], subject[65];
	struct db *db;
	int rc;

	if (!c->field[0])
		return resp_error(&c->resp, 400, "Email field is empty");
	if (email_normalize(c->field[0], email) != AC_OK)
		return resp_error(&c->resp, 400, "Enter a valid email address.");
	rc = ctx_hit_limits(c, &c->cfg->rl_mail_addr, RL_MAIL_ADDR, c->field[0]);
	if (rc == AC_ELIMIT)
		return AC_OK;
	if (rc != AC_OK)
		return rc;
	rc = ctx_db(c, &db);
	if (rc != AC_OK)
		return rc;
	rc = reset_request(db, c->cfg, email, id);
	if (rc == AC_ENOTFOUND) {
		email_subject_hash(email, subject);
		log_security("password reset requested for no active account: email %.16s addr %s",
			     subject, c->req.client_known ? c->req.client_ip : "unknown");
		return ctx_no_active_user(c);
	}
	if (rc != AC_OK)
		return rc;
	log_security("password reset requested: user %s addr %s", id,
		     c->req.client_known ? c->req.client_ip : "unknown");
	return resp_message(&c->resp, 200,
			    "Password reset instructions have been sent to your email address. "
			    "Kindly take action before its expiration");
}

static const struct endpoint request_password_change = {
	.name = "request-password-change",
	.methods = REQ_POST,
	.body = EP_BODY_JSON,
	.body_cap = 4 * 1024,
	.session = EP_SESSION_NONE,
	.fields = fields,
	.n_fields = 1,
	.handle = handle,
};

int main(void)
{
	return ep_main(&request_password_change);
}
