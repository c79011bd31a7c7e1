/* Users and profiles in SQLite (users_user, user_profile): lookup, login bookkeeping, the user JSON. */
#include "user.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_COLUMNS                                                                      \
	"SELECT u.password, u.last_login, u.is_superuser, u.first_name, u.last_name, "   \
	"u.is_staff, u.is_active, u.date_joined, u.id, u.email, u.thumbnail, p.id, "      \
	"p.phone_number, p.github_link, p.birth_date "                                    \
	"FROM users_user u LEFT JOIN user_profile p ON p.user_id = u.id "

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

/* A copy of a text column, or NULL for SQL NULL; *oom set when the copy failed. */
static char *col(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *s;

	if (!t)
		return NULL;
	s = strdup((const char *)t);
	if (!s)
		*oom = 1;
	return s;
}

static int row_to_user(sqlite3_stmt *st, struct user **out)
{
	struct user *u = calloc(1, sizeof *u);
	const unsigned char *id, *pid;
	int oom = 0;

	if (!u)
		return AC_ENOMEM;
	u->password = col(st, 0, &oom);
	u->last_login = col(st, 1, &oom);
	u->is_superuser = sqlite3_column_int(st, 2);
	u->first_name = col(st, 3, &oom);
	u->last_name = col(st, 4, &oom);
	u->is_staff = sqlite3_column_int(st, 5);
	u->is_active = sqlite3_column_int(st, 6);
	u->date_joined = col(st, 7, &oom);
	id = sqlite3_column_text(st, 8);
	u->email = col(st, 9, &oom);
	u->thumbnail = col(st, 10, &oom);
	pid = sqlite3_column_text(st, 11);
	u->phone_number = col(st, 12, &oom);
	u->github_link = col(st, 13, &oom);
	u->birth_date = col(st, 14, &oom);
	if (oom || !u->password || !u->email || !u->date_joined) {
		user_free(u);
		return oom ? AC_ENOMEM : AC_EINTERNAL;
	}
	if (!u->first_name)
		u->first_name = strdup("");
	if (!u->last_name)
		u->last_name = strdup("");
	if (!u->first_name || !u->last_name || !id ||
	    sec_uuid_from_db((const char *)id, u->id) != AC_OK) {
		log_error("users_user row with a malformed id or missing names");
		user_free(u);
		return AC_EINTERNAL;
	}
	if (pid && sec_uuid_from_db((const char *)pid, u->profile_id) == AC_OK)
		u->has_profile = 1;
	*out = u;
	return AC_OK;
}

static int fetch_one(struct db *db, const char *sql, const char *arg, struct user **out)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	rc = db_prepare(db, sql, &st);
	if (rc != AC_OK)
		return rc;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = row_to_user(st, out);
	else if (rc == SQLITE_DONE)
		rc = AC_ENOTFOUND;
	else
		rc = db_fail(db, rc, "select user");
	sqlite3_finalize(st);
	return rc;
}

int user_by_email(struct db *db, const char *email, struct user **out)
{
	return fetch_one(db, USER_COLUMNS "WHERE u.email = ?1 COLLATE NOCASE", email, out);
}

int user_by_id(struct db *db, const char *id, struct user **out)
{
	char hex[33];

	*out = NULL;
	if (sec_uuid_to_db(id, hex) != AC_OK)
		return AC_ENOTFOUND;
	return fetch_one(db, USER_COLUMNS "WHERE u.id = ?1", hex, out);
}

/* Runs a statement with text parameters (NULL binds SQL NULL); returns 0 and the change count. */
static int exec_params(struct db *db, const char *sql, int n, const char *const *params, int *changes)
{
	sqlite3_stmt *st;
	int rc = db_prepare(db, sql, &st);

	if (rc != AC_OK)
		return rc;
	for (int i = 0; i < n; i++) {
		if (params[i])
			sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, i + 1);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, rc, "write");
	if (changes)
		*changes = sqlite3_changes(db_handle(db));
	return AC_OK;
}

static int insert_profile(struct db *db, const char *user_hex, char profile_id[37])
{
	char pid[37], pid_hex[33];
	const char *params[2];
	int rc;

	if (sec_uuid4(pid) != AC_OK || sec_uuid_to_db(pid, pid_hex) != AC_OK)
		return AC_EINTERNAL;
	params[0] = pid_hex;
	params[1] = user_hex;
	rc = exec_params(db,
			 "INSERT INTO user_profile (id, phone_number, github_link, birth_date, user_id) "
			 "VALUES (?1, NULL, NULL, NULL, ?2)",
			 2, params, NULL);
	if (rc == AC_OK)
		memcpy(profile_id, pid, sizeof pid);
	return rc;
}

int user_ensure_profile(struct db *db, struct user *u)
{
	char hex[33];
	struct user *fresh;
	int rc;

	if (u->has_profile)
		return AC_OK;
	if (sec_uuid_to_db(u->id, hex) != AC_OK)
		return AC_EINTERNAL;
	rc = db_begin(db);
	if (rc != AC_OK)
		return rc;
	rc = fetch_one(db, USER_COLUMNS "WHERE u.id = ?1", hex, &fresh);
	if (rc == AC_OK && fresh->has_profile) {
		memcpy(u->profile_id, fresh->profile_id, sizeof u->profile_id);
		u->has_profile = 1;
		user_free(fresh);
		db_rollback(db);
		return AC_OK;
	}
	user_free(fresh);
	if (rc == AC_OK)
		rc = insert_profile(db, hex, u->profile_id);
	if (rc == AC_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	if (rc == AC_OK)
		u->has_profile = 1;
	return rc;
}

int user_record_login(struct db *db, struct user *u, const char *new_hash, int *upgraded)
{
	char hex[33], now[TM_BUF];
	int rc, changes = 0;

	*upgraded = 0;
	if (sec_uuid_to_db(u->id, hex) != AC_OK)
		return AC_EINTERNAL;
	tm_db_now(now);
	rc = db_begin(db);
	if (rc != AC_OK)
		return rc;
	if (new_hash) {
		const char *p[3] = { new_hash, hex, u->password };

		rc = exec_params(db, "UPDATE users_user SET password = ?1 WHERE id = ?2 AND password = ?3",
				 3, p, &changes);
	}
	if (rc == AC_OK) {
		const char *p[2] = { now, hex };

		rc = exec_params(db, "UPDATE users_user SET last_login = ?1 WHERE id = ?2", 2, p, NULL);
	}
	if (rc == AC_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	if (rc != AC_OK)
		return rc;
	if (changes == 1) {
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
	char id[37], hex[33], now[TM_BUF], pid[37];
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
	rc = exec_params(db,
			 "INSERT INTO users_user (password, last_login, is_superuser, first_name, "
			 "last_name, is_staff, is_active, date_joined, id, email, thumbnail) "
			 "VALUES (?1, NULL, 0, ?2, ?3, 0, 0, ?4, ?5, ?6, NULL)",
			 6, p, NULL);
	if (rc != AC_OK)
		return rc;
	rc = insert_profile(db, hex, pid);
	if (rc != AC_OK)
		return rc == AC_ECONFLICT ? AC_EINTERNAL : rc;
	return fetch_one(db, USER_COLUMNS "WHERE u.id = ?1", hex, out);
}

int user_set_password(struct db *db, const char *id, const char *old_hash, const char *new_hash)
{
	char hex[33];
	const char *p[3];
	int rc, changes = 0;

	if (sec_uuid_to_db(id, hex) != AC_OK)
		return AC_EINTERNAL;
	p[0] = new_hash;
	p[1] = hex;
	p[2] = old_hash;
	rc = exec_params(db, "UPDATE users_user SET password = ?1 WHERE id = ?2 AND password = ?3", 3,
			 p, &changes);
	if (rc != AC_OK)
		return rc;
	return changes == 1 ? AC_OK : AC_ECONFLICT;
}

int user_set_active(struct db *db, const char *id, int active)
{
	char hex[33];
	const char *p[2];
	int rc, changes = 0;

	if (sec_uuid_to_db(id, hex) != AC_OK)
		return AC_EINTERNAL;
	p[0] = active ? "1" : "0";
	p[1] = hex;
	rc = exec_params(db, "UPDATE users_user SET is_active = CAST(?1 AS INTEGER) WHERE id = ?2", 2,
			 p, &changes);
	if (rc != AC_OK)
		return rc;
	return changes == 1 ? AC_OK : AC_ENOTFOUND;
}

int user_set_flags(struct db *db, const char *id, int active, int staff, int superuser)
{
	char hex[33];
	const char *p[4];
	int rc, changes = 0;

	if (sec_uuid_to_db(id, hex) != AC_OK)
		return AC_EINTERNAL;
	p[0] = active ? "1" : "0";
	p[1] = staff ? "1" : "0";
	p[2] = superuser ? "1" : "0";
	p[3] = hex;
	rc = exec_params(db,
			 "UPDATE users_user SET is_active = CAST(?1 AS INTEGER), "
			 "is_staff = CAST(?2 AS INTEGER), is_superuser = CAST(?3 AS INTEGER) WHERE id = ?4",
			 4, p, &changes);
	if (rc != AC_OK)
		return rc;
	return changes == 1 ? AC_OK : AC_ENOTFOUND;
}

int user_each(struct db *db, int (*fn)(const struct user *u, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int rc = db_prepare(db, USER_COLUMNS "ORDER BY u.date_joined, u.email", &st);

	if (rc != AC_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct user *u;
		int stop;

		rc = row_to_user(st, &u);
		if (rc != AC_OK)
			break;
		stop = fn(u, arg);
		user_free(u);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc == SQLITE_DONE)
		rc = AC_OK;
	else if (rc > 0)
		rc = db_fail(db, rc, "list users");
	sqlite3_finalize(st);
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
