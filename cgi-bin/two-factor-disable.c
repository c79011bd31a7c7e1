/* POST /users/two-factor/disable/ — password and a code turn two-factor off (API.md §11.3.4). */
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"
#include "twofactor/tfa_ep.h"
#include "twofactor/tfa_mail.h"

static const char *const fields[] = { "password", "code" };

/* In the transaction that consumed the code: the rows go, the e-mail is queued. */
static int disable(struct db *db, struct ctx *c, void *arg)
{
	time_t now;
	long us;
	int rc;

	(void)arg;
	tm_now(&now, &us);
	rc = tfa_delete(db, c->user->id, NULL);
	if (rc == AC_OK)
		rc = tfa_mail_disabled(db, c->cfg, c->user->email, now);
	return rc;
}

static int reply(struct ctx *c, void *arg)
{
	(void)arg;
	log_security("two-factor disabled: user %s addr %s", c->user->id,
		     c->req.client_known ? c->req.client_ip : "unknown");
	return resp_message(&c->resp, 200, "Two-factor authentication is disabled");
}

static int handle(struct ctx *c)
{
	if (!c->field[0] || !c->field[1])
		return resp_error(&c->resp, 400, "Please provide your password and a code");
	return tfa_password_and_code(c, disable, reply, NULL);
}

static const struct endpoint two_factor_disable = {
	.name = "two-factor-disable",
	.methods = REQ_POST,
	.body = EP_BODY_JSON,
	.body_cap = 4096,
	.session = EP_SESSION_REQUIRED,
	.fields = fields,
	.n_fields = 2,
	.handle = handle,
};

int main(void)
{
	return ep_main(&two_factor_disable);
}
