/* Password credentials against the login failure counters (API.md §7.4, §7.12, §1.12). */
#include "cred.h"
#include "argon2_gate.h"
#include "email.h"
#include "err.h"
#include "log.h"
#include "pw.h"
#include "rl.h"

#include <string.h>

int cred_check_limits(struct ctx *c, const char *email, long *retry_after)
{
	char subject[65];
	struct rds *r;
	int rc, a, b;

	rc = ctx_redis(c, &r);
	if (rc != AC_OK)
		return rc;
	email_subject_hash(email, subject);
	*retry_after = 0;
	a = rl_check(r, &c->cfg->rl_login_account, RL_LOGIN_ACCOUNT, subject, retry_after);
	b = rl_check(r, &c->cfg->rl_login_addr, RL_LOGIN_ADDR, c->req.client_subject, retry_after);
	if (a == AC_EUNAVAIL || b == AC_EUNAVAIL)
		return AC_EUNAVAIL;
	if (a == AC_ELIMIT || b == AC_ELIMIT) {
		log_security("login rate limit tripped: email %.16s addr %s", subject,
			     c->req.client_known ? c->req.client_ip : "unknown");
		return AC_ELIMIT;
	}
	return a != AC_OK ? a : b;
}

int cred_verify(struct ctx *c, const struct user *u, const char *password, int *ok)
{
	struct pw_params params;
	enum pw_result result = PW_NOMATCH;
	size_t len = strlen(password);
	struct a2gate gate;
	int rc;

	*ok = 0;
	ctx_pw_params(c, &params);
	rc = a2gate_enter(&gate, c->cfg);
	if (rc != AC_OK)
		return rc;
	if (!u)
		rc = pw_dummy_verify(&params, password, len);
	else
		rc = pw_verify(&params, u->password, password, len, &result);
	a2gate_leave(&gate);
	if (rc != AC_OK || !u)
		return rc;
	if (result == PW_UNSUPPORTED)
		log_security("user %s has an unsupported or out-of-bounds password hash", u->id);
	*ok = result == PW_MATCH && u->is_active;
	return AC_OK;
}

int cred_hash(struct ctx *c, const char *password, char **out)
{
	struct pw_params params;
	struct a2gate gate;
	int rc;

	*out = NULL;
	ctx_pw_params(c, &params);
	rc = a2gate_enter(&gate, c->cfg);
	if (rc != AC_OK)
		return rc;
	rc = pw_hash(&params, password, strlen(password), out);
	a2gate_leave(&gate);
	return rc;
}

int cred_failed(struct ctx *c, const char *email, const struct user *u)
{
	char subject[65];
	struct rds *r;
	int rc, a, b;

	email_subject_hash(email, subject);
	log_security("login failed: %s%s email %.16s addr %s", u ? "user " : "unknown account",
		     u ? u->id : "", subject, c->req.client_known ? c->req.client_ip : "unknown");
	rc = ctx_redis(c, &r);
	if (rc != AC_OK)
		return rc;
	a = rl_fail(r, &c->cfg->rl_login_account, RL_LOGIN_ACCOUNT, subject);
	b = rl_fail(r, &c->cfg->rl_login_addr, RL_LOGIN_ADDR, c->req.client_subject);
	return a != AC_OK ? a : b;
}

int cred_succeeded(struct ctx *c, const char *email)
{
	char subject[65];
	struct rds *r;
	int rc;

	email_subject_hash(email, subject);
	rc = ctx_redis(c, &r);
	if (rc != AC_OK)
		return rc;
	return rl_clear(r, RL_LOGIN_ACCOUNT, subject);
}
