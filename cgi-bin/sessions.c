/* GET /users/sessions/ — the live sessions of the logged-in user, the caller's first (API.md §7.13). */
#include "endpoint.h"
#include "err.h"
#include "sessions.h"

#include <stdlib.h>

static int handle(struct ctx *c)
{
	struct session *list = NULL;
	struct rds *r;
	size_t n = 0;
	cJSON *json;
	int rc;

	rc = ctx_redis(c, &r);
	if (rc == AC_OK)
		rc = sess_list(r, c->user->id, &list, &n);
	if (rc != AC_OK)
		return rc;
	json = sessions_json(list, n, c->sess.h, c->cfg->session_cookie_age);
	free(list);
	if (!json)
		return AC_ENOMEM;
	return resp_json(&c->resp, 200, json);
}

static const struct endpoint sessions = {
	.name = "sessions",
	.methods = REQ_GET | REQ_HEAD,
	.body = EP_BODY_NONE,
	.session = EP_SESSION_REQUIRED,
	.handle = handle,
};

int main(void)
{
	return ep_main(&sessions);
}
