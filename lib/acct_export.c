/* The data export of API.md §12.2: the user JSON, last login, two-factor state and sessions, and no secret. */
#include "acct.h"
#include "err.h"
#include "sess.h"
#include "sessions.h"
#include "timefmt.h"
#include "twofactor/tfa.h"

#include <stdio.h>
#include <stdlib.h>

/* Adds key: the JSON form of a stored datetime, or null when there is none. */
static int add_when(cJSON *o, const char *key, const char *stored)
{
	char buf[TM_BUF];

	if (!stored)
		return cJSON_AddNullToObject(o, key) ? AC_OK : AC_ENOMEM;
	if (tm_json_from_db(stored, buf) != AC_OK)
		snprintf(buf, sizeof buf, "%s", stored);
	return cJSON_AddStringToObject(o, key, buf) ? AC_OK : AC_ENOMEM;
}

/* The "sessions" array of §7.13 for u, moved out of the sessions_json object. */
static int add_sessions(cJSON *o, struct rds *r, const struct cfg *cfg, const struct user *u,
			const char *current_h)
{
	struct session *list = NULL;
	cJSON *wrap, *arr;
	size_t n = 0;
	int rc = sess_list(r, u->id, &list, &n);

	if (rc != AC_OK)
		return rc;
	wrap = sessions_json(list, n, current_h, cfg->session_cookie_age);
	free(list);
	arr = wrap ? cJSON_DetachItemFromObjectCaseSensitive(wrap, "sessions") : NULL;
	cJSON_Delete(wrap);
	if (!arr)
		return AC_ENOMEM;
	cJSON_AddItemToObject(o, "sessions", arr);
	return AC_OK;
}

/* {"enabled": ..., "recovery_codes_left": ...} as GET /users/two-factor/ answers (§11.3.1). */
static int add_two_factor(cJSON *o, struct db *db, const struct user *u)
{
	struct tfa_status st;
	cJSON *tf;
	int rc = tfa_status(db, u->id, &st);

	if (rc != AC_OK)
		return rc;
	tf = cJSON_AddObjectToObject(o, "two_factor");
	if (!tf || !cJSON_AddBoolToObject(tf, "enabled", st.enabled) ||
	    !cJSON_AddNumberToObject(tf, "recovery_codes_left", (double)st.codes_left))
		return AC_ENOMEM;
	return AC_OK;
}

int acct_export(struct db *db, struct rds *r, const struct cfg *cfg, struct user *u,
		const char *current_h, cJSON **out)
{
	char now[TM_BUF];
	cJSON *doc, *uj;
	int rc;

	*out = NULL;
	rc = user_ensure_profile(db, u);
	if (rc != AC_OK)
		return rc;
	doc = cJSON_CreateObject();
	if (!doc)
		return AC_ENOMEM;
	tm_db_now(now);
	rc = add_when(doc, "exported_at", now);
	uj = rc == AC_OK ? user_to_json(u, cfg) : NULL;
	if (rc == AC_OK && !uj)
		rc = AC_ENOMEM;
	if (uj)
		cJSON_AddItemToObject(doc, "user", uj);
	if (rc == AC_OK)
		rc = add_when(doc, "last_login", u->last_login);
	if (rc == AC_OK)
		rc = add_two_factor(doc, db, u);
	if (rc == AC_OK)
		rc = add_sessions(doc, r, cfg, u, current_h);
	if (rc != AC_OK) {
		cJSON_Delete(doc);
		return rc;
	}
	*out = doc;
	return AC_OK;
}

void acct_export_disposition(const struct user *u, char out[80])
{
	snprintf(out, 80, "attachment; filename=\"account-%s.json\"", u->id);
}
