/* GET /users/two-factor/ — whether two-factor is enabled, and the recovery codes left (API.md §11.3.1). */
#include "endpoint.h"
#include "err.h"
#include "twofactor/tfa.h"

static int handle(struct ctx *c)
{
	struct tfa_status st;
	struct db *db;
	cJSON *o;
	int rc;

	rc = ctx_db(c, &db);
	if (rc == AC_OK)
		rc = tfa_status(db, c->user->id, &st);
	if (rc != AC_OK)
		return rc;
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddBoolToObject(o, "enabled", st.enabled) ||
	    !cJSON_AddNumberToObject(o, "recovery_codes_left", (double)st.codes_left)) {
		cJSON_Delete(o);
		return AC_ENOMEM;
	}
	return resp_json(&c->resp, 200, o);
}

static const struct endpoint two_factor = {
	.name = "two-factor",
	.methods = REQ_GET | REQ_HEAD,
	.body = EP_BODY_NONE,
	.session = EP_SESSION_REQUIRED,
	.handle = handle,
};

int main(void)
{
	return ep_main(&two_factor);
}
