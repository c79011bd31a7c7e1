/* The SQLite engine: WAL, busy timeout, BEGIN IMMEDIATE, error mapping, and the SQL of every statement. */
#include "engine.h"
#include "err.h"
#include "log.h"
#include "migrations.h"
#include "timefmt.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USER_COLUMNS                                                                       \
	"SELECT u.password, u.last_login, u.is_superuser, u.first_name, u.last_name, "    \
	"u.is_staff, u.is_active, u.date_joined, u.id, u.email, u.thumbnail, p.id, "       \
	"p.phone_number, p.github_link, p.birth_date "                                     \
	"FROM users_user u LEFT JOIN user_profile p ON p.user_id = u.id "

static const char *const sql[Q__MAX] = {
	[Q_USER_BY_EMAIL] = USER_COLUMNS "WHERE u.email = ?1 COLLATE NOCASE",
	[Q_USER_BY_ID] = USER_COLUMNS "WHERE u.id = ?1",
	[Q_USER_LIST] = USER_COLUMNS "ORDER BY u.date_joined, u.email",
	[Q_USER_INSERT] =
		"INSERT INTO users_user (password, last_login, is_superuser, first_name, last_name,"
		" is_staff, is_active, date_joined, id, email, thumbnail)"
		" VALUES (?1, NULL, 0, ?2, ?3, 0, 0, ?4, ?5, ?6, NULL)",
	[Q_USER_SET_PASSWORD] = "UPDATE users_user SET password = ?1 WHERE id = ?2 AND password = ?3",
	[Q_USER_SET_LAST_LOGIN] = "UPDATE users_user SET last_login = ?1 WHERE id = ?2",
	[Q_USER_SET_ACTIVE] = "UPDATE users_user SET is_active = CAST(?1 AS INTEGER) WHERE id = ?2",
	[Q_USER_ACTIVATE] = "UPDATE users_user SET is_active = 1 WHERE id = ?1 AND is_active = 0",
	[Q_USER_SET_FLAGS] =
		"UPDATE users_user SET is_active = CAST(?1 AS INTEGER), is_staff = CAST(?2 AS INTEGER),"
		" is_superuser = CAST(?3 AS INTEGER) WHERE id = ?4",
	[Q_USER_THUMBNAIL] = "SELECT thumbnail FROM users_user WHERE id = ?1",
	[Q_USER_UPDATE] =
		"UPDATE users_user SET first_name = coalesce(?1, first_name),"
		" last_name = coalesce(?2, last_name), thumbnail = coalesce(?3, thumbnail) WHERE id = ?4",
	[Q_USER_ABANDONED] =
		"SELECT id, email FROM users_user WHERE email = ?1 COLLATE NOCASE AND is_active = 0"
		" AND last_login IS NULL AND date_joined <= ?2",
	[Q_USER_DELETE] = "DELETE FROM users_user WHERE id = ?1",
	[Q_PROFILE_INSERT] =
		"INSERT INTO user_profile (id, phone_number, github_link, birth_date, user_id)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_PROFILE_UPDATE] =
		"UPDATE user_profile SET phone_number = coalesce(?1, phone_number),"
		" github_link = coalesce(?2, github_link), birth_date = coalesce(?3, birth_date)"
		" WHERE user_id = ?4",
	[Q_PROFILE_DELETE] = "DELETE FROM user_profile WHERE user_id = ?1",
	[Q_SERIES_LIST] = "SELECT id, name, image FROM users_series ORDER BY rowid",
	[Q_SERIES_ARTICLES] =
		"SELECT id, title, url FROM users_articles WHERE series_id = ?1 ORDER BY rowid",
	[Q_MAIL_INSERT] =
		"INSERT INTO mail_outbox (created_at, not_after, recipient, subject, body_text,"
		" body_html, attempts, next_attempt_at, last_error)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?1, NULL)",
	[Q_MAIL_DELETE_TO] = "DELETE FROM mail_outbox WHERE recipient = ?1 COLLATE NOCASE",
	[Q_MAIL_DROP_EXPIRED] =
		"DELETE FROM mail_outbox WHERE not_after IS NOT NULL AND not_after < ?1"
		" RETURNING id, recipient, attempts",
	/* BEGIN IMMEDIATE holds the only write lock: no other worker can claim the same rows */
	[Q_MAIL_CLAIM] =
		"UPDATE mail_outbox SET next_attempt_at = ?1 WHERE id IN ("
		" SELECT id FROM mail_outbox WHERE next_attempt_at <= ?2"
		" AND (not_after IS NULL OR not_after >= ?3)"
		" ORDER BY next_attempt_at, id LIMIT CAST(?4 AS INTEGER)) RETURNING id",
	[Q_MAIL_TAKE] =
		"UPDATE mail_outbox SET next_attempt_at = ?1 WHERE id = CAST(?2 AS INTEGER)"
		" AND next_attempt_at = ?3"
		" RETURNING recipient, subject, body_text, body_html, attempts, not_after",
	[Q_MAIL_RELEASE] =
		"UPDATE mail_outbox SET next_attempt_at = ?1 WHERE id = CAST(?2 AS INTEGER)"
		" AND next_attempt_at = ?3",
	[Q_MAIL_DELETE] = "DELETE FROM mail_outbox WHERE id = CAST(?1 AS INTEGER)",
	[Q_MAIL_FAIL] =
		"UPDATE mail_outbox SET attempts = CAST(?1 AS INTEGER), last_error = ?2,"
		" next_attempt_at = ?3 WHERE id = CAST(?4 AS INTEGER) AND next_attempt_at = ?5",
	[Q_MAIL_DEAD] =
		"DELETE FROM mail_outbox WHERE id = CAST(?1 AS INTEGER) AND next_attempt_at = ?2",
	[Q_TFA_GET] =
		"SELECT secret, confirmed_at IS NOT NULL, last_step, (SELECT count(*) FROM"
		" auth_recovery_code WHERE user_id = ?1 AND used_at IS NULL)"
		" FROM auth_totp WHERE user_id = ?1",
	[Q_TFA_SETUP] =
		"INSERT INTO auth_totp (user_id, secret, confirmed_at, last_step, created_at)"
		" VALUES (?1, ?2, NULL, 0, ?3) ON CONFLICT (user_id) DO UPDATE SET"
		" secret = excluded.secret, last_step = 0, created_at = excluded.created_at"
		" WHERE auth_totp.confirmed_at IS NULL",
	[Q_TFA_CONFIRM] =
		"UPDATE auth_totp SET confirmed_at = ?2, last_step = CAST(?3 AS INTEGER)"
		" WHERE user_id = ?1 AND confirmed_at IS NULL AND secret = ?4",
	[Q_TFA_STEP] =
		"UPDATE auth_totp SET last_step = CAST(?2 AS INTEGER) WHERE user_id = ?1"
		" AND confirmed_at IS NOT NULL AND last_step < CAST(?2 AS INTEGER)",
	[Q_TFA_DELETE] = "DELETE FROM auth_totp WHERE user_id = ?1",
	[Q_TFA_CODES_DELETE] = "DELETE FROM auth_recovery_code WHERE user_id = ?1",
	[Q_TFA_CODE_INSERT] =
		"INSERT INTO auth_recovery_code (user_id, code_hash, used_at) VALUES (?1, ?2, NULL)",
	[Q_TFA_CODE_USE] =
		"UPDATE auth_recovery_code SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2"
		" AND used_at IS NULL",
	[Q_TABLE_EXISTS] = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
	[Q_USER_GROUPS_DELETE] = "DELETE FROM users_user_groups WHERE user_id = ?1",
	[Q_USER_PERMS_DELETE] = "DELETE FROM users_user_user_permissions WHERE user_id = ?1",
};

struct lite {
	sqlite3 *h;
	unsigned busy_ms;
};

/*
 * Before SQLite's first use, settings for short-lived, single-threaded processes: no mutexes and
 * no memory statistics (each costs a mutex round trip per allocation, and reading the schema
 * allocates a few hundred times), no lookaside buffer and no bulk page-cache preallocation
 * (each is filled at open: page faults for memory a CGI's few reads never use). Fails
 * harmlessly if SQLite is already initialised.
 */
static void configure_library(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

/*
 * Maps a SQLite result code to the error convention and logs it with what:
 * BUSY/LOCKED/IOERR/CANTOPEN/FULL -> AC_EUNAVAIL, CONSTRAINT -> AC_ECONFLICT, else AC_EINTERNAL.
 */
static int fail(struct lite *l, int rc, const char *what)
{
	log_error("sqlite: %s: %s (%d)", what, l && l->h ? sqlite3_errmsg(l->h) : sqlite3_errstr(rc),
		  rc);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_PROTOCOL:
		return AC_EUNAVAIL;
	case SQLITE_CONSTRAINT:
		return AC_ECONFLICT;
	case SQLITE_NOMEM:
		return AC_ENOMEM;
	default:
		return AC_EINTERNAL;
	}
}

static void lite_close(void *conn)
{
	struct lite *l = conn;

	if (!l)
		return;
	sqlite3_close_v2(l->h);
	free(l);
}

static int lite_open(const struct cfg *cfg, int create, void **conn)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	struct lite *l;
	int rc, persist = 1;

	*conn = NULL;
	configure_library();
	l = calloc(1, sizeof *l);
	if (!l)
		return AC_ENOMEM;
	l->busy_ms = cfg->sqlite_busy_timeout_ms;
	rc = sqlite3_open_v2(cfg->database_path, &l->h, flags, NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open the database %s: %s", cfg->database_path,
			  l->h ? sqlite3_errmsg(l->h) : sqlite3_errstr(rc));
		lite_close(l);
		return AC_EUNAVAIL;
	}
	sqlite3_extended_result_codes(l->h, 1);
	sqlite3_busy_timeout(l->h, (int)l->busy_ms);
	/*
	 * Keep the -wal file after the last connection closes (every CGI would re-create it), but
	 * empty: journal_size_limit=0 truncates it after the checkpoint on close. A persistent WAL
	 * that keeps its frames is worse than none: the -shm index does not outlive the last
	 * connection, so each CGI would re-read every frame and checkpoint them all again.
	 */
	sqlite3_file_control(l->h, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	rc = sqlite3_exec(l->h, "PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=0", NULL, NULL,
			  NULL);
	if (rc == SQLITE_OK && create)
		rc = sqlite3_exec(l->h, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int err = fail(l, rc, "PRAGMA");

		lite_close(l);
		return err == AC_EINTERNAL ? AC_EUNAVAIL : err;
	}
	*conn = l;
	return AC_OK;
}

static int lite_begin(void *conn)
{
	struct lite *l = conn;
	long long deadline = tm_mono_ms() + l->busy_ms;
	int rc;

	/*
	 * The busy handler already waits inside BEGIN IMMEDIATE; the loop only covers the
	 * cases where SQLite returns BUSY at once (e.g. a WAL recovery in progress).
	 */
	for (;;) {
		rc = sqlite3_exec(l->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return AC_OK;
		if ((rc & 0xff) != SQLITE_BUSY || tm_mono_ms() >= deadline)
			break;
		usleep(20000);
	}
	return fail(l, rc, "BEGIN IMMEDIATE");
}

static void lite_rollback(void *conn)
{
	struct lite *l = conn;

	if (l && l->h && !sqlite3_get_autocommit(l->h))
		sqlite3_exec(l->h, "ROLLBACK", NULL, NULL, NULL);
}

static int lite_commit(void *conn)
{
	struct lite *l = conn;
	int rc = sqlite3_exec(l->h, "COMMIT", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return AC_OK;
	rc = fail(l, rc, "COMMIT");
	lite_rollback(l);
	return rc;
}

static int lite_run(void *conn, enum db_q q, size_t n, const char *const *params,
		    struct db_rows *rows, long *changes)
{
	struct lite *l = conn;
	sqlite3_stmt *st;
	int rc, step;

	rc = sqlite3_prepare_v2(l->h, sql[q], -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(l, rc, "prepare");
	for (size_t i = 0; i < n; i++) {
		if (params[i])
			sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, (int)i + 1);
	}
	rc = AC_OK;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		size_t cols = (size_t)sqlite3_column_count(st);
		const char *cells[16];
		size_t lens[16];

		if (!rows || rc != AC_OK)
			continue;   /* step on, so that an UPDATE ... RETURNING completes */
		if (cols > 16) {
			rc = AC_EINTERNAL;
			continue;
		}
		for (size_t i = 0; i < cols; i++) {
			cells[i] = (const char *)sqlite3_column_text(st, (int)i);
			lens[i] = (size_t)sqlite3_column_bytes(st, (int)i);
		}
		rc = db_rows_add(rows, cols, cells, lens);
	}
	if (step != SQLITE_DONE)
		rc = fail(l, step, "step");
	else if (changes)
		*changes = sqlite3_changes(l->h);
	sqlite3_finalize(st);
	return rc;
}

static int user_version(struct lite *l, unsigned *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(l->h, "PRAGMA user_version", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return fail(l, rc, "PRAGMA user_version");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = (unsigned)sqlite3_column_int(st, 0);
		rc = AC_OK;
	} else {
		rc = fail(l, rc, "PRAGMA user_version");
	}
	sqlite3_finalize(st);
	return rc;
}

/* SQLite records the schema version in PRAGMA user_version. */
static int lite_migrate(void *conn, unsigned *applied)
{
	struct lite *l = conn;
	unsigned current = 0;
	int rc = user_version(l, &current);

	for (unsigned i = 0; rc == AC_OK && i < n_sqlite_migrations; i++) {
		const struct migration *m = &sqlite_migrations[i];
		char pragma[64];

		if (m->version <= current)
			continue;
		rc = sqlite3_exec(l->h, m->sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			log_error("migration %s failed", m->name);
			return fail(l, rc, m->name);
		}
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%u", m->version);
		rc = sqlite3_exec(l->h, pragma, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return fail(l, rc, "PRAGMA user_version");
		rc = AC_OK;
		current = m->version;
		(*applied)++;
	}
	return rc;
}

const struct db_engine db_sqlite = {
	.name = "sqlite",
	.open = lite_open,
	.close = lite_close,
	.begin = lite_begin,
	.commit = lite_commit,
	.rollback = lite_rollback,
	.run = lite_run,
	.migrate = lite_migrate,
};
