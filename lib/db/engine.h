/* What a database engine provides to lib/db/db.c: private to lib/db/. */
#ifndef AUTHCGI_DB_ENGINE_H
#define AUTHCGI_DB_ENGINE_H

#include "db.h"

struct db_engine {
	const char *name;
	/* Opens a connection; create: make a missing SQLite file (migrate). 0 or an ac_err. */
	int (*open)(const struct cfg *cfg, int create, void **conn);
	void (*close)(void *conn);
	int (*begin)(void *conn);
	int (*commit)(void *conn);
	void (*rollback)(void *conn);
	int (*run)(void *conn, enum db_q q, size_t n, const char *const *params,
		   struct db_rows *rows, long *changes);
	/* Inside an open transaction: applies the migrations newer than those recorded. */
	int (*migrate)(void *conn, unsigned *applied);
};

extern const struct db_engine db_sqlite;
#ifdef AUTHCGI_POSTGRES
extern const struct db_engine db_postgres;
#endif

/* Appends one row of cols cells (each copied; NULL stays NULL) to r. 0 or AC_ENOMEM. */
int db_rows_add(struct db_rows *r, size_t cols, const char *const *cells, const size_t *lens);

#endif
