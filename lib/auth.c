/* Session authentication of a request (API.md §4.5) and the cookie and limit answers handlers share. */
#include "crypto.h"
#include "email.h"
#include "endpoint.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MSG_NOT_LOGGED_IN "You are not logged in. Kindly ensure you are logged in and try again"

void ctx_delete_cookie(struct ctx *c)
{
	char line[256];

	sess_cookie_delete_line(line, sizeof line, c->cookie_secure);
	resp_cookie(&c->resp, line);
}

void ctx_not_logged_in(struct ctx *c)
{
	resp_error(&c->resp, 401, MSG_NOT_LOGGED_IN);
}

void ctx_too_many(struct ctx *c, long retry_after, const char *msg)
{
	char v[24];

	snprintf(v, sizeof v, "%ld", retry_after >= 1 ? retry_after : 1);
	resp_header(&c->resp, "Retry-After", v);
	resp_error(&c->resp, 429, msg);
}

void ctx_email_subject(const char *email, char out[65])
{
	email_subject_hash(email, out);
}

int ctx_start_session(struct ctx *c, const struct user *u)
{
	char token[SESS_TOKEN_LEN + 1], csrf[33], line[512], ua[REQ_UA_MAX + 1];
	struct rds *r;
	time_t now = time(NULL);
	int rc;

	rc = ctx_redis(c, &r);
	if (rc != AC_OK)
		return rc;
	req_clean_user_agent(c->req.user_agent, ua);
	rc = sess_create(r, c->cfg, u->id, u->password, c->req.client_ip, ua, token, &c->sess);
	if (rc != AC_OK)
		return rc;
	if (sec_random_alnum(csrf, 32) != AC_OK)
		return AC_EINTERNAL;
	sess_cookie_line(line, sizeof line, "csrftoken", csrf, 31449600, now, c->cookie_secure);
	resp_cookie(&c->resp, line);
	sess_cookie_line(line, sizeof line, "sessionid", token, (long)c->cfg->session_cookie_age, now,
			 c->cookie_secure);
	resp_cookie(&c->resp, line);
	memset(token, 0, sizeof token);
	return AC_OK;
}

/* Ends a session found unusable at step 3 or 4 of §4.5. */
static int end_stale(struct ctx *c, struct rds *r, const char *why)
{
	int rc = sess_delete(r, &c->sess);

	log_security("session %.8s of user %s ended: %s", c->sess.h, c->sess.uid, why);
	if (rc != AC_OK)
		return rc;
	ctx_delete_cookie(c);
	return AC_EDENIED;
}

int ctx_authenticate(struct ctx *c)
{
	char h[65], fp[65];
	struct rds *r;
	struct db *db;
	long long now = (long long)time(NULL);
	int rc;

	c->cookie = sess_parse_cookie(c->req.cookie, c->token);
	if (c->cookie == SESS_COOKIE_NONE)
		return AC_EDENIED;
	if (c->cookie == SESS_COOKIE_STALE) {
		ctx_delete_cookie(c);
		return AC_EDENIED;
	}
	rc = ctx_redis(c, &r);
	if (rc != AC_OK)
		return rc;
	sess_token_hash(c->token, h);
	rc = sess_load(r, h, &c->sess);
	if (rc == AC_ENOTFOUND) {
		ctx_delete_cookie(c);
		return AC_EDENIED;
	}
	if (rc != AC_OK)
		return rc;
	rc = ctx_db(c, &db);
	if (rc != AC_OK)
		return rc;
	rc = user_by_id(db, c->sess.uid, &c->user);
	if (rc == AC_ENOTFOUND)
		return end_stale(c, r, "user missing");
	if (rc != AC_OK)
		return rc;
	sess_fingerprint(c->cfg, c->user->password, fp);
	if (!c->user->is_active || !sec_equal(fp, c->sess.pwd, 64)) {
		user_free(c->user);
		c->user = NULL;
		return end_stale(c, r, "user inactive or password changed");
	}
	if (c->cfg->session_idle_timeout > 0 &&
	    now - c->sess.seen > (long long)c->cfg->session_idle_timeout) {
		user_free(c->user);
		c->user = NULL;
		return end_stale(c, r, "idle timeout");
	}
	return sess_touch(r, &c->sess, now);
}
