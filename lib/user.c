/* Users and profiles (users_user, user_profile): lookup, login bookkeeping, the user JSON. */
#include "user.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void user_free(struct user *u)
{
	if (!u)
		return;
	free(u->password);
	free(u->last_login);
	free(u->first_name);
	free(u->last_name);
	free(u->date_joined);
	free(u->email);
	free(u->thumbnail);
	free(u->phone_number);
	free(u->github_link);
	free(u->birth_date);
	free(u);
}

/* A copy of cell (row, i), or NULL for SQL NULL; *oom set when the copy failed. */
static char *col(const struct db_rows *r, size_t row, size_t i, int *oom)
{
	const char *t = db_cell(r, row, i);
	char *s;

	if (!t)
		return NULL;
	s = strdup(t);
	if (!s)
		*oom = 1;
	return s;
}

static int flag(const struct db_rows *r, size_t row, size_t i)
{
	const char *t = db_cell(r, row, i);

	return t && strcmp(t, "0") != 0;
}

/* Row `row` of a statement that returns the user columns (db.h: Q_USER_BY_*). */
static int row_to_user(const struct db_rows *r, size_t row, struct user **out)
{
	struct user *u = calloc(1, sizeof *u);
	const char *id, *pid;
	int oom = 0;

	if (!u)
		return AC_ENOMEM;
	u->password = col(r, row, 0, &oom);
	u->last_login = col(r, row, 1, &oom);
	u->is_superuser = flag(r, row, 2);
	u->first_name = col(r, row, 3, &oom);
	u->last_name = col(r, row, 4, &oom);
	u->is_staff = flag(r, row, 5);
	u->is_active = flag(r, row, 6);
	u->date_joined = col(r, row, 7, &oom);
	id = db_cell(r, row, 8);
	u->email = col(r, row, 9, &oom);
	u->thumbnail = col(r, row, 10, &oom);
	pid = db_cell(r, row, 11);
	u->phone_number = col(r, row, 12, &oom);
	u->github_link = col(r, row, 13, &oom);
	u->birth_date = col(r, row, 14, &oom);
	if (oom || !u->password || !u->email || !u->date_joined) {
		user_free(u);
		return oom ? AC_ENOMEM : AC_EINTERNAL;
	}
	if (!u->first_name)
		u->first_name = strdup("");
	if (!u->last_name)
		u->last_name = strdup("");
	if (!u->first_name || !u->last_name || !id || sec_uuid_from_db(id, u->id) != AC_OK) {
		log_error("users_user row with a malformed id or missing names");
		user_free(u);
		return AC_EINTERNAL;
	}
	if (pid && sec_uuid_from_db(pid, u->profile_id) == AC_OK)
		u->has_profile = 1;
	*out = u;
	return AC_OK;
}

static int fetch_one(struct db *db, enum db_q q, const char *arg, struct user **out)
{
	struct db_rows r;
	int rc;

	*out = NULL;
	rc = db_run(db, q, 1, &arg, &r, NULL);
	if (rc != AC_OK)
		return rc;
	rc = r.n ? row_to_user(&r, 0, out) : AC_ENOTFOUND;
	db_rows_clear(&r);
	return rc;
}

int user_by_email(struct db *db, const char *email, struct user **out)
{
	return fetch_one(db, Q_USER_BY_EMAIL, email, out);
}

int user_by_id(struct db *db, const char *id, struct user **out)
{
	char hex[33];

	*out = NULL;
	if (sec_uuid_to_db(id, hex) != AC_OK)
		return AC_ENOTFOUND;
	return fetch_one(db, Q_USER_BY_ID, hex, out);
}

int user_insert_profile(struct db *db, const char *user_hex, const char *phone_number,
			const char *github_link, const char *birth_date, char profile_id[37])
{
	char pid[37], pid_hex[33];
	const char *params[5];
	int rc;

	if (sec_uuid4(pid) != AC_OK || sec_uuid_to_db(pid, pid_hex) != AC_OK)
		return AC_EINTERNAL;
	params[0] = pid_hex;
	params[1] = phone_number;
	params[2] = github_link;
	params[3] = birth_date;
	params[4] = user_hex;
	rc = db_run(db, Q_PROFILE_INSERT, 5, params, NULL, NULL);
	if (rc == AC_OK && profile_id)
		memcpy(profile_id, pid, sizeof pid);
	return rc;
}

struct ensure_profile {
	struct user *u;
	const char *hex;
};

static int ensure_profile_tx(struct db *db, void *arg)
{
	struct ensure_profile *e = arg;
	struct user *fresh;
	int rc = fetch_one(db, Q_USER_BY_ID, e->hex, &fresh);

	if (rc == AC_OK && fresh->has_profile) {
		memcpy(e->u->profile_id, fresh->profile_id, sizeof e->u->profile_id);
	} else if (rc == AC_OK) {
		rc = user_insert_profile(db, e->hex, NULL, NULL, NULL, e->u->profile_id);
		/* a concurrent request created it first: read it back in the next request */
		if (rc == AC_ECONFLICT)
			rc = AC_EUNAVAIL;
	}
	user_free(fresh);
	return rc;
}

int user_ensure_profile(struct db *db, struct user *u)
{
	char hex[33];
	struct ensure_profile e = { u, hex };
	int rc;

	if (u->has_profile)
		return AC_OK;
	if (sec_uuid_to_db(u->id, hex) != AC_OK)
		return AC_EINTERNAL;
	rc = db_tx(db, ensure_profile_tx, &e);
	if (rc == AC_OK)
		u->has_profile = 1;
	return rc;
}

struct record_login {
	const char *hex, *now, *new_hash, *old_hash;
	long changes;
	int (*first)(struct db *db, void *arg);
	void *first_arg;
};

static int record_login_tx(struct db *db, void *arg)
{
	struct record_login *l = arg;
	int rc = l->first ? l->first(db, l->first_arg) : AC_OK;

	l->changes = 0;
	if (rc == AC_OK && l->new_hash) {
		const char *p[3] = { l->new_hash, l->hex, l->old_hash };

		rc = db_run(db, Q_USER_SET_PASSWORD, 3, p, NULL, &l->changes);
	}
	if (rc == AC_OK) {
		const char *p[2] = { l->now, l->hex };

		rc = db_run(db, Q_USER_SET_LAST_LOGIN, 2, p, NULL, NULL);
	}
	return rc;
}

int user_record_login(struct db *db, struct user *u, const char *new_hash, int *upgraded)
{
	return user_record_login_with(db, u, new_hash, upgraded, NULL, NULL);
}

int user_record_login_with(struct db *db, struct user *u, const char *new_hash, int *upgraded,
			   int (*first)(struct db *db, void *arg), void *arg)
{
	char hex[33], now[TM_BUF];
	struct record_login l = { hex, now, new_hash, u->password, 0, first, arg };
	int rc;

	*upgraded = 0;
	if (sec_uuid_to_db(u->id, hex) != AC_OK)
		return AC_EINTERNAL;
	tm_db_now(now);
	rc = db_tx(db, record_login_tx, &l);
	if (rc != AC_OK)
		return rc;
	if (l.changes == 1) {
		char *copy = strdup(new_hash);

		if (!copy)
			return AC_ENOMEM;
		free(u->password);
		u->password = copy;
		*upgraded = 1;
	}
	free(u->last_login);
	u->last_login = strdup(now);
	return u->last_login ? AC_OK : AC_ENOMEM;
}

int user_insert(struct db *db, const char *email, const char *first_name, const char *last_name,
		const char *password_hash, struct user **out)
{
	char id[37], hex[33], now[TM_BUF];
	const char *p[6];
	int rc;

	*out = NULL;
	if (sec_uuid4(id) != AC_OK || sec_uuid_to_db(id, hex) != AC_OK)
		return AC_EINTERNAL;
	tm_db_now(now);
	p[0] = password_hash;
	p[1] = first_name;
	p[2] = last_name;
	p[3] = now;
	p[4] = hex;
	p[5] = email;
	rc = db_run(db, Q_USER_INSERT, 6, p, NULL, NULL);
	if (rc != AC_OK)
		return rc;
	rc = user_insert_profile(db, hex, NULL, NULL, NULL, NULL);
	if (rc != AC_OK)
		return rc == AC_ECONFLICT ? AC_EINTERNAL : rc;
	return fetch_one(db, Q_USER_BY_ID, hex, out);
}

int user_delete_abandoned(struct db *db, const char *email, const char *joined_before)
{
	const char *p[2] = { email, joined_before };
	struct db_rows r;
	int rc = db_run(db, Q_USER_ABANDONED, 2, p, &r, NULL);

	for (size_t i = 0; rc == AC_OK && i < r.n; i++) {
		const char *id = db_cell(&r, i, 0), *old = db_cell(&r, i, 1);

		rc = db_run(db, Q_MAIL_DELETE_TO, 1, &old, NULL, NULL);
		if (rc == AC_OK)
			rc = db_run(db, Q_PROFILE_DELETE, 1, &id, NULL, NULL);
		if (rc == AC_OK)
			rc = db_run(db, Q_USER_DELETE, 1, &id, NULL, NULL);
	}
	db_rows_clear(&r);
	return rc;
}

int user_set_password(struct db *db, const char *id, const char *old_hash, const char *new_hash)
{
	char hex[33];
	const char *p[3];
	long changes = 0;
	int rc;

	if (sec_uuid_to_db(id, hex) != AC_OK)
		return AC_EINTERNAL;
	p[0] = new_hash;
	p[1] = hex;
	p[2] = old_hash;
	rc = db_run(db, Q_USER_SET_PASSWORD, 3, p, NULL, &changes);
	if (rc != AC_OK)
		return rc;
	return changes == 1 ? AC_OK : AC_ECONFLICT;
}

int user_set_active(struct db *db, const char *id, int active)
{
	char hex[33];
	const char *p[2];
	long changes = 0;
	int rc;

	if (sec_uuid_to_db(id, hex) != AC_OK)
		return AC_EINTERNAL;
	p[0] = active ? "1" : "0";
	p[1] = hex;
	rc = db_run(db, Q_USER_SET_ACTIVE, 2, p, NULL, &changes);
	if (rc != AC_OK)
		return rc;
	return changes == 1 ? AC_OK : AC_ENOTFOUND;
}

int user_set_flags(struct db *db, const char *id, int active, int staff, int superuser)
{
	char hex[33];
	const char *p[4];
	long changes = 0;
	int rc;

	if (sec_uuid_to_db(id, hex) != AC_OK)
		return AC_EINTERNAL;
	p[0] = active ? "1" : "0";
	p[1] = staff ? "1" : "0";
	p[2] = superuser ? "1" : "0";
	p[3] = hex;
	rc = db_run(db, Q_USER_SET_FLAGS, 4, p, NULL, &changes);
	if (rc != AC_OK)
		return rc;
	return changes == 1 ? AC_OK : AC_ENOTFOUND;
}

int user_each(struct db *db, int (*fn)(const struct user *u, void *arg), void *arg)
{
	struct db_rows r;
	int rc = db_run(db, Q_USER_LIST, 0, NULL, &r, NULL);

	for (size_t i = 0; rc == AC_OK && i < r.n; i++) {
		struct user *u;

		rc = row_to_user(&r, i, &u);
		if (rc != AC_OK)
			break;
		if (fn(u, arg))
			i = r.n;
		user_free(u);
	}
	db_rows_clear(&r);
	return rc;
}

char *user_media_url(const struct cfg *cfg, const char *name)
{
	static const char keep[] = "-._~/!*()'";
	size_t base = strlen(cfg->media_url), n = strlen(name);
	char *out = malloc(base + 3 * n + 1), *w;

	if (!out)
		return NULL;
	memcpy(out, cfg->media_url, base);
	w = out + base;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr(keep, *p)) {
			*w++ = (char)*p;
		} else {
			static const char hex[] = "0123456789ABCDEF";

			*w++ = '%';
			*w++ = hex[*p >> 4];
			*w++ = hex[*p & 15];
		}
	}
	*w = '\0';
	return out;
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

cJSON *user_to_json(const struct user *u, const struct cfg *cfg)
{
	cJSON *o = cJSON_CreateObject(), *p = cJSON_CreateObject();
	char joined[TM_BUF];
	char *thumb = NULL;
	int ok;

	if (tm_json_from_db(u->date_joined, joined) != AC_OK)
		snprintf(joined, sizeof joined, "%s", u->date_joined);
	if (u->thumbnail && *u->thumbnail)
		thumb = user_media_url(cfg, u->thumbnail);
	ok = o && p &&
	     cJSON_AddStringToObject(o, "id", u->id) &&
	     cJSON_AddStringToObject(o, "email", u->email) &&
	     cJSON_AddStringToObject(o, "first_name", u->first_name) &&
	     cJSON_AddStringToObject(o, "last_name", u->last_name) &&
	     cJSON_AddBoolToObject(o, "is_staff", u->is_staff) &&
	     cJSON_AddBoolToObject(o, "is_active", u->is_active) &&
	     cJSON_AddStringToObject(o, "date_joined", joined) &&
	     (!(u->thumbnail && *u->thumbnail) || thumb) &&
	     cJSON_AddItemToObject(o, "thumbnail", str_or_null(thumb)) &&
	     cJSON_AddStringToObject(p, "id", u->has_profile ? u->profile_id : "") &&
	     cJSON_AddStringToObject(p, "user_id", u->id) &&
	     cJSON_AddItemToObject(p, "phone_number", str_or_null(u->phone_number)) &&
	     cJSON_AddItemToObject(p, "github_link", str_or_null(u->github_link)) &&
	     cJSON_AddItemToObject(p, "birth_date", str_or_null(u->birth_date));
	free(thumb);
	if (!ok || !cJSON_AddItemToObject(o, "profile", p)) {
		cJSON_Delete(o);
		cJSON_Delete(p);
		return NULL;
	}
	return o;
}
