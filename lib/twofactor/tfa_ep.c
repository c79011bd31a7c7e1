/* What the two-factor endpoints share (API.md §11.3): messages, the otpauth URI, the recovery-code reply, the password-and-code steps. */
#include "tfa_ep.h"
#include "cred.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"

#include <stdlib.h>
#include <string.h>

/* Appends s percent-encoded (RFC 3986 unreserved kept) at out; returns the end. */
static char *pct(char *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			*out++ = (char)ch;
		} else {
			*out++ = '%';
			*out++ = hex[ch >> 4];
			*out++ = hex[ch & 15];
		}
	}
	*out = '\0';
	return out;
}

char *tfa_otpauth_uri(const char *issuer, const char *email, const char *secret)
{
	size_t n = 3 * (2 * strlen(issuer) + strlen(email)) + strlen(secret) + 128;
	char *uri = malloc(n), *p;

	if (!uri)
		return NULL;
	p = stpcpy(uri, "otpauth://totp/");
	p = pct(p, issuer);
	p = stpcpy(p, ":");
	p = pct(p, email);
	p = stpcpy(p, "?secret=");
	p = stpcpy(p, secret);
	p = stpcpy(p, "&issuer=");
	p = pct(p, issuer);
	stpcpy(p, "&algorithm=SHA1&digits=6&period=30");
	return uri;
}

int tfa_reply_codes(struct ctx *c, const char *msg, char codes[RECOVERY_COUNT][RECOVERY_SHOWN])
{
	cJSON *o = cJSON_CreateObject(), *list = cJSON_CreateArray();

	if (!o || !list || !cJSON_AddStringToObject(o, "message", msg)) {
		cJSON_Delete(o);
		cJSON_Delete(list);
		return AC_ENOMEM;
	}
	cJSON_AddItemToObject(o, "recovery_codes", list);
	for (int i = 0; i < RECOVERY_COUNT; i++) {
		cJSON *s = cJSON_CreateString(codes[i]);

		if (!s) {
			cJSON_Delete(o);
			return AC_ENOMEM;
		}
		cJSON_AddItemToArray(list, s);
	}
	return resp_json(&c->resp, 200, o);
}

struct guarded {
	struct ctx *c;
	int (*action)(struct db *db, struct ctx *c, void *arg);
	int (*reply)(struct ctx *c, void *arg);
	void *arg;
};

static int guarded_tx(struct db *db, void *arg)
{
	struct guarded *g = arg;
	time_t now;
	long us;
	int rc;

	tm_now(&now, &us);
	rc = tfa_verify(db, g->c->cfg, g->c->user->id, g->c->field[1], now, NULL, NULL);
	return rc == AC_OK ? g->action(db, g->c, g->arg) : rc;
}

static int guarded_attempt(struct ctx *c, struct cred_resv *res, void *arg)
{
	struct guarded *g = arg;
	struct tfa_status st;
	struct db *db;
	int rc, ok = 0;

	rc = ctx_db(c, &db);
	if (rc == AC_OK)
		rc = tfa_status(db, c->user->id, &st);
	if (rc != AC_OK)
		return rc;
	if (!st.enabled) {
		cred_release(c, res);
		return resp_error(&c->resp, 409, TFA_MSG_NOT_ENABLED);
	}
	rc = cred_verify(c, c->user, c->field[0], &ok);
	if (rc != AC_OK)
		return rc;
	if (!ok) {
		cred_failed(c, res, c->user);
		return resp_error(&c->resp, 400, TFA_MSG_WRONG_PASSWORD);
	}
	rc = db_tx(db, guarded_tx, g);
	if (rc == AC_EDENIED) {
		log_security("two-factor code not valid: user %s addr %s (%s)", c->user->id,
			     c->req.client_known ? c->req.client_ip : "unknown", c->ep->name);
		cred_failed(c, res, c->user);
		return resp_error(&c->resp, 400, TFA_MSG_CODE_INVALID);
	}
	if (rc == AC_ENOTFOUND) {
		/* disabled by a concurrent request since the status was read */
		cred_release(c, res);
		return resp_error(&c->resp, 409, TFA_MSG_NOT_ENABLED);
	}
	if (rc == AC_OK)
		rc = cred_succeeded(c, res);
	return rc == AC_OK ? g->reply(c, g->arg) : rc;
}

int tfa_password_and_code(struct ctx *c, int (*action)(struct db *db, struct ctx *c, void *arg),
			  int (*reply)(struct ctx *c, void *arg), void *arg)
{
	struct guarded g = { c, action, reply, arg };

	return cred_attempt(c, c->user->email, guarded_attempt, &g);
}
