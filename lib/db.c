/* The SQLite store: opening with WAL and a busy timeout, transactions, error mapping, migrations. */
#include "db.h"
#include "err.h"
#include "log.h"
#include "migrations.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct db {
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
static void db_configure_library(void)
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

static int db_open_flags(const struct cfg *cfg, int flags, struct db **out)
{
	struct db *db;
	int rc, persist = 1;

	*out = NULL;
	db_configure_library();
	db = calloc(1, sizeof *db);
	if (!db)
		return AC_ENOMEM;
	db->busy_ms = cfg->sqlite_busy_timeout_ms;
	rc = sqlite3_open_v2(cfg->database_path, &db->h, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open the database %s: %s", cfg->database_path,
			  db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		db_close(db);
		return AC_EUNAVAIL;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, (int)db->busy_ms);
	/*
	 * Keep the -wal file after the last connection closes (every CGI would re-create it), but
	 * empty: journal_size_limit=0 truncates it after the checkpoint on close. A persistent WAL
	 * that keeps its frames is worse than none: the -shm index does not outlive the last
	 * connection, so each CGI would re-read every frame and checkpoint them all again.
	 */
	sqlite3_file_control(db->h, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	rc = sqlite3_exec(db->h, "PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=0", NULL, NULL,
			  NULL);
	if (rc != SQLITE_OK) {
		int err = db_fail(db, rc, "PRAGMA foreign_keys");

		db_close(db);
		return err == AC_EINTERNAL ? AC_EUNAVAIL : err;
	}
	*out = db;
	return AC_OK;
}

int db_open(const struct cfg *cfg, struct db **out)
{
	return db_open_flags(cfg, SQLITE_OPEN_READWRITE, out);
}

int db_open_create(const struct cfg *cfg, struct db **out)
{
	int rc = db_open_flags(cfg, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, out);

	if (rc != AC_OK)
		return rc;
	rc = sqlite3_exec((*out)->h, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = db_fail(*out, rc, "PRAGMA journal_mode=WAL");
		db_close(*out);
		*out = NULL;
		return rc;
	}
	return AC_OK;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_close_v2(db->h);
	free(db);
}

sqlite3 *db_handle(struct db *db)
{
	return db->h;
}

int db_fail(struct db *db, int rc, const char *what)
{
	int primary = rc & 0xff;

	log_error("sqlite: %s: %s (%d)", what, db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc), rc);
	switch (primary) {
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
	default:
		return AC_EINTERNAL;
	}
}

int db_prepare(struct db *db, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db->h, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return db_fail(db, rc, "prepare");
	}
	return AC_OK;
}

int db_begin(struct db *db)
{
	long long deadline = tm_mono_ms() + db->busy_ms;
	int rc;

	/*
	 * The busy handler already waits inside BEGIN IMMEDIATE; the loop only covers the
	 * cases where SQLite returns BUSY at once (e.g. a WAL recovery in progress).
	 */
	for (;;) {
		rc = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return AC_OK;
		if ((rc & 0xff) != SQLITE_BUSY || tm_mono_ms() >= deadline)
			break;
		usleep(20000);
	}
	return db_fail(db, rc, "BEGIN IMMEDIATE");
}

int db_commit(struct db *db)
{
	int rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return AC_OK;
	rc = db_fail(db, rc, "COMMIT");
	db_rollback(db);
	return rc;
}

void db_rollback(struct db *db)
{
	if (db && db->h && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

static int user_version(struct db *db, unsigned *v)
{
	sqlite3_stmt *st;
	int rc = db_prepare(db, "PRAGMA user_version", &st);

	if (rc != AC_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = (unsigned)sqlite3_column_int(st, 0);
		rc = AC_OK;
	} else {
		rc = db_fail(db, rc, "PRAGMA user_version");
	}
	sqlite3_finalize(st);
	return rc;
}

int db_migrate(struct db *db, unsigned *applied)
{
	unsigned current = 0;
	int rc;

	*applied = 0;
	rc = db_begin(db);
	if (rc != AC_OK)
		return rc;
	rc = user_version(db, &current);
	for (unsigned i = 0; rc == AC_OK && i < n_migrations; i++) {
		char pragma[64];

		if (migrations[i].version <= current)
			continue;
		rc = sqlite3_exec(db->h, migrations[i].sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			log_error("migration %s failed", migrations[i].name);
			rc = db_fail(db, rc, migrations[i].name);
			break;
		}
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%u", migrations[i].version);
		rc = sqlite3_exec(db->h, pragma, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			rc = db_fail(db, rc, "PRAGMA user_version");
			break;
		}
		rc = AC_OK;
		current = migrations[i].version;
		(*applied)++;
	}
	if (rc != AC_OK) {
		db_rollback(db);
		*applied = 0;
		return rc;
	}
	return db_commit(db);
}
