/* Registration, activation and new activation links: the database side of API.md §7.1–§7.3. */
#include "signup.h"
#include "crypto.h"
#include "err.h"
#include "mailq.h"
#include "tok.h"
#include "timefmt.h"
#include "user.h"

#include <string.h>
#include <time.h>

static void token_user(const struct user *u, struct tok_user *t)
{
	t->id = u->id;
	t->password = u->password;
	t->last_login = u->last_login;
	t->email = u->email;
	t->is_active = u->is_active;
}

/* Makes an activation token for u's current row (ts = now) and queues its e-mail. */
static int queue_activation(struct db *db, const struct cfg *cfg, const struct user *u)
{
	char token[TOK_MAX], uidb64[49];
	struct tok_user t;
	int64_t ts = tok_now();
	time_t expiry;
	int rc;

	token_user(u, &t);
	if (tok_make(cfg->secret_key, cfg->secret_key_len, TOK_ACTIVATION, &t, ts, token) != AC_OK ||
	    tok_uidb64_encode(u->id, uidb64) != AC_OK)
		return AC_EINTERNAL;
	expiry = (time_t)(ts + TOK_EPOCH + (int64_t)cfg->token_expiration);
	rc = mailq_queue_activation(db, cfg, u->email, uidb64, token, expiry);
	memset(token, 0, sizeof token);
	return rc;
}

/* The stored datetime before which a never-used inactive registration counts as abandoned. */
static void abandoned_cutoff(const struct cfg *cfg, char out[TM_BUF])
{
	time_t now;
	long us;

	tm_now(&now, &us);
	tm_db_format(now - (time_t)cfg->token_expiration, us, out);
}

int signup_pending(const struct user *u)
{
	return !u->is_active && !u->last_login;
}

int signup_abandoned(const struct user *u, const struct cfg *cfg)
{
	char cutoff[TM_BUF];
	time_t joined, limit;
	long joined_us, limit_us;

	if (!signup_pending(u))
		return 0;
	abandoned_cutoff(cfg, cutoff);
	if (tm_db_parse(u->date_joined, &joined, &joined_us) != AC_OK ||
	    tm_db_parse(cutoff, &limit, &limit_us) != AC_OK)
		return 0;
	return joined < limit || (joined == limit && joined_us <= limit_us);
}

struct create {
	const struct cfg *cfg;
	const char *email, *first_name, *last_name, *password_hash;
	char *id;
};

static int create_tx(struct db *db, void *arg)
{
	struct create *c = arg;
	struct user *u = NULL;
	char cutoff[TM_BUF];
	int rc;

	/* an abandoned registration of the address gives way to this one (§7.1) */
	abandoned_cutoff(c->cfg, cutoff);
	rc = user_delete_abandoned(db, c->email, cutoff);
	if (rc == AC_OK)
		rc = user_insert(db, c->email, c->first_name, c->last_name, c->password_hash, &u);
	if (rc == AC_OK)
		rc = queue_activation(db, c->cfg, u);
	if (rc == AC_OK)
		memcpy(c->id, u->id, 37);
	user_free(u);
	return rc;
}

int signup_create(struct db *db, const struct cfg *cfg, const char *email, const char *first_name,
		  const char *last_name, const char *password_hash, char id[37])
{
	struct create c = { cfg, email, first_name, last_name, password_hash, id };

	id[0] = '\0';
	return db_tx(db, create_tx, &c);
}

struct activate {
	const struct cfg *cfg;
	const char *id, *token;
};

static int activate_tx(struct db *db, void *arg)
{
	struct activate *a = arg;
	struct user *u = NULL;
	struct tok_user t;
	char hex[33];
	long changes = 0;
	int rc;

	/* The row the token is checked against is the row the UPDATE changes. */
	rc = user_by_id(db, a->id, &u);
	if (rc == AC_ENOTFOUND || (rc == AC_OK && !signup_pending(u)))
		rc = AC_EDENIED;
	if (rc == AC_OK) {
		token_user(u, &t);
		rc = tok_check(a->cfg->secret_key, a->cfg->secret_key_len, TOK_ACTIVATION, &t,
			       a->token, tok_now(), a->cfg->token_expiration) == AC_OK ? AC_OK
										: AC_EDENIED;
	}
	if (rc == AC_OK) {
		const char *p = hex;

		rc = sec_uuid_to_db(u->id, hex) == AC_OK ? db_run(db, Q_USER_ACTIVATE, 1, &p, NULL,
								   &changes)
							 : AC_EINTERNAL;
		if (rc == AC_OK && changes != 1)
			rc = AC_EDENIED;
	}
	user_free(u);
	return rc;
}

int signup_activate(struct db *db, const struct cfg *cfg, const char *id, const char *token)
{
	struct activate a = { cfg, id, token };

	return db_tx(db, activate_tx, &a);
}

struct regenerate {
	const struct cfg *cfg;
	const char *email;
	char *id;
};

static int regenerate_tx(struct db *db, void *arg)
{
	struct regenerate *g = arg;
	struct user *u = NULL;
	int rc = user_by_email(db, g->email, &u);

	if (rc == AC_OK && !signup_pending(u))
		rc = AC_ENOTFOUND;
	if (rc == AC_OK)
		rc = queue_activation(db, g->cfg, u);
	if (rc == AC_OK)
		memcpy(g->id, u->id, 37);
	user_free(u);
	return rc;
}

int signup_regenerate(struct db *db, const struct cfg *cfg, const char *email, char id[37])
{
	struct regenerate g = { cfg, email, id };

	id[0] = '\0';
	return db_tx(db, regenerate_tx, &g);
}
