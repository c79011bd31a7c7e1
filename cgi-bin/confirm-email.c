/* GET /users/register/confirm/<uidb64>/<token>/ — activates an account from its e-mailed link (API.md §7.2). */
#include "endpoint.h"
#include "err.h"
#include "link.h"
#include "log.h"
#include "signup.h"
#include "tok.h"

#include <string.h>

static int handle(struct ctx *c)
{
	char uidb64[LINK_UIDB64_MAX + 1], token[LINK_TOKEN_MAX + 1], id[37];
	struct db *db;
	int rc;

	/* A malformed link is answered without touching the database. */
	if (link_parse(c->req.path_info, uidb64, token) != AC_OK ||
	    tok_uidb64_decode(uidb64, strlen(uidb64), id) != AC_OK)
		return ctx_invalid_link(c);
	rc = ctx_db(c, &db);
	if (rc != AC_OK)
		return rc;
	rc = signup_activate(db, c->cfg, id, token);
	if (rc == AC_EDENIED)
		return ctx_invalid_link(c);
	if (rc != AC_OK)
		return rc;
	log_security("activation: user %s addr %s", id,
		     c->req.client_known ? c->req.client_ip : "unknown");
	return ctx_redirect_frontend(c, "/auth/confirmed");
}

static const struct endpoint confirm_email = {
	.name = "confirm-email",
	.methods = REQ_GET | REQ_HEAD,
	.body = EP_BODY_NONE,
	.session = EP_SESSION_NONE,
	.handle = handle,
};

int main(void)
{
	return ep_main(&confirm_email);
}
