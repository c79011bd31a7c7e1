/* Every other path under /users/ (API.md §1.2): 301/308 to the slashed API path, else 404 JSON. */
#include "endpoint.h"
#include "err.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int handle(struct ctx *c)
{
	const char *uri = c->req.request_uri ? c->req.request_uri : "";
	size_t path_len = strcspn(uri, "?");
	const struct route *rt = route_without_slash(uri, path_len);
	char *location;
	int rc;

	if (!rt)
		return resp_error(&c->resp, 404, "Not found");
	if (asprintf(&location, "%s%s", rt->path, uri + path_len) < 0)
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
