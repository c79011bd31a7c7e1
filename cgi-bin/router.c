/* Every other path under /users/ (API.md §1.2): 301/308 to the slashed API path, else 404 JSON; under a site prefix too. */
#include "endpoint.h"
#include "err.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SELF "/cgi-bin/router.cgi"

/* The site's path prefix: under a .htaccess rewrite (shared hosting, DEPLOY.md) the server names
 * this program PREFIX/cgi-bin/router.cgi, and the request's URI starts with the same PREFIX. */
static size_t prefix_len(const struct req *r, const char *uri)
{
	const char *s = r->script_name;
	size_t n = s ? strlen(s) : 0, self = strlen(SELF);

	if (n <= self || strcmp(s + n - self, SELF) != 0 || strncmp(uri, s, n - self) != 0)
		return 0;
	return n - self;
}

static int handle(struct ctx *c)
{
	const char *uri = c->req.request_uri ? c->req.request_uri : "";
	size_t path_len = strcspn(uri, "?"), pre = prefix_len(&c->req, uri);
	const struct route *rt = route_without_slash(uri + pre, path_len - pre);
	char *location;
	int rc;

	if (!rt)
		return resp_error(&c->resp, 404, "Not found");
	if (asprintf(&location, "%.*s%s%s", (int)pre, uri, rt->path, uri + path_len) < 0)
		return AC_ENOMEM;
	rc = resp_header(&c->resp, "Location", location);
	free(location);
	resp_empty(&c->resp, c->req.method & (REQ_GET | REQ_HEAD) ? 301 : 308);
	return rc == AC_EINVAL ? AC_OK : rc;
}

static const struct endpoint router = {
	.name = "router",
	.routing = 1,
	.handle = handle,
};

int main(void)
{
	return ep_main(&router);
}
