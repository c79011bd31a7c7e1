/* The SQLite store: opening with WAL and a busy timeout, transactions, error mapping, migrations. */
#ifndef AUTHCGI_DB_H
#define AUTHCGI_DB_H

#include <sqlite3.h>
#include "cfg.h"

struct db;

/*
 * Opens cfg->database_path read-write (never creates it: run `authctl migrate` first),
 * with foreign_keys=ON, a busy timeout of SQLITE_BUSY_TIMEOUT_MS and a persistent WAL.
 * Returns 0 and a handle the caller frees with db_close(); AC_EUNAVAIL when it cannot open.
 */
int db_open(const struct cfg *cfg, struct db **out);
/* Like db_open but creates the file if missing and sets WAL mode (authctl migrate). */
int db_open_create(const struct cfg *cfg, struct db **out);
void db_close(struct db *db);
sqlite3 *db_handle(struct db *db);

/* BEGIN IMMEDIATE, retried within the busy timeout. Returns 0 or AC_EUNAVAIL. */
int db_begin(struct db *db);
/* COMMIT. Returns 0, AC_EUNAVAIL (busy) or AC_EINTERNAL; on failure the transaction is rolled back. */
int db_commit(struct db *db);
/* ROLLBACK if a transaction is open; never fails loudly. */
void db_rollback(struct db *db);
/*
 * Maps a SQLite result code to the error convention and logs it with what:
 * BUSY/LOCKED/IOERR/CANTOPEN/FULL -> AC_EUNAVAIL, CONSTRAINT -> AC_ECONFLICT, else AC_EINTERNAL.
 */
int db_fail(struct db *db, int rc, const char *what);
/* Prepares sql; on failure logs and returns the mapped error. */
int db_prepare(struct db *db, const char *sql, sqlite3_stmt **st);
/* Applies the embedded migrations newer than PRAGMA user_version. *applied gets the count. */
int db_migrate(struct db *db, unsigned *applied);

#endif
