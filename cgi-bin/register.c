/* POST /users/register/ — creates an inactive account and queues its activation e-mail (API.md §7.1). */
#include "cred.h"
#include "email.h"
#include "endpoint.h"
#include "err.h"
#include "quota.h"
#include "log.h"
#include "pw.h"
#include "rl.h"
#include "signup.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_CHARS 150
#define MSG_EXISTS "A user with that email address already exists"
#define MSG_CREATED                                                                              \
	"Your account was created successfully. Check your email address to activate your account " \
	"as we just sent you an activation link. Ensure you activate your account before the link "  \
	"expires"

static const char *const fields[] = { "email", "first_name", "last_name", "password" };

/* Steps 1 to 5: 0 when the request is acceptable, else AC_EINVAL with the 400 set. */
static int validate(struct ctx *c, char email[EMAIL_MAX + 1])
{
	const char *password = c->field[3];
	char reason[160];
	int rc;

	if (!c->field[0] || !c->field[1] || !c->field[2] || !password)
		rc = resp_error(&c->resp, 400,
				"All fields are required: email, first_name, last_name, password");
	else if (email_normalize(c->field[0], email) != AC_OK)
		rc = resp_error(&c->resp, 400, "Enter a valid email address.");
	else if (utf8_chars(c->field[1], strlen(c->field[1])) > NAME_MAX_CHARS)
		rc = resp_error(&c->resp, 400, "first_name must be at most 150 characters");
	else if (utf8_chars(c->field[2], strlen(c->field[2])) > NAME_MAX_CHARS)
		rc = resp_error(&c->resp, 400, "last_name must be at most 150 characters");
	else {
		rc = pw_policy_check(password, strlen(password), email, c->cfg->password_min_length,
				     c->cfg->common_passwords_file, reason, sizeof reason);
		if (rc == AC_OK)
			return AC_OK;
		if (rc != AC_EINVAL)
			return rc;
		rc = resp_error(&c->resp, 400, reason);
	}
	return rc == AC_OK ? AC_EINVAL : rc;
}

static int handle(struct ctx *c)
{
	char email[EMAIL_MAX + 1], id[37];
	struct user *existing = NULL;
	char *hash = NULL;
	struct db *db;
	int rc;

	rc = validate(c, email);
	if (rc != AC_OK)
		return rc == AC_EINVAL ? AC_OK : rc;
	rc = ctx_hit_limits(c, &c->cfg->rl_register_addr, RL_REGISTER_ADDR, email);
	if (rc != AC_OK)
		return rc == AC_ELIMIT ? AC_OK : rc;
	rc = ctx_db(c, &db);
	if (rc != AC_OK)
		return rc;
	/* The shortcut before hashing; the unique index still decides races below. */
	rc = user_by_email(db, email, &existing);
	if (rc == AC_OK && !signup_abandoned(existing, c->cfg)) {
		user_free(existing);
		return resp_error(&c->resp, 400, MSG_EXISTS);
	}
	user_free(existing);
	if (rc == AC_OK)
		rc = AC_ENOTFOUND;   /* abandoned: signup_create replaces it */
	if (rc != AC_ENOTFOUND)
		return rc;
	rc = cred_hash(c, c->field[3], &hash);
	if (rc != AC_OK)
		return rc;
	rc = signup_create(db, c->cfg, email, c->field[1], c->field[2], hash, id);
	free(hash);
	if (rc == AC_ECONFLICT)
		return resp_error(&c->resp, 400, MSG_EXISTS);
	if (rc != AC_OK)
		return rc;
	log_info("register: user %s addr %s", id, c->req.client_known ? c->req.client_ip : "unknown");
	return resp_message(&c->resp, 201, MSG_CREATED);
}

static const struct endpoint reg = {
	.name = "register",
	.methods = REQ_POST,
	.body = EP_BODY_JSON,
	.body_cap = 16 * 1024,
	.session = EP_SESSION_NONE,
	.fields = fields,
	.n_fields = 4,
	.handle = handle,
};

int main(void)
{
	return ep_main(&reg);
}
