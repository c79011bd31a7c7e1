/* Users and profiles (users_user, user_profile): lookup, login bookkeeping, the user JSON. */
#ifndef AUTHCGI_USER_H
#define AUTHCGI_USER_H

#include <cjson/cJSON.h>
#include "cfg.h"
#include "db/db.h"

/* One users_user row with its profile. Every string is owned; user_free() frees them. */
struct user {
	char id[37];             /* hyphenated UUID */
	char *password;
	char *last_login;        /* NULL when never */
	int is_superuser;
	char *first_name;
	char *last_name;
	int is_staff;
	int is_active;
	char *date_joined;
	char *email;
	char *thumbnail;         /* NULL or "" when none */
	int has_profile;
	char profile_id[37];
	char *phone_number;      /* NULL when NULL */
	char *github_link;
	char *birth_date;
};

/* Case-insensitive lookup of the whole address. 0 with *out (free with user_free), AC_ENOTFOUND, or db errors. */
int user_by_email(struct db *db, const char *email, struct user **out);
/* Lookup by hyphenated UUID. Same returns as user_by_email. */
int user_by_id(struct db *db, const char *id, struct user **out);
void user_free(struct user *u);

/* Creates the profile row (all NULL) when the user has none. 0 or a db error. */
int user_ensure_profile(struct db *db, struct user *u);

/*
 * Records a successful login in one transaction: sets last_login to now and, when
 * new_hash is not NULL, rewrites the password conditionally on the hash just verified
 * (§2.7). Updates u to match what was stored. *upgraded is 1 when the hash was rewritten.
 */
int user_record_login(struct db *db, struct user *u, const char *new_hash, int *upgraded);
/*
 * The same, running first(db, arg) at the start of that transaction (the second factor of
 * §11.4): when it returns an error nothing is written and that error is returned.
 */
int user_record_login_with(struct db *db, struct user *u, const char *new_hash, int *upgraded,
			   int (*first)(struct db *db, void *arg), void *arg);

/*
 * Inserts a new inactive user and its empty profile inside the caller's open transaction.
 * Fills u (caller frees its strings with user_free or owns a stack struct via user_clear).
 * Returns 0, AC_ECONFLICT when the address is taken, or a db error.
 */
int user_insert(struct db *db, const char *email, const char *first_name, const char *last_name,
		const char *password_hash, struct user **out);

/*
 * Inserts a profile row for the user whose id is user_hex (32 hex digits) inside the caller's
 * transaction; NULL fields stay NULL. profile_id (may be NULL) gets the new hyphenated id.
 */
int user_insert_profile(struct db *db, const char *user_hex, const char *phone_number,
			const char *github_link, const char *birth_date, char profile_id[37]);

/*
 * Inside the caller's transaction: deletes the abandoned registration of email (inactive,
 * never logged in, joined before joined_before, a stored datetime), with its profile and its
 * queued e-mails (API.md §7.1). 0 also when there is none.
 */
int user_delete_abandoned(struct db *db, const char *email, const char *joined_before);

/* Sets the password conditionally on the old hash, inside the caller's transaction. AC_ECONFLICT if no row changed. */
int user_set_password(struct db *db, const char *id, const char *old_hash, const char *new_hash);
/* Sets is_active for an account (authctl). AC_ENOTFOUND when no row changed. */
int user_set_active(struct db *db, const char *id, int active);
/* Sets is_active, is_staff and is_superuser together (authctl createuser/createsuperuser). */
int user_set_flags(struct db *db, const char *id, int active, int staff, int superuser);
/* Calls fn for every user in date_joined order; stops early when fn returns non-zero. */
int user_each(struct db *db, int (*fn)(const struct user *u, void *arg), void *arg);

/* The user JSON of API.md §3. Returns a new cJSON object or NULL on allocation failure. */
cJSON *user_to_json(const struct user *u, const struct cfg *cfg);
/* MEDIA_URL + the stored name, percent-encoded except unreserved and "/~!*()'" (§3). malloc'd. */
char *user_media_url(const struct cfg *cfg, const char *name);

#endif
