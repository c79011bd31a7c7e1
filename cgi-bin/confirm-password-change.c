/* GET /users/password-change/confirm/change-password/<uidb64>/<token>/ — reset link to reset form (API.md §7.7). */
#include "endpoint.h"
#include "err.h"
#include "link.h"
#include "reset.h"

static int handle(struct ctx *c)
{
	char uidb64[LINK_UIDB64_MAX + 1], token[LINK_TOKEN_MAX + 1], path[256];
	struct user *u = NULL;
	struct db *db;
	int64_t now = tok_now();
	int rc;

	if (link_parse(c->req.path_info, uidb64, token) != AC_OK)
		return ctx_invalid_link(c);
	rc = ctx_db(c, &db);
	if (rc != AC_OK)
		return rc;
	rc = reset_verify(db, c->cfg, TOK_RESET_LINK, uidb64, token, now, &u);
	if (rc == AC_EDENIED)
		return ctx_invalid_link(c);
	if (rc != AC_OK)
		return rc;
	rc = reset_form_path(c->cfg, u, now, path, sizeof path);
	user_free(u);
	if (rc != AC_OK)
		return AC_EINTERNAL;
	return ctx_redirect_frontend(c, path);
}

static const struct endpoint confirm_password_change = {
	.name = "confirm-password-change",
	.methods = REQ_GET | REQ_HEAD,
	.body = EP_BODY_NONE,
	.session = EP_SESSION_NONE,
	.handle = handle,
};

int main(void)
{
	return ep_main(&confirm_password_change);
}
