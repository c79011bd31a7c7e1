/* POST /users/regenerate-token/ — queues a new activation e-mail for an inactive account (API.md §7.3). */
#include "email.h"
#include "endpoint.h"
#include "err.h"
#include "quota.h"
#include "log.h"
#include "rl.h"
#include "signup.h"

#define MSG_NO_USER                                                                              \
	"A user with this e-mail address does not exist. If you registered with this email, ensure " \
	"you haven't activated it yet. You can check by logging in"
#define MSG_SENT                                                                             \
	"Account activation link has been sent to your email address. Kindly take action before " \
	"its expiration"

static const char *const fields[] = { "email" };

static int handle(struct ctx *c)
{
	char email[EMAIL_MAX + 1], id[37];
	struct db *db;
	int rc;

	if (!c->field[0])
		return resp_error(&c->resp, 400, "Email field is empty");
	if (email_normalize(c->field[0], email) != AC_OK)
		return resp_error(&c->resp, 400, "Enter a valid email address.");
	rc = ctx_hit_limits(c, &c->cfg->rl_mail_addr, RL_MAIL_ADDR, email);
	if (rc != AC_OK)
		return rc == AC_ELIMIT ? AC_OK : rc;
	rc = ctx_db(c, &db);
	if (rc != AC_OK)
		return rc;
	rc = signup_regenerate(db, c->cfg, email, id);
	if (rc == AC_ENOTFOUND)
		return resp_error(&c->resp, 404, MSG_NO_USER);
	if (rc != AC_OK)
		return rc;
	log_info("regenerate-token: user %s addr %s", id,
		 c->req.client_known ? c->req.client_ip : "unknown");
	return resp_message(&c->resp, 200, MSG_SENT);
}

static const struct endpoint regenerate_token = {
	.name = "regenerate-token",
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
	return ep_main(&regenerate_token);
}
