/* The user-object answer that login, current-user and update-user share (API.md §3). */
#include "endpoint.h"
#include "err.h"

int ctx_reply_user(struct ctx *c, struct user *u)
{
	struct db *db;
	cJSON *json;
	int rc;

	if (!u->has_profile) {
		rc = ctx_db(c, &db);
		if (rc == AC_OK)
			rc = user_ensure_profile(db, u);
		if (rc != AC_OK)
			return rc;
	}
	json = user_to_json(u, c->cfg);
	if (!json)
		return AC_ENOMEM;
	return resp_json(&c->resp, 200, json);
}
