/* POST /users/two-factor/confirm/ — the first code turns two-factor on, returns recovery codes, ends other sessions (API.md §11.3.3). */
#include "cred.h"
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"
#include "twofactor/tfa_ep.h"
#include "twofactor/tfa_mail.h"

#include <openssl/crypto.h>

#define MSG_NO_SETUP "Start two-factor setup first"

static const char *const fields[] = { "code" };

struct confirm {
	struct ctx *c;
	char codes[RECOVERY_COUNT][RECOVERY_SHOWN];
};

/* Confirmation, its step, the recovery codes and the e-mail: one transaction. */
static int confirm_tx(struct db *db, void *arg)
{
	struct confirm *k = arg;
	struct ctx *c = k->c;
	time_t now;
	long us;
	int rc;

	tm_now(&now, &us);
	rc = tfa_confirm(db, c->cfg, c->user->id, c->field[0], now, k->codes);
	if (rc == AC_OK)
		rc = tfa_mail_enabled(db, c->cfg, c->user->email, now);
	return rc;
}

static int attempt(struct ctx *c, struct cred_resv *res, void *arg)
{
	struct confirm k = { .c = c };
	struct tfa_status st;
	long long ended = 0;
	struct db *db;
	struct rds *r;
	int rc;

	(void)arg;
	rc = ctx_db(c, &db);
	if (rc == AC_OK)
		rc = tfa_status(db, c->user->id, &st);
	if (rc != AC_OK)
		return rc;
	if (st.pending)
		rc = db_tx(db, confirm_tx, &k);
	if (!st.pending || rc == AC_ENOTFOUND) {
		cred_release(c, res);
		return resp_error(&c->resp, 409, MSG_NO_SETUP);
	}
	if (rc == AC_EDENIED) {
		log_security("two-factor code not valid: user %s addr %s (confirm)", c->user->id,
			     c->req.client_known ? c->req.client_ip : "unknown");
		cred_failed(c, res, c->user);
		return resp_error(&c->resp, 400, TFA_MSG_CODE_INVALID);
	}
	if (rc == AC_OK)
		rc = cred_succeeded(c, res);
	/* then every other session of the user ends */
	if (rc == AC_OK)
		rc = ctx_redis(c, &r);
	if (rc == AC_OK)
		rc = sess_delete_others(r, c->user->id, c->sess.h, &ended);
	if (rc == AC_OK) {
		log_security("two-factor enabled: user %s session %.8s addr %s, %lld other sessions ended",
			     c->user->id, c->sess.h,
			     c->req.client_known ? c->req.client_ip : "unknown", ended);
		rc = tfa_reply_codes(c, "Two-factor authentication is enabled", k.codes);
	}
	OPENSSL_cleanse(k.codes, sizeof k.codes);
	return rc;
}

static int handle(struct ctx *c)
{
	if (!c->field[0])
		return resp_error(&c->resp, 400, "Please provide the code");
	return cred_attempt(c, c->user->email, attempt, NULL);
}

static const struct endpoint two_factor_confirm = {
	.name = "two-factor-confirm",
	.methods = REQ_POST,
	.body = EP_BODY_JSON,
	.body_cap = 4096,
	.session = EP_SESSION_REQUIRED,
	.fields = fields,
	.n_fields = 1,
	.handle = handle,
};

int main(void)
{
	return ep_main(&two_factor_confirm);
}
