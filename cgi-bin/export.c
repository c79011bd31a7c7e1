/* GET /users/export/ — the logged-in user's data as a JSON attachment, without any secret (API.md §12.2). */
#include "acct.h"
#include "endpoint.h"
#include "err.h"

static int handle(struct ctx *c)
{
	char disposition[80];
	struct db *db;
	struct rds *r;
	cJSON *doc;
	int rc;

	rc = ctx_db(c, &db);
	if (rc == AC_OK)
		rc = ctx_redis(c, &r);
	if (rc == AC_OK)
		rc = acct_export(db, r, c->cfg, c->user, c->sess.h, &doc);
	if (rc != AC_OK)
		return rc;
	acct_export_disposition(c->user, disposition);
	rc = resp_header(&c->resp, "Content-Disposition", disposition);
	if (rc != AC_OK) {
		cJSON_Delete(doc);
		return rc;
	}
	return resp_json(&c->resp, 200, doc);
}

static const struct endpoint export_ep = {
	.name = "export",
	.methods = REQ_GET | REQ_HEAD,
	.body = EP_BODY_NONE,
	.session = EP_SESSION_REQUIRED,
	.handle = handle,
};

int main(void)
{
	return ep_main(&export_ep);
}
