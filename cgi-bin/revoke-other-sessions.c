/* POST /users/sessions/revoke-others/ — ends every session of the user but the caller's (API.md §7.15). */
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "sessions.h"

static int handle(struct ctx *c)
{
	long long n = 0;
	struct rds *r;
	cJSON *json;
	int rc;

	rc = ctx_redis(c, &r);
	if (rc == AC_OK)
		rc = sess_delete_others(r, c->user->id, c->sess.h, &n);
	if (rc != AC_OK)
		return rc;
	log_security("other sessions revoked: user %s kept session %.8s addr %s, %lld ended",
		     c->user->id, c->sess.h, c->req.client_known ? c->req.client_ip : "unknown", n);
	json = sessions_revoked_json(n);
	if (!json)
		return AC_ENOMEM;
	return resp_json(&c->resp, 200, json);
}

static const struct endpoint revoke_other_sessions = {
	.name = "revoke-other-sessions",
	.methods = REQ_POST,
	.body = EP_BODY_DISCARD,
	.body_cap = 1024,
	.session = EP_SESSION_REQUIRED,
	.handle = handle,
};

int main(void)
{
	return ep_main(&revoke_other_sessions);
}
