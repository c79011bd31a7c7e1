/* POST /users/logout/ — ends the session named by the cookie, if any (API.md §7.5). */
#include "endpoint.h"
#include "err.h"
#include "log.h"

static int handle(struct ctx *c)
{
	struct rds *r;
	int rc;

	c->cookie = sess_parse_cookie(c->req.cookie, c->token);
	if (c->cookie == SESS_COOKIE_TOKEN) {
		char h[65];

		rc = ctx_redis(c, &r);
		if (rc != AC_OK)
			return rc;
		sess_token_hash(c->token, h);
		rc = sess_load(r, h, &c->sess);
		if (rc == AC_OK) {
			rc = sess_delete(r, &c->sess);
			if (rc != AC_OK)
				return rc;
			log_security("logout: user %s session %.8s addr %s", c->sess.uid, c->sess.h,
				     c->req.client_known ? c->req.client_ip : "unknown");
		} else if (rc != AC_ENOTFOUND) {
			return rc;
		}
	}
	if (c->cookie != SESS_COOKIE_NONE)
		ctx_delete_cookie(c);
	return resp_message(&c->resp, 200, "You have successfully logged out");
}

static const struct endpoint logout = {
	.name = "logout",
	.methods = REQ_POST,
	.body = EP_BODY_DISCARD,
	.body_cap = 1024,
	.session = EP_SESSION_READ,
	.handle = handle,
};

int main(void)
{
	return ep_main(&logout);
}
