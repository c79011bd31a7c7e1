/* POST /users/two-factor/recovery-codes/ — password and a code replace the recovery codes (API.md §11.3.5). */
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "twofactor/tfa_ep.h"

#include <openssl/crypto.h>

static const char *const fields[] = { "password", "code" };

typedef char code_set[RECOVERY_COUNT][RECOVERY_SHOWN];

/* In the transaction that consumed the code: the old set stops working. */
static int renew(struct db *db, struct ctx *c, void *arg)
{
	return tfa_new_codes(db, c->user->id, *(code_set *)arg);
}

static int reply(struct ctx *c, void *arg)
{
	log_security("two-factor recovery codes renewed: user %s addr %s", c->user->id,
		     c->req.client_known ? c->req.client_ip : "unknown");
	return tfa_reply_codes(c, "New recovery codes have been generated", *(code_set *)arg);
}

static int handle(struct ctx *c)
{
	code_set codes;
	int rc;

	if (!c->field[0] || !c->field[1])
		return resp_error(&c->resp, 400, "Please provide your password and a code");
	rc = tfa_password_and_code(c, renew, reply, &codes);
	OPENSSL_cleanse(codes, sizeof codes);
	return rc;
}

static const struct endpoint two_factor_recovery_codes = {
	.name = "two-factor-recovery-codes",
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
	return ep_main(&two_factor_recovery_codes);
}
