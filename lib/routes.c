/* The public API paths (API.md §1.1) and their programs, for the router and the server samples. */
#include "routes.h"

#include <string.h>

const struct route routes[] = {
	{ "/users/register/", "register.cgi" },
	{ "/users/regenerate-token/", "regenerate-token.cgi" },
	{ "/users/login/", "login.cgi" },
	{ "/users/logout/", "logout.cgi" },
	{ "/users/password-change/request-password-change/", "request-password-change.cgi" },
	{ "/users/password-change/change-user-password/", "change-user-password.cgi" },
	{ "/users/current-user/", "current-user.cgi" },
	{ "/users/update-user/", "update-user.cgi" },
	{ "/users/series/", "series.cgi" },
	{ "/users/password-change/", "password-change.cgi" },
	{ "/users/sessions/", "sessions.cgi" },
	{ "/users/sessions/revoke/", "revoke-session.cgi" },
	{ "/users/sessions/revoke-others/", "revoke-other-sessions.cgi" },
	{ "/users/two-factor/", "two-factor.cgi" },
	{ "/users/two-factor/setup/", "two-factor-setup.cgi" },
	{ "/users/two-factor/confirm/", "two-factor-confirm.cgi" },
	{ "/users/two-factor/disable/", "two-factor-disable.cgi" },
	{ "/users/two-factor/recovery-codes/", "two-factor-recovery-codes.cgi" },
	{ "/users/delete-account/", "delete-account.cgi" },
	{ "/users/export/", "export.cgi" },
};

const unsigned n_routes = sizeof routes / sizeof routes[0];

const struct route *route_without_slash(const char *path, unsigned long len)
{
	for (unsigned i = 0; i < n_routes; i++) {
		size_t n = strlen(routes[i].path);

		if (len + 1 == n && memcmp(routes[i].path, path, len) == 0)
			return &routes[i];
	}
	return NULL;
}
