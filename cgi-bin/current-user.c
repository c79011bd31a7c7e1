/* GET /users/current-user/ — the logged-in user's object (API.md §7.9). */
#include "endpoint.h"

static int handle(struct ctx *c)
{
	return ctx_reply_user(c, c->user);
}

static const struct endpoint current_user = {
	.name = "current-user",
	.methods = REQ_GET | REQ_HEAD,
	.body = EP_BODY_NONE,
	.session = EP_SESSION_REQUIRED,
	.handle = handle,
};

int main(void)
{
	return ep_main(&current_user);
}
