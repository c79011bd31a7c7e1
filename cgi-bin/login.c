/* POST /users/login/ — e-mail, password and a second factor when enabled in; user object and a new session out (API.md §7.4, §11.4). */
#include "cred.h"
#include "email.h"
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "pw.h"
#include "timefmt.h"
#include "twofactor/tfa.h"
#include "twofactor/tfa_mail.h"

#include <stdlib.h>
#include <string.h>

static const char *const fields[] = { "email", "password", "code" };

/* The second factor of §11.4 for u, checked in the transaction that records the login. */
struct second {
	struct ctx *c;
	const struct user *u;
	int recovery;
};

/* The code verifies and is consumed; a recovery code queues its e-mail, all with last_login. */
static int second_factor_tx(struct db *db, void *arg)
{
	struct second *s = arg;
	enum tfa_kind kind = 0;
	long left = 0, us;
	time_t now;
	int rc;

	tm_now(&now, &us);
	s->recovery = 0;
	rc = tfa_verify(db, s->c->cfg, s->u->id, s->c->field[2], now, &kind, &left);
	if (rc == AC_ENOTFOUND)
		return AC_OK;   /* turned off since the status was read: the code is ignored */
	if (rc == AC_OK && kind == TFA_KIND_RECOVERY) {
		s->recovery = 1;
		rc = tfa_mail_recovery_used(db, s->c->cfg, s->u->email, now, left);
	}
	return rc;
}

/* Ends the session the request's cookie names, if it is live (whichever user it belongs to). */
static int end_previous_session(struct ctx *c, struct rds *r)
{
	struct session old;
	char h[65];
	int rc;

	if (sess_parse_cookie(c->req.cookie, c->token) != SESS_COOKIE_TOKEN)
		return AC_OK;
	sess_token_hash(c->token, h);
	rc = sess_load(r, h, &old);
	if (rc == AC_ENOTFOUND)
		return AC_OK;
	return rc == AC_OK ? sess_delete(r, &old) : rc;
}

/*
 * Step 4 of §7.4: bookkeeping and the new session. With two_factor, nothing of it happens
 * before the code verifies (§11.4): the attempt is settled and the hash upgraded only with it.
 */
static int succeed(struct ctx *c, struct cred_resv *res, struct user *u, int two_factor)
{
	struct second sf = { c, u, 0 };
	struct pw_params params;
	char *new_hash = NULL, verified_fp[65], new_fp[65];
	long long ended = 0;
	struct db *db;
	struct rds *r;
	int rc, upgraded = 0;

	if (!two_factor) {
		rc = cred_succeeded(c, res);
		if (rc != AC_OK)
			return rc;
	}
	/* The fingerprint of the hash just verified, before an upgrade replaces u->password. */
	sess_fingerprint(c->cfg, u->password, verified_fp);
	ctx_pw_params(c, &params);
	if (pw_needs_upgrade(&params, u->password)) {
		rc = cred_hash(c, c->field[1], &new_hash);
		if (rc != AC_OK)
			return rc;
	}
	rc = ctx_db(c, &db);
	if (rc == AC_OK && two_factor)
		rc = user_record_login_with(db, u, new_hash, &upgraded, second_factor_tx, &sf);
	else if (rc == AC_OK)
		rc = user_record_login(db, u, new_hash, &upgraded);
	free(new_hash);
	if (two_factor && rc == AC_EDENIED) {
		log_security("login failed: two-factor code not valid for user %s addr %s", u->id,
			     c->req.client_known ? c->req.client_ip : "unknown");
		cred_failed(c, res, u);
		return resp_error(&c->resp, 400, "The two-factor code is not valid");
	}
	if (two_factor && rc == AC_OK)
		rc = cred_succeeded(c, res);
	if (rc == AC_OK && !u->has_profile)
		rc = user_ensure_profile(db, u);
	if (rc == AC_OK)
		rc = ctx_redis(c, &r);
	if (rc == AC_OK)
		rc = end_previous_session(c, r);
	/* §4.6: only the sessions of the verified hash follow the upgrade; the rest end. */
	if (rc == AC_OK && upgraded) {
		sess_fingerprint(c->cfg, u->password, new_fp);
		rc = sess_refingerprint(r, u->id, verified_fp, new_fp, &ended);
	}
	if (rc == AC_OK)
		rc = ctx_start_session(c, u);
	if (rc != AC_OK)
		return rc;
	log_security("login: user %s session %.8s addr %s%s%s", u->id, c->sess.h,
		     c->req.client_known ? c->req.client_ip : "unknown",
		     upgraded ? " (password hash upgraded)" : "",
		     !two_factor ? "" : sf.recovery ? " (with a recovery code)" : " (with a TOTP)");
	if (ended)
		log_security("user %s: %lld session(s) of an earlier password ended at the hash upgrade",
			     u->id, ended);
	return ctx_reply_user(c, u);
}

/* §11.4: the password verified, the code is missing: no verdict, so no count and no cookie. */
static int code_required(struct ctx *c, struct cred_resv *res, const struct user *u)
{
	cJSON *o = cJSON_CreateObject();

	cred_release(c, res);
	log_security("login: two-factor code required for user %s addr %s", u->id,
		     c->req.client_known ? c->req.client_ip : "unknown");
	if (!o || !cJSON_AddStringToObject(o, "error", "Two-factor code required") ||
	    !cJSON_AddTrueToObject(o, "two_factor_required")) {
		cJSON_Delete(o);
		return AC_ENOMEM;
	}
	return resp_json(&c->resp, 401, o);
}

/* One reserved attempt: the lookup, the one password check, and its verdict. */
static int attempt(struct ctx *c, struct cred_resv *res, void *arg)
{
	struct user **out = arg;
	const char *email = c->field[0], *password = c->field[1];
	char trimmed[EMAIL_MAX + 1];
	struct tfa_status st;
	struct user *u = NULL;
	struct db *db;
	int rc, ok = 0;

	rc = ctx_db(c, &db);
	if (rc != AC_OK)
		return rc;
	/* An address that cannot be trimmed into a valid length simply matches nothing. */
	if (email_trim(email, trimmed, sizeof trimmed) == AC_OK) {
		rc = user_by_email(db, trimmed, &u);
		if (rc != AC_OK && rc != AC_ENOTFOUND)
			return rc;
	}
	*out = u;
	rc = cred_verify(c, u, password, &ok);
	if (rc != AC_OK)
		return rc;
	if (!ok) {
		cred_failed(c, res, u);
		return resp_error(&c->resp, 400, "Email and password do not match");
	}
	rc = tfa_status(db, u->id, &st);
	if (rc != AC_OK)
		return rc;
	if (st.enabled && !c->field[2])
		return code_required(c, res, u);
	return succeed(c, res, u, st.enabled);
}

static int handle(struct ctx *c)
{
	struct user *u = NULL;
	int rc;

	if (!c->field[0] || !c->field[1])
		return resp_error(&c->resp, 400, "Please provide email and password");
	/* §1.12: the attempt is reserved before anything is hashed. */
	rc = cred_attempt(c, c->field[0], attempt, &u);
	c->user = u;
	return rc;
}

static const struct endpoint login = {
	.name = "login",
	.methods = REQ_POST,
	.body = EP_BODY_JSON,
	.body_cap = 16 * 1024,
	.session = EP_SESSION_READ,
	.fields = fields,
	.n_fields = 3,
	.handle = handle,
};

int main(void)
{
	return ep_main(&login);
}
