/* The PostgreSQL engine (libpq): connection, transactions, SQLSTATE mapping, and the SQL of every statement. */
#include "engine.h"
#include "err.h"
#include "log.h"
#include "migrations.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Values cross the interface in SQLite's text representation (db.h); the SQL converts. Ids
 * leave as 32 hex digits and enter as text that uuid's input accepts; booleans leave as 0/1;
 * datetimes are UTC on both sides, whatever the session's TimeZone.
 */
#define ID(c) "replace(" c "::text, '-', '')"
#define B(c) c "::int"
#define TS(c) "regexp_replace(to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '\\.000000$', '')"
#define AT(p) "(" p "::timestamp AT TIME ZONE 'UTC')"

#define USER_COLUMNS                                                                          \
	"SELECT u.password, " TS("u.last_login") ", " B("u.is_superuser") ", u.first_name, "   \
	"u.last_name, " B("u.is_staff") ", " B("u.is_active") ", " TS("u.date_joined") ", "   \
	ID("u.id") ", u.email, u.thumbnail, " ID("p.id") ", p.phone_number, p.github_link, "  \
	"to_char(p.birth_date, 'YYYY-MM-DD') "                                                  \
	"FROM users_user u LEFT JOIN user_profile p ON p.user_id = u.id "

static const char *const sql[Q__MAX] = {
	[Q_USER_BY_EMAIL] = USER_COLUMNS "WHERE lower(u.email) = lower($1)",
	[Q_USER_BY_ID] = USER_COLUMNS "WHERE u.id = $1::uuid",
	[Q_USER_LIST] = USER_COLUMNS "ORDER BY u.date_joined, u.email",
	[Q_USER_INSERT] =
		"INSERT INTO users_user (password, last_login, is_superuser, first_name, last_name,"
		" is_staff, is_active, date_joined, id, email, thumbnail)"
		" VALUES ($1, NULL, false, $2, $3, false, false, " AT("$4") ", $5::uuid, $6, NULL)",
	[Q_USER_SET_PASSWORD] =
		"UPDATE users_user SET password = $1 WHERE id = $2::uuid AND password = $3",
	[Q_USER_SET_LAST_LOGIN] = "UPDATE users_user SET last_login = " AT("$1") " WHERE id = $2::uuid",
	[Q_USER_SET_ACTIVE] = "UPDATE users_user SET is_active = $1::boolean WHERE id = $2::uuid",
	[Q_USER_ACTIVATE] =
		"UPDATE users_user SET is_active = true WHERE id = $1::uuid AND NOT is_active",
	[Q_USER_SET_FLAGS] =
		"UPDATE users_user SET is_active = $1::boolean, is_staff = $2::boolean,"
		" is_superuser = $3::boolean WHERE id = $4::uuid",
	[Q_USER_THUMBNAIL] = "SELECT thumbnail FROM users_user WHERE id = $1::uuid",
	[Q_USER_UPDATE] =
		"UPDATE users_user SET first_name = coalesce($1, first_name),"
		" last_name = coalesce($2, last_name), thumbnail = coalesce($3, thumbnail)"
		" WHERE id = $4::uuid",
	[Q_USER_ABANDONED] =
		"SELECT " ID("id") ", email FROM users_user WHERE lower(email) = lower($1)"
		" AND NOT is_active AND last_login IS NULL AND date_joined <= " AT("$2")
		" FOR UPDATE",
	[Q_USER_DELETE] = "DELETE FROM users_user WHERE id = $1::uuid",
	[Q_PROFILE_INSERT] =
		"INSERT INTO user_profile (id, phone_number, github_link, birth_date, user_id)"
		" VALUES ($1::uuid, $2, $3, $4::date, $5::uuid)",
	[Q_PROFILE_UPDATE] =
		"UPDATE user_profile SET phone_number = coalesce($1, phone_number),"
		" github_link = coalesce($2, github_link),"
		" birth_date = coalesce($3::date, birth_date) WHERE user_id = $4::uuid",
	[Q_PROFILE_DELETE] = "DELETE FROM user_profile WHERE user_id = $1::uuid",
	/* the tables are read-only to the API: physical order is insertion order */
	[Q_SERIES_LIST] = "SELECT " ID("id") ", name, image FROM users_series ORDER BY ctid",
	[Q_SERIES_ARTICLES] =
		"SELECT " ID("id") ", title, url FROM users_articles WHERE series_id = $1::uuid"
		" ORDER BY ctid",
	[Q_MAIL_INSERT] =
		"INSERT INTO mail_outbox (created_at, not_after, recipient, subject, body_text,"
		" body_html, attempts, next_attempt_at, last_error)"
		" VALUES (" AT("$1") ", " AT("$2") ", $3, $4, $5, $6, 0, " AT("$1") ", NULL)",
	[Q_MAIL_DELETE_TO] = "DELETE FROM mail_outbox WHERE lower(recipient) = lower($1)",
	[Q_MAIL_DROP_EXPIRED] =
		"DELETE FROM mail_outbox WHERE not_after IS NOT NULL AND not_after < " AT("$1")
		" RETURNING id, recipient, attempts",
	/* SKIP LOCKED: workers on any number of hosts never claim the same row (§10.1) */
	[Q_MAIL_CLAIM] =
		"UPDATE mail_outbox SET next_attempt_at = " AT("$1") " WHERE id IN ("
		" SELECT id FROM mail_outbox WHERE next_attempt_at <= " AT("$2")
		" AND (not_after IS NULL OR not_after >= " AT("$3") ")"
		" ORDER BY next_attempt_at, id LIMIT $4::bigint FOR UPDATE SKIP LOCKED) RETURNING id",
	[Q_MAIL_TAKE] =
		"UPDATE mail_outbox SET next_attempt_at = " AT("$1") " WHERE id = $2::bigint"
		" AND next_attempt_at = " AT("$3")
		" RETURNING recipient, subject, body_text, body_html, attempts, " TS("not_after"),
	[Q_MAIL_RELEASE] =
		"UPDATE mail_outbox SET next_attempt_at = " AT("$1") " WHERE id = $2::bigint"
		" AND next_attempt_at = " AT("$3"),
	[Q_MAIL_DELETE] = "DELETE FROM mail_outbox WHERE id = $1::bigint",
	[Q_MAIL_FAIL] =
		"UPDATE mail_outbox SET attempts = $1::integer, last_error = $2,"
		" next_attempt_at = " AT("$3") " WHERE id = $4::bigint AND next_attempt_at = " AT("$5"),
	[Q_MAIL_DEAD] = "DELETE FROM mail_outbox WHERE id = $1::bigint AND next_attempt_at = " AT("$2"),
	[Q_TFA_GET] =
		"SELECT secret, " B("(confirmed_at IS NOT NULL)") ", last_step, (SELECT count(*) FROM"
		" auth_recovery_code WHERE user_id = $1::uuid AND used_at IS NULL)"
		" FROM auth_totp WHERE user_id = $1::uuid",
	[Q_TFA_SETUP] =
		"INSERT INTO auth_totp (user_id, secret, confirmed_at, last_step, created_at)"
		" VALUES ($1::uuid, $2, NULL, 0, " AT("$3") ") ON CONFLICT (user_id) DO UPDATE SET"
		" secret = excluded.secret, last_step = 0, created_at = excluded.created_at"
		" WHERE auth_totp.confirmed_at IS NULL",
	[Q_TFA_CONFIRM] =
		"UPDATE auth_totp SET confirmed_at = " AT("$2") ", last_step = $3::bigint"
		" WHERE user_id = $1::uuid AND confirmed_at IS NULL AND secret = $4",
	[Q_TFA_STEP] =
		"UPDATE auth_totp SET last_step = $2::bigint WHERE user_id = $1::uuid"
		" AND confirmed_at IS NOT NULL AND last_step < $2::bigint",
	[Q_TFA_DELETE] = "DELETE FROM auth_totp WHERE user_id = $1::uuid",
	[Q_TFA_CODES_DELETE] = "DELETE FROM auth_recovery_code WHERE user_id = $1::uuid",
	[Q_TFA_CODE_INSERT] =
		"INSERT INTO auth_recovery_code (user_id, code_hash, used_at) VALUES ($1::uuid, $2, NULL)",
	[Q_TFA_CODE_USE] =
		"UPDATE auth_recovery_code SET used_at = " AT("$3") " WHERE user_id = $1::uuid"
		" AND code_hash = $2 AND used_at IS NULL",
	/* the table the unqualified name resolves to through search_path, as the DELETEs below */
	[Q_TABLE_EXISTS] =
		"SELECT 1 FROM pg_catalog.pg_class WHERE oid = to_regclass($1) AND relkind IN ('r', 'p')",
	[Q_USER_GROUPS_DELETE] = "DELETE FROM users_user_groups WHERE user_id = $1::uuid",
	[Q_USER_PERMS_DELETE] = "DELETE FROM users_user_user_permissions WHERE user_id = $1::uuid",
};

/*
 * Every transaction sets its own limits with SET LOCAL, so that no state outlives it (PgBouncer
 * in transaction pooling mode hands the next transaction another server connection).
 */
#define BEGIN_SQL "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL statement_timeout = 5000"

struct pg {
	PGconn *c;
	int in_tx;
};

/*
 * Maps a failed result to the error convention and logs it: integrity violations (class 23)
 * -> AC_ECONFLICT, serialization failure and deadlock -> AC_ERETRY, connection, resource,
 * shutdown and statement_timeout -> AC_EUNAVAIL, anything else -> AC_EINTERNAL.
 */
static int fail(struct pg *p, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : "";

	if (!msg || !*msg)
		msg = PQerrorMessage(p->c);
	log_error("postgres: %s: %s%s%.*s", what, state ? state : "no SQLSTATE", state ? " " : ": ",
		  (int)strcspn(msg, "\n"), msg);
	if (PQstatus(p->c) != CONNECTION_OK || !state)
		return AC_EUNAVAIL;
	if (strncmp(state, "23", 2) == 0)
		return AC_ECONFLICT;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return AC_ERETRY;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 ||
	    strncmp(state, "57", 2) == 0 || strcmp(state, "55P03") == 0)
		return AC_EUNAVAIL;
	return AC_EINTERNAL;
}

/* Runs a command without parameters or rows (BEGIN, COMMIT, ROLLBACK, a migration). */
static int command(struct pg *p, const char *text, const char *what)
{
	PGresult *res = PQexec(p->c, text);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? AC_OK : fail(p, res, what);

	PQclear(res);
	return rc;
}

static void pg_close(void *conn)
{
	struct pg *p = conn;

	if (!p)
		return;
	PQfinish(p->c);
	free(p);
}

/* Server notices ("relation ... already exists, skipping") are not errors: keep them out of the log. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int pg_open(const struct cfg *cfg, int create, void **conn)
{
	/*
	 * Entries before dbname are defaults the URL may override (connect_timeout of §10.1);
	 * those after it are forced.
	 */
	const char *keys[] = { "connect_timeout", "dbname", "application_name", "client_encoding", NULL };
	const char *vals[] = { "2", cfg->database_url, "authcgi", "UTF8", NULL };
	struct pg *p;

	(void)create;
	*conn = NULL;
	p = calloc(1, sizeof *p);
	if (!p)
		return AC_ENOMEM;
	p->c = PQconnectdbParams(keys, vals, 1);
	if (!p->c) {
		free(p);
		return AC_ENOMEM;
	}
	if (PQstatus(p->c) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(p->c);

		log_error("postgres: cannot connect: %.*s", (int)strcspn(msg, "\n"), msg);
		pg_close(p);
		return AC_EUNAVAIL;
	}
	PQsetNoticeProcessor(p->c, ignore_notice, NULL);
	*conn = p;
	return AC_OK;
}

static int pg_begin(void *conn)
{
	struct pg *p = conn;
	int rc;

	/* a long-lived process (FastCGI, the mail worker) reconnects after a broken connection */
	if (PQstatus(p->c) != CONNECTION_OK) {
		PQreset(p->c);
		if (PQstatus(p->c) != CONNECTION_OK)
			return fail(p, NULL, "reconnect");
	}
	rc = command(p, BEGIN_SQL, "BEGIN");
	p->in_tx = rc == AC_OK;
	return rc;
}

static void pg_rollback(void *conn)
{
	struct pg *p = conn;

	if (p && p->in_tx && PQstatus(p->c) == CONNECTION_OK)
		PQclear(PQexec(p->c, "ROLLBACK"));
	if (p)
		p->in_tx = 0;
}

static int pg_commit(void *conn)
{
	struct pg *p = conn;
	PGresult *res = PQexec(p->c, "COMMIT");
	int rc;

	/* COMMIT of a transaction that failed answers ROLLBACK: a command OK that committed nothing */
	if (PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "COMMIT") == 0)
		rc = AC_OK;
	else if (PQresultStatus(res) == PGRES_COMMAND_OK)
		rc = AC_EINTERNAL;
	else
		rc = fail(p, res, "COMMIT");
	PQclear(res);
	p->in_tx = 0;
	return rc;
}

static int collect(PGresult *res, struct db_rows *rows)
{
	size_t cols = (size_t)PQnfields(res);
	int n = PQntuples(res);
	const char *cells[16];
	size_t lens[16];

	if (!rows || n == 0)
		return AC_OK;
	if (cols > 16)
		return AC_EINTERNAL;
	for (int r = 0; r < n; r++) {
		int rc;

		for (size_t i = 0; i < cols; i++) {
			cells[i] = PQgetisnull(res, r, (int)i) ? NULL : PQgetvalue(res, r, (int)i);
			lens[i] = (size_t)PQgetlength(res, r, (int)i);
		}
		rc = db_rows_add(rows, cols, cells, lens);
		if (rc != AC_OK)
			return rc;
	}
	return AC_OK;
}

static int run_one(struct pg *p, enum db_q q, size_t n, const char *const *params,
		   struct db_rows *rows, long *changes)
{
	PGresult *res;
	int rc;

	if (n > 16)
		return AC_EINTERNAL;
	/* unnamed statements only: nothing prepared outlives the transaction */
	res = PQexecParams(p->c, sql[q], (int)n, NULL, params, NULL, NULL, 0);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		rc = collect(res, rows);
		if (rc == AC_OK && changes)
			*changes = atol(PQcmdTuples(res));
		break;
	default:
		rc = fail(p, res, "statement");
	}
	PQclear(res);
	return rc;
}

static int pg_run(void *conn, enum db_q q, size_t n, const char *const *params,
		  struct db_rows *rows, long *changes)
{
	struct pg *p = conn;
	int rc;

	if (p->in_tx)
		return run_one(p, q, n, params, rows, changes);
	/* a read on its own still gets its statement_timeout, within a transaction of its own */
	rc = pg_begin(p);
	if (rc != AC_OK)
		return rc;
	rc = run_one(p, q, n, params, rows, changes);
	if (rc == AC_OK)
		rc = pg_commit(p);
	else
		pg_rollback(p);
	return rc;
}

/* Progress is recorded in authcgi_migrations, never in Django's django_migrations (§10.1). */
static int pg_migrate(void *conn, unsigned *applied)
{
	struct pg *p = conn;
	unsigned current = 0;
	PGresult *res;
	int rc;

	/* migrations may outlast the request limit; the xact lock ends with the transaction */
	rc = command(p, "SET LOCAL statement_timeout = 0", "migrate");
	if (rc == AC_OK) {
		res = PQexec(p->c, "SELECT pg_advisory_xact_lock(7236617407360221)");
		rc = PQresultStatus(res) == PGRES_TUPLES_OK ? AC_OK : fail(p, res, "migrate lock");
		PQclear(res);
	}
	if (rc == AC_OK)
		rc = command(p,
			     "CREATE TABLE IF NOT EXISTS \"authcgi_migrations\" ("
			     "\"version\" integer NOT NULL PRIMARY KEY, "
			     "\"name\" varchar(255) NOT NULL, "
			     "\"applied_at\" timestamp with time zone NOT NULL DEFAULT now())",
			     "create authcgi_migrations");
	if (rc != AC_OK)
		return rc;
	res = PQexec(p->c, "SELECT coalesce(max(version), 0) FROM authcgi_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = fail(p, res, "read authcgi_migrations");
		PQclear(res);
		return rc;
	}
	current = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	for (unsigned i = 0; i < n_postgres_migrations; i++) {
		const struct migration *m = &postgres_migrations[i];
		char version[16];
		const char *params[2] = { version, m->name };

		if (m->version <= current)
			continue;
		rc = command(p, m->sql, m->name);
		if (rc != AC_OK) {
			log_error("migration %s failed", m->name);
			return rc;
		}
		snprintf(version, sizeof version, "%u", m->version);
		res = PQexecParams(p->c,
				   "INSERT INTO authcgi_migrations (version, name) VALUES ($1::integer, $2)",
				   2, NULL, params, NULL, NULL, 0);
		rc = PQresultStatus(res) == PGRES_COMMAND_OK ? AC_OK : fail(p, res, "record migration");
		PQclear(res);
		if (rc != AC_OK)
			return rc;
		(*applied)++;
	}
	return AC_OK;
}

const struct db_engine db_postgres = {
	.name = "postgres",
	.open = pg_open,
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.run = pg_run,
	.migrate = pg_migrate,
};
