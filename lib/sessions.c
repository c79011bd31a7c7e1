/* Session management answers: the list of §7.13, finding a session to revoke (§7.14), the §7.15 result. */
#include "sessions.h"
#include "crypto.h"
#include "err.h"
#include "timefmt.h"

#include <stdio.h>
#include <string.h>

#define USER_KEY "auth:user:"

/* Adds key: the JSON form of Unix seconds t. Returns 0 or AC_ENOMEM. */
static int add_time(cJSON *o, const char *key, long long t)
{
	char buf[TM_BUF];

	tm_json_from_unix((time_t)t, buf);
	return cJSON_AddStringToObject(o, key, buf) ? AC_OK : AC_ENOMEM;
}

/* Adds key: s, or null when s is empty. */
static int add_text_or_null(cJSON *o, const char *key, const char *s)
{
	if (s[0] == '\0')
		return cJSON_AddNullToObject(o, key) ? AC_OK : AC_ENOMEM;
	return cJSON_AddStringToObject(o, key, s) ? AC_OK : AC_ENOMEM;
}

static int add_session(cJSON *arr, const struct session *s, int current, unsigned cookie_age)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return AC_ENOMEM;
	cJSON_AddItemToArray(arr, o);
	if (!cJSON_AddStringToObject(o, "id", s->sid) || !cJSON_AddBoolToObject(o, "current", current) ||
	    add_time(o, "created_at", s->created) || add_time(o, "last_seen_at", s->seen) ||
	    add_time(o, "expires_at", s->created + (long long)cookie_age) ||
	    add_text_or_null(o, "ip_address", s->ip) || add_text_or_null(o, "user_agent", s->ua))
		return AC_ENOMEM;
	return AC_OK;
}

cJSON *sessions_json(const struct session *list, size_t n, const char *current_h,
		     unsigned cookie_age)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	int rc = AC_OK;

	arr = root ? cJSON_AddArrayToObject(root, "sessions") : NULL;
	if (!arr) {
		cJSON_Delete(root);
		return NULL;
	}
	/* Two passes keep the current session first and the rest in the given order. */
	for (int pass = 0; pass < 2 && rc == AC_OK; pass++)
		for (size_t i = 0; i < n && rc == AC_OK; i++) {
			int current = current_h && strcmp(list[i].h, current_h) == 0;

			if (current == (pass == 0))
				rc = add_session(arr, &list[i], current, cookie_age);
		}
	if (rc != AC_OK) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

cJSON *sessions_revoked_json(long long n)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "message", "All other sessions have been revoked") ||
	    !cJSON_AddNumberToObject(o, "revoked", (double)n)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int sessions_find(struct rds *r, const char *uid, const char *sid, struct session *out)
{
	char ukey[64], h[65];
	redisReply *rep;
	int rc;

	memset(out, 0, sizeof *out);
	if (!sid || strlen(sid) != SESSIONS_SID_LEN || !sec_is_lower_hex(sid, SESSIONS_SID_LEN))
		return AC_ENOTFOUND;
	snprintf(ukey, sizeof ukey, USER_KEY "%s", uid);
	rc = rds_cmd(r, &rep, "HGET", ukey, sid, NULL);
	if (rc != AC_OK)
		return rc;
	if (rep->type != REDIS_REPLY_STRING || rep->len != 64 || !sec_is_lower_hex(rep->str, 64)) {
		freeReplyObject(rep);
		return AC_ENOTFOUND;
	}
	memcpy(h, rep->str, 64);
	h[64] = '\0';
	freeReplyObject(rep);
	rc = sess_load(r, h, out);
	if (rc != AC_OK)
		return rc;
	/* The index is only a pointer: the session itself must agree on its owner and id. */
	if (strcmp(out->uid, uid) != 0 || strcmp(out->sid, sid) != 0) {
		memset(out, 0, sizeof *out);
		return AC_ENOTFOUND;
	}
	return AC_OK;
}
