/* GET /users/series/ — the read-only series list the original frontend shows (API.md §7.11). */
#include "endpoint.h"
#include "err.h"
#include "series.h"

static int handle(struct ctx *c)
{
	struct db *db;
	cJSON *list;
	int rc = ctx_db(c, &db);

	if (rc == AC_OK)
		rc = series_list(db, c->cfg, &list);
	if (rc != AC_OK)
		return rc;
	return resp_json(&c->resp, 200, list);
}

static const struct endpoint series = {
	.name = "series",
	.methods = REQ_GET | REQ_HEAD,
	.body = EP_BODY_NONE,
	.session = EP_SESSION_NONE,
	.cacheable = 1,
	.handle = handle,
};

int main(void)
{
	return ep_main(&series);
}
