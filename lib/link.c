/* E-mailed links: the PATH_INFO of the confirm endpoints and the redirects to the frontend (API.md §7.2, §7.7). */
#include "link.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVALID_LINK_PATH                                                                    \
	"/auth/regenerate-token?reason=It%20appears%20that%20your%20confirmation%20token%20has" \
	"%20expired%20or%20previously%20used.%20Kindly%20generate%20a%20new%20token"

static int segment(const char **p, char *out, size_t max)
{
	const char *start = *p, *end;
	size_t n;

	if (*start != '/')
		return AC_EINVAL;
	start++;
	end = strchr(start, '/');
	n = end ? (size_t)(end - start) : strlen(start);
	if (n == 0 || n > max)
		return AC_EINVAL;
	memcpy(out, start, n);
	out[n] = '\0';
	*p = start + n;
	return AC_OK;
}

int link_parse(const char *path_info, char uidb64[LINK_UIDB64_MAX + 1], char token[LINK_TOKEN_MAX + 1])
{
	const char *p = path_info;

	if (!p || segment(&p, uidb64, LINK_UIDB64_MAX) != AC_OK ||
	    segment(&p, token, LINK_TOKEN_MAX) != AC_OK)
		return AC_EINVAL;
	if (*p == '/')
		p++;
	return *p == '\0' ? AC_OK : AC_EINVAL;
}

int ctx_redirect_frontend(struct ctx *c, const char *path_and_query)
{
	char *location;
	int rc;

	if (asprintf(&location, "%s%s", c->cfg->frontend_url, path_and_query) < 0)
		return AC_ENOMEM;
	rc = resp_header(&c->resp, "Location", location);
	free(location);
	resp_empty(&c->resp, 302);
	return rc == AC_EINVAL ? AC_OK : rc;
}

int ctx_invalid_link(struct ctx *c)
{
	return ctx_redirect_frontend(c, INVALID_LINK_PATH);
}
