/* Password credentials against the login failure counters (API.md §7.4, §7.12, §1.12). */
#include "cred.h"
#include "argon2_gate.h"
#include "email.h"
#include "err.h"
#include "log.h"
#include "pw.h"
#include "rl.h"

#include <string.h>

/* The two failure counters of §1.12 for res. */
static void slots_of(const struct ctx *c, const struct cred_resv *res, struct rl_slot slot[2])
{
	slot[0] = (struct rl_slot){ &c->cfg->rl_login_account, RL_LOGIN_ACCOUNT, res->account };
	slot[1] = (struct rl_slot){ &c->cfg->rl_login_addr, RL_LOGIN_ADDR, c->req.client_subject };
}

/* Reserves the attempt; AC_ELIMIT with *retry_after set holds nothing. */
static int cred_reserve(struct ctx *c, const char *email, struct cred_resv *res,
			long *retry_after)
{
	struct rl_slot slot[2];
	struct rds *r;
	int rc;

	memset(res, 0, sizeof *res);
	email_subject_hash(email, res->account);
	*retry_after = 0;
	rc = ctx_redis(c, &r);
	if (rc != AC_OK)
		return rc;
	slots_of(c, res, slot);
	rc = rl_reserve(r, slot, 2, res->held, retry_after);
	if (rc == AC_ELIMIT)
		log_security("login rate limit tripped: email %.16s addr %s", res->account,
			     c->req.client_known ? c->req.client_ip : "unknown");
	return rc;
}

/* Settles what res holds: account and addr are the ops for the two counters. */
static int settle(struct ctx *c, struct cred_resv *res, enum rl_settle account, enum rl_settle addr)
{
	enum rl_settle ops[2] = { res->held[0] ? account : RL_KEEP, res->held[1] ? addr : RL_KEEP };
	struct rl_slot slot[2];
	struct rds *r;
	int rc;

	res->held[0] = res->held[1] = 0;
	if (ops[0] == RL_KEEP && ops[1] == RL_KEEP)
		return AC_OK;
	/* Redis may have failed earlier in this request: give it one fresh connection. */
	if (c->rds && rds_broken(c->rds)) {
		rds_close(c->rds);
		c->rds = NULL;
	}
	rc = ctx_redis(c, &r);
	if (rc != AC_OK)
		return rc;
	slots_of(c, res, slot);
	return rl_settle(r, slot, ops, 2);
}

/* An attempt without a verdict (503, 500): both reservations back, best effort (on a fresh
 * connection when this one failed). Nothing once the attempt was settled. */
void cred_release(struct ctx *c, struct cred_resv *res)
{
	if (!res->held[0] && !res->held[1])
		return;
	if (settle(c, res, RL_GIVE_BACK, RL_GIVE_BACK) != AC_OK)
		log_error("login attempt without a verdict: its reservation could not be given back "
			  "(email %.16s)", res->account);
}

int cred_attempt(struct ctx *c, const char *email,
		 int (*attempt)(struct ctx *c, struct cred_resv *res, void *arg), void *arg)
{
	struct cred_resv res;
	long retry = 0;
	int rc = cred_reserve(c, email, &res, &retry);

	if (rc == AC_ELIMIT) {
		ctx_too_many(c, retry, CRED_TOO_MANY);
		return AC_OK;
	}
	if (rc != AC_OK)
		return rc;
	rc = attempt(c, &res, arg);
	if (rc != AC_OK)
		cred_release(c, &res);
	return rc;
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

void cred_failed(struct ctx *c, struct cred_resv *res, const struct user *u)
{
	log_security("login failed: %s%s email %.16s addr %s", u ? "user " : "unknown account",
		     u ? u->id : "", res->account, c->req.client_known ? c->req.client_ip : "unknown");
	/* The reservation is the failure's count. */
	res->held[0] = res->held[1] = 0;
}

int cred_succeeded(struct ctx *c, struct cred_resv *res)
{
	return settle(c, res, RL_DELETE, RL_GIVE_BACK);
}
