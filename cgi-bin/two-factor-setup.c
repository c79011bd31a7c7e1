/* POST /users/two-factor/setup/ — a new unconfirmed TOTP secret and its otpauth URI, for the password (API.md §11.3.2). */
#include "cred.h"
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"
#include "twofactor/tfa_ep.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define MSG_ENABLED "Two-factor authentication is already enabled"

static const char *const fields[] = { "password" };

struct setup {
	const char *user_id;
	const struct cfg *cfg;
	char secret[TOTP_B32_LEN + 1];
};

static int setup_tx(struct db *db, void *arg)
{
	struct setup *s = arg;
	time_t now;
	long us;

	tm_now(&now, &us);
	return tfa_setup(db, s->cfg, s->user_id, now, s->secret);
}

static int reply(struct ctx *c, const char *secret)
{
	char *uri = tfa_otpauth_uri(c->cfg->totp_issuer, c->user->email, secret);
	cJSON *o = cJSON_CreateObject();
	int ok = uri && o && cJSON_AddStringToObject(o, "secret", secret) &&
		 cJSON_AddStringToObject(o, "otpauth_uri", uri);

	if (uri) {
		OPENSSL_cleanse(uri, strlen(uri));
		free(uri);
	}
	if (!ok) {
		cJSON_Delete(o);
		return AC_ENOMEM;
	}
	return resp_json(&c->resp, 200, o);
}

static int attempt(struct ctx *c, struct cred_resv *res, void *arg)
{
	struct setup s = { c->user->id, c->cfg, "" };
	struct tfa_status st;
	struct db *db;
	int rc, ok = 0;

	(void)arg;
	rc = ctx_db(c, &db);
	if (rc == AC_OK)
		rc = tfa_status(db, c->user->id, &st);
	if (rc != AC_OK)
		return rc;
	if (st.enabled) {
		cred_release(c, res);
		return resp_error(&c->resp, 409, MSG_ENABLED);
	}
	rc = cred_verify(c, c->user, c->field[0], &ok);
	if (rc != AC_OK)
		return rc;
	if (!ok) {
		cred_failed(c, res, c->user);
		return resp_error(&c->resp, 400, TFA_MSG_WRONG_PASSWORD);
	}
	rc = db_tx(db, setup_tx, &s);
	if (rc == AC_OK)
		rc = cred_succeeded(c, res);
	else if (rc == AC_ECONFLICT) {
		/* confirmed by a concurrent request since the status was read */
		rc = cred_succeeded(c, res);
		return rc == AC_OK ? resp_error(&c->resp, 409, MSG_ENABLED) : rc;
	}
	if (rc == AC_OK) {
		log_security("two-factor setup started: user %s addr %s", c->user->id,
			     c->req.client_known ? c->req.client_ip : "unknown");
		rc = reply(c, s.secret);
	}
	OPENSSL_cleanse(s.secret, sizeof s.secret);
	return rc;
}

static int handle(struct ctx *c)
{
	if (!c->field[0])
		return resp_error(&c->resp, 400, "Please provide your password");
	/* §11.3: 429 right after the field-presence step */
	return cred_attempt(c, c->user->email, attempt, NULL);
}

static const struct endpoint two_factor_setup = {
	.name = "two-factor-setup",
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
	return ep_main(&two_factor_setup);
}
