/* The store: one small interface over two engines (SQLite, PostgreSQL), chosen by DATABASE_URL. */
#ifndef AUTHCGI_DB_H
#define AUTHCGI_DB_H

#include <stddef.h>
#include "cfg.h"

struct db;

/*
 * Every statement the service runs, by name. Each engine holds the SQL of each one in a single
 * table (lib/db/sqlite.c, lib/db/postgres.c), so the SQL of an operation is in one place per
 * engine. Parameters and columns are text in SQLite's representation (API.md §2.1): ids as 32
 * hex digits, booleans as "0"/"1", datetimes as naive UTC "YYYY-MM-DD HH:MM:SS[.ffffff]";
 * the PostgreSQL engine converts to and from its native types in its SQL.
 */
enum db_q {
	Q_USER_BY_EMAIL,          /* (email) -> user columns (see USER_COLUMNS in user.c) */
	Q_USER_BY_ID,             /* (id) -> user columns */
	Q_USER_LIST,              /* () -> user columns, by date_joined, email */
	Q_USER_INSERT,            /* (password, first_name, last_name, date_joined, id, email) */
	Q_USER_SET_PASSWORD,      /* (new, id, old): only while the hash is still old */
	Q_USER_SET_LAST_LOGIN,    /* (when, id) */
	Q_USER_SET_ACTIVE,        /* (0|1, id) */
	Q_USER_ACTIVATE,          /* (id): 0 -> 1 only */
	Q_USER_SET_FLAGS,         /* (active, staff, superuser, id) */
	Q_USER_THUMBNAIL,         /* (id) -> thumbnail */
	Q_USER_UPDATE,            /* (first_name, last_name, thumbnail, id); NULL keeps a column */
	Q_USER_ABANDONED,         /* (email, joined_before) -> id, email: inactive, never logged in */
	Q_USER_DELETE,            /* (id) */
	Q_PROFILE_INSERT,         /* (id, phone_number, github_link, birth_date, user_id) */
	Q_PROFILE_UPDATE,         /* (phone_number, github_link, birth_date, user_id); NULL keeps */
	Q_PROFILE_DELETE,         /* (user_id) */
	Q_SERIES_LIST,            /* () -> id, name, image, in table order */
	Q_SERIES_ARTICLES,        /* (series_id) -> id, title, url, in table order */
	Q_MAIL_INSERT,            /* (created_at, not_after, recipient, subject, body_text, body_html) */
	Q_MAIL_DELETE_TO,         /* (recipient): every queued mail to the address */
	Q_MAIL_DROP_EXPIRED,      /* (now) -> id, recipient, attempts */
	Q_MAIL_CLAIM,             /* (lease, cutoff, now, max) -> id */
	Q_MAIL_TAKE,              /* (new_lease, id, lease) -> recipient, subject, body_text,
				     body_html, attempts, not_after */
	Q_MAIL_RELEASE,           /* (now, id, lease) */
	Q_MAIL_DELETE,            /* (id) */
	Q_MAIL_FAIL,              /* (attempts, error, next_attempt_at, id, lease) */
	Q_MAIL_DEAD,              /* (id, lease) */
	Q_TFA_GET,                /* (user_id) -> secret, confirmed 0|1, last_step, unused codes */
	Q_TFA_SETUP,              /* (user_id, secret, created_at): insert, or replace unconfirmed */
	Q_TFA_CONFIRM,            /* (user_id, confirmed_at, step, secret): while unconfirmed */
	Q_TFA_STEP,               /* (user_id, step): confirmed, and only to a greater step */
	Q_TFA_DELETE,             /* (user_id) */
	Q_TFA_CODES_DELETE,       /* (user_id) */
	Q_TFA_CODE_INSERT,        /* (user_id, code_hash) */
	Q_TFA_CODE_USE,           /* (user_id, code_hash, used_at): an unused one only */
	Q_TABLE_EXISTS,           /* (name) -> one row when that table exists (Django's, §12.1) */
	Q_USER_GROUPS_DELETE,     /* (user_id): Django's users_user_groups rows of the user */
	Q_USER_PERMS_DELETE,      /* (user_id): Django's users_user_user_permissions rows */
	Q__MAX
};

/* The rows a statement returned: every cell a NUL-terminated copy, or NULL for SQL NULL. */
struct db_rows {
	size_t n, cols;
	char **cell;              /* n * cols entries, row-major */
};
/* Cell (row, col), or NULL for SQL NULL or out of range. */
const char *db_cell(const struct db_rows *r, size_t row, size_t col);
/* Frees the cells; the struct itself may live on the stack. Accepts an empty struct. */
void db_rows_clear(struct db_rows *r);

/*
 * Opens the store that cfg names (SQLite file or PostgreSQL URL). The SQLite file is never
 * created here (run `authctl migrate` first). Returns 0 and a handle to free with db_close();
 * AC_EUNAVAIL when the database cannot be reached; AC_EINTERNAL for an engine this build lacks.
 */
int db_open(const struct cfg *cfg, struct db **out);
/* Like db_open, but creates a missing SQLite file in WAL mode (authctl migrate). */
int db_open_create(const struct cfg *cfg, struct db **out);
void db_close(struct db *db);
/* "sqlite" or "postgres". */
const char *db_engine_name(const struct db *db);

/*
 * Runs q with n text parameters (NULL binds SQL NULL). rows (may be NULL) receives what the
 * statement returns, changes (may be NULL) the number of rows it inserted, updated or deleted.
 * Returns 0, AC_ECONFLICT for a constraint violation, AC_EUNAVAIL when the database is busy,
 * unreachable or timing out, AC_ERETRY (only inside db_tx) for a serialization failure or a
 * deadlock, else AC_EINTERNAL; details are logged.
 */
int db_run(struct db *db, enum db_q q, size_t n, const char *const *params, struct db_rows *rows,
	   long *changes);

/*
 * Runs fn(db, arg) in one write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ
 * COMMITTED with a 5 s statement_timeout) and commits when it returns 0, else rolls back and
 * returns its code. A serialization failure or deadlock runs the whole transaction again, up to
 * 3 times, then gives AC_EUNAVAIL. fn must therefore have no effect outside the database.
 */
int db_tx(struct db *db, int (*fn)(struct db *db, void *arg), void *arg);

/* Applies the engine's embedded migrations not applied yet, in one transaction. */
int db_migrate(struct db *db, unsigned *applied);

#endif
