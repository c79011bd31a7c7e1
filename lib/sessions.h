/* Session management answers: the list of §7.13, finding a session to revoke (§7.14), the §7.15 result. */
#ifndef AUTHCGI_SESSIONS_H
#define AUTHCGI_SESSIONS_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "rds.h"
#include "sess.h"

#define SESSIONS_SID_LEN 32

/*
 * The §7.13 object {"sessions": [...]} for the n sessions of list (newest created first, as
 * sess_list returns them). The one whose hash equals current_h comes first with "current": true.
 * expires_at is created + cookie_age; ip_address and user_agent are null when empty.
 * Returns a new cJSON object (the caller owns it) or NULL on allocation failure.
 */
cJSON *sessions_json(const struct session *list, size_t n, const char *current_h,
		     unsigned cookie_age);

/* {"message": "All other sessions have been revoked", "revoked": n}; NULL on allocation failure. */
cJSON *sessions_revoked_json(long long n);

/*
 * Finds the live session of user uid whose public id is sid (§7.14 step 2). Returns 0 with *out
 * filled; AC_ENOTFOUND when sid is not 32 lowercase hex characters or no live session of this
 * user has it; AC_EUNAVAIL.
 */
int sessions_find(struct rds *r, const char *uid, const char *sid, struct session *out);

#endif
