/* Password reset and change: reset tokens, the conditional password update, ending sessions (API.md §5, §7.6–§7.8, §7.12). */
#include "reset.h"
#include "argon2_gate.h"
#include "email.h"
#include "err.h"
#include "log.h"
#include "mailq.h"
#include "rl.h"
#include "sess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MSG_NO_ACTIVE_USER                                                                     \
	"An active user with this e-mail address does not exist. If you registered with this "  \
	"email, ensure you have activated your account. You can check by logging in. If you "   \
	"have not activated it, visit %s/auth/regenerate-token to regenerate the token that "   \
	"will allow you activate your account."

void reset_tok_user(const struct user *u, struct tok_user *t)
{
	t->id = u->id;
	t->password = u->password;
	t->last_login = u->last_login;
	t->email = u->email;
	t->is_active = u->is_active;
}

int reset_split(const char *field, char uidb64[RESET_UIDB64_LEN + 1], char token[TOK_MAX])
{
	const char *colon;
	size_t len, ulen, tlen;

	if (!field)
		return AC_EINVAL;
	len = strnlen(field, RESET_FIELD_MAX + 1);
	if (len > RESET_FIELD_MAX)
		return AC_EINVAL;
	colon = memchr(field, ':', len);
	if (!colon)
		return AC_EINVAL;
	ulen = (size_t)(colon - field);
	tlen = len - ulen - 1;
	if (memchr(colon + 1, ':', tlen) || ulen != RESET_UIDB64_LEN || tlen == 0 || tlen >= TOK_MAX)
		return AC_EINVAL;
	memcpy(uidb64, field, ulen);
	uidb64[ulen] = '\0';
	memcpy(token, colon + 1, tlen);
	token[tlen] = '\0';
	return AC_OK;
}

int reset_verify(struct db *db, const struct cfg *cfg, enum tok_purpose purpose, const char *uidb64,
		 const char *token, int64_t now_ts, struct user **out)
{
	struct tok_user t;
	struct user *u = NULL;
	char id[37];
	int rc;

	*out = NULL;
	if (!uidb64 || !token || tok_uidb64_decode(uidb64, strlen(uidb64), id) != AC_OK)
		return AC_EDENIED;
	rc = user_by_id(db, id, &u);
	if (rc == AC_ENOTFOUND)
		return AC_EDENIED;
	if (rc != AC_OK)
		return rc;
	reset_tok_user(u, &t);
	if (!u->is_active || tok_check(cfg->secret_key, cfg->secret_key_len, purpose, &t, token, now_ts,
				       cfg->token_expiration) != AC_OK) {
		user_free(u);
		return AC_EDENIED;
	}
	*out = u;
	return AC_OK;
}

int reset_form_path(const struct cfg *cfg, const struct user *u, int64_t now_ts, char *path,
		    size_t pathlen)
{
	struct tok_user t;
	char b64[RESET_UIDB64_LEN + 1], tok[TOK_MAX];
	int n;

	reset_tok_user(u, &t);
	if (tok_uidb64_encode(u->id, b64) != AC_OK ||
	    tok_make(cfg->secret_key, cfg->secret_key_len, TOK_RESET_FORM, &t, now_ts, tok) != AC_OK)
		return AC_EINVAL;
	n = snprintf(path, pathlen, "/auth/password/change-password?token=%s:%s", b64, tok);
	return n > 0 && (size_t)n < pathlen ? AC_OK : AC_EINVAL;
}

/* Looks up the active account and queues its reset e-mail; the transaction is the caller's. */
static int queue_reset(struct db *db, const struct cfg *cfg, const char *email, char id[37])
{
	struct tok_user t;
	struct user *u = NULL;
	char b64[RESET_UIDB64_LEN + 1], tok[TOK_MAX];
	int64_t ts = tok_now();
	int rc;

	rc = user_by_email(db, email, &u);
	if (rc != AC_OK)
		return rc;
	if (!u->is_active) {
		user_free(u);
		return AC_ENOTFOUND;
	}
	memcpy(id, u->id, 37);
	reset_tok_user(u, &t);
	if (tok_uidb64_encode(u->id, b64) != AC_OK ||
	    tok_make(cfg->secret_key, cfg->secret_key_len, TOK_RESET_LINK, &t, ts, tok) != AC_OK)
		rc = AC_EINTERNAL;
	else
		rc = mailq_queue_reset(db, cfg, u->email, b64, tok,
				       (time_t)(ts + TOK_EPOCH + (int64_t)cfg->token_expiration));
	memset(tok, 0, sizeof tok);
	user_free(u);
	return rc;
}

struct request {
	const struct cfg *cfg;
	const char *email;
	char *id;
};

static int request_tx(struct db *db, void *arg)
{
	struct request *r = arg;

	return queue_reset(db, r->cfg, r->email, r->id);
}

int reset_request(struct db *db, const struct cfg *cfg, const char *email, char id[37])
{
	struct request r = { cfg, email, id };

	id[0] = '\0';
	return db_tx(db, request_tx, &r);
}

struct set_password {
	const struct cfg *cfg;
	const struct user *u;
	const char *hash;
};

/* The new hash, on condition that the old one is still stored, and the "changed" e-mail. */
static int set_password_tx(struct db *db, void *arg)
{
	struct set_password *s = arg;
	int rc = user_set_password(db, s->u->id, s->u->password, s->hash);

	if (rc == AC_OK)
		rc = mailq_queue_password_changed(db, s->cfg, s->u->email, time(NULL));
	return rc;
}

int reset_set_password(struct db *db, const struct cfg *cfg, const struct pw_params *params,
		       struct user *u, const char *password)
{
	struct set_password s = { cfg, u, NULL };
	struct a2gate gate;
	char *hash = NULL;
	int rc;

	/* Inside the cross-process Argon2 cap, like every other hash (argon2_gate.h). */
	rc = a2gate_enter(&gate, cfg);
	if (rc != AC_OK)
		return rc;
	rc = pw_hash(params, password, strlen(password), &hash);
	a2gate_leave(&gate);
	if (rc != AC_OK)
		return rc;
	s.hash = hash;
	rc = db_tx(db, set_password_tx, &s);
	if (rc != AC_OK) {
		free(hash);
		return rc;
	}
	free(u->password);
	u->password = hash;
	return AC_OK;
}

int reset_end_sessions(struct rds *r, const struct user *u, long long *ended)
{
	char subject[65];
	int a, b;

	a = sess_delete_all(r, u->id, ended);
	email_subject_hash(u->email, subject);
	b = rl_clear(r, RL_LOGIN_ACCOUNT, subject);
	return a != AC_OK ? a : b;
}

int ctx_password_policy(struct ctx *c, const char *password, const char *email)
{
	char reason[256];
	int rc;

	rc = pw_policy_check(password, strlen(password), email, c->cfg->password_min_length,
			     c->cfg->common_passwords_file, reason, sizeof reason);
	if (rc == AC_EINVAL) {
		rc = resp_error(&c->resp, 400, reason);
		return rc == AC_OK ? AC_EINVAL : rc;
	}
	return rc;
}

int ctx_no_active_user(struct ctx *c)
{
	char *msg;
	int rc;

	if (asprintf(&msg, MSG_NO_ACTIVE_USER, c->cfg->frontend_url) < 0)
		return AC_ENOMEM;
	rc = resp_error(&c->resp, 404, msg);
	free(msg);
	return rc;
}
