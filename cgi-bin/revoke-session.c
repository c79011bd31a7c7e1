/* POST /users/sessions/revoke/ — ends one session of the logged-in user by its public id (API.md §7.14). */
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "sessions.h"

#include <string.h>

static const char *const fields[] = { "id" };

static int handle(struct ctx *c)
{
	struct session s;
	struct rds *r;
	int rc, own;

	if (!c->field[0])
		return resp_error(&c->resp, 400, "Please provide the session id");
	rc = ctx_redis(c, &r);
	if (rc != AC_OK)
		return rc;
	rc = sessions_find(r, c->user->id, c->field[0], &s);
	if (rc == AC_ENOTFOUND)
		return resp_error(&c->resp, 404, "Session not found");
	if (rc != AC_OK)
		return rc;
	rc = sess_delete(r, &s);
	if (rc != AC_OK)
		return rc;
	own = strcmp(s.h, c->sess.h) == 0;
	log_security("session revoked: user %s session %.8s by session %.8s addr %s", c->user->id, s.h,
		     c->sess.h, c->req.client_known ? c->req.client_ip : "unknown");
	if (own)
		ctx_delete_cookie(c);
	return resp_message(&c->resp, 200, "The session has been revoked");
}

static const struct endpoint revoke_session = {
	.name = "revoke-session",
	.methods = REQ_POST,
	.body = EP_BODY_JSON,
	.body_cap = 1024,
	.session = EP_SESSION_REQUIRED,
	.fields = fields,
	.n_fields = 1,
	.handle = handle,
};

int main(void)
{
	return ep_main(&revoke_session);
}
