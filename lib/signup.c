/* Registration, activation and new activation links: the database side of API.md §7.1–§7.3. */
#include "signup.h"
#include "crypto.h"
#include "err.h"
#include "mailq.h"
#include "tok.h"
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
	rc = mailq_queue_activation(db_handle(db), cfg, u->email, uidb64, token, expiry);
	memset(token, 0, sizeof token);
	return rc;
}

/* Commits on success, rolls back otherwise; returns the first failure. */
static int finish(struct db *db, int rc)
{
	if (rc == AC_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

int signup_create(struct db *db, const struct cfg *cfg, const char *email, const char *first_name,
		  const char *last_name, const char *password_hash, char id[37])
{
	struct user *u = NULL;
	int rc;

	id[0] = '\0';
	rc = db_begin(db);
	if (rc != AC_OK)
		return rc;
	rc = user_insert(db, email, first_name, last_name, password_hash, &u);
	if (rc == AC_OK)
		rc = queue_activation(db, cfg, u);
	if (rc == AC_OK)
		memcpy(id, u->id, 37);
	user_free(u);
	return finish(db, rc);
}

/* UPDATE ... WHERE is_active = 0 inside the open transaction; AC_EDENIED when no row changed. */
static int set_active(struct db *db, const char *id)
{
	sqlite3_stmt *st;
	char hex[33];
	int rc;

	if (sec_uuid_to_db(id, hex) != AC_OK)
		return AC_EINTERNAL;
	rc = db_prepare(db, "UPDATE users_user SET is_active = 1 WHERE id = ?1 AND is_active = 0", &st);
	if (rc != AC_OK)
		return rc;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, rc, "activate user");
	return sqlite3_changes(db_handle(db)) == 1 ? AC_OK : AC_EDENIED;
}

int signup_activate(struct db *db, const struct cfg *cfg, const char *id, const char *token)
{
	struct user *u = NULL;
	struct tok_user t;
	int rc;

	/* The row the token is checked against is the row the UPDATE changes. */
	rc = db_begin(db);
	if (rc != AC_OK)
		return rc;
	rc = user_by_id(db, id, &u);
	if (rc == AC_ENOTFOUND || (rc == AC_OK && u->is_active))
		rc = AC_EDENIED;
	if (rc == AC_OK) {
		token_user(u, &t);
		rc = tok_check(cfg->secret_key, cfg->secret_key_len, TOK_ACTIVATION, &t, token,
			       tok_now(), cfg->token_expiration) == AC_OK ? AC_OK : AC_EDENIED;
	}
	if (rc == AC_OK)
		rc = set_active(db, u->id);
	user_free(u);
	return finish(db, rc);
}

int signup_regenerate(struct db *db, const struct cfg *cfg, const char *email, char id[37])
{
	struct user *u = NULL;
	int rc;

	id[0] = '\0';
	rc = db_begin(db);
	if (rc != AC_OK)
		return rc;
	rc = user_by_email(db, email, &u);
	if (rc == AC_OK && u->is_active)
		rc = AC_ENOTFOUND;
	if (rc == AC_OK)
		rc = queue_activation(db, cfg, u);
	if (rc == AC_OK)
		memcpy(id, u->id, 37);
	user_free(u);
	return finish(db, rc);
}
