/* The store's front: picks the engine DATABASE_URL names, runs statements and retried transactions. */
#include "engine.h"
#include "err.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define TX_RETRIES 3

struct db {
	const struct db_engine *e;
	void *conn;
	int in_tx;
};

const char *db_cell(const struct db_rows *r, size_t row, size_t col)
{
	if (!r || row >= r->n || col >= r->cols)
		return NULL;
	return r->cell[row * r->cols + col];
}

void db_rows_clear(struct db_rows *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n * r->cols; i++)
		free(r->cell[i]);
	free(r->cell);
	memset(r, 0, sizeof *r);
}

int db_rows_add(struct db_rows *r, size_t cols, const char *const *cells, const size_t *lens)
{
	char **grown;

	if (r->n && r->cols != cols)
		return AC_EINTERNAL;
	grown = realloc(r->cell, (r->n + 1) * cols * sizeof *grown);
	if (!grown)
		return AC_ENOMEM;
	r->cell = grown;
	r->cols = cols;
	for (size_t i = 0; i < cols; i++) {
		char **dst = &r->cell[r->n * cols + i];

		*dst = NULL;
		if (!cells[i])
			continue;
		*dst = malloc(lens[i] + 1);
		if (!*dst) {
			while (i--)
				free(r->cell[r->n * cols + i]);
			return AC_ENOMEM;
		}
		memcpy(*dst, cells[i], lens[i]);
		(*dst)[lens[i]] = '\0';
	}
	r->n++;
	return AC_OK;
}

static const struct db_engine *engine_of(const struct cfg *cfg)
{
	if (cfg->database_engine == CFG_DB_POSTGRES) {
#ifdef AUTHCGI_POSTGRES
		return &db_postgres;
#else
		/* cfg refuses such a URL in this build; this is the backstop */
		log_error("DATABASE_URL names PostgreSQL, but this build has no PostgreSQL support: "
			  "build with `make POSTGRES=1`");
		return NULL;
#endif
	}
	return &db_sqlite;
}

static int open_db(const struct cfg *cfg, int create, struct db **out)
{
	const struct db_engine *e = engine_of(cfg);
	struct db *db;
	int rc;

	*out = NULL;
	if (!e)
		return AC_EINTERNAL;
	db = calloc(1, sizeof *db);
	if (!db)
		return AC_ENOMEM;
	db->e = e;
	rc = e->open(cfg, create, &db->conn);
	if (rc != AC_OK) {
		free(db);
		return rc;
	}
	*out = db;
	return AC_OK;
}

int db_open(const struct cfg *cfg, struct db **out)
{
	return open_db(cfg, 0, out);
}

int db_open_create(const struct cfg *cfg, struct db **out)
{
	return open_db(cfg, 1, out);
}

void db_close(struct db *db)
{
	if (!db)
		return;
	db->e->close(db->conn);
	free(db);
}

const char *db_engine_name(const struct db *db)
{
	return db->e->name;
}

int db_run(struct db *db, enum db_q q, size_t n, const char *const *params, struct db_rows *rows,
	   long *changes)
{
	int rc;

	if (rows)
		memset(rows, 0, sizeof *rows);
	if (changes)
		*changes = 0;
	rc = db->e->run(db->conn, q, n, params, rows, changes);
	if (rc != AC_OK)
		db_rows_clear(rows);
	/* outside a transaction there is nothing to run again */
	if (rc == AC_ERETRY && !db->in_tx)
		rc = AC_EUNAVAIL;
	return rc;
}

int db_tx(struct db *db, int (*fn)(struct db *db, void *arg), void *arg)
{
	int rc = AC_EUNAVAIL;

	for (int attempt = 0; attempt <= TX_RETRIES; attempt++) {
		rc = db->e->begin(db->conn);
		if (rc != AC_OK)
			break;
		db->in_tx = 1;
		rc = fn(db, arg);
		if (rc == AC_OK)
			rc = db->e->commit(db->conn);
		else
			db->e->rollback(db->conn);
		db->in_tx = 0;
		if (rc != AC_ERETRY)
			return rc;
		log_warn("database: serialization failure or deadlock, attempt %d of %d", attempt + 1,
			 TX_RETRIES + 1);
	}
	return rc == AC_ERETRY ? AC_EUNAVAIL : rc;
}

static int migrate_tx(struct db *db, void *arg)
{
	return db->e->migrate(db->conn, arg);
}

int db_migrate(struct db *db, unsigned *applied)
{
	int rc;

	*applied = 0;
	rc = db_tx(db, migrate_tx, applied);
	if (rc != AC_OK)
		*applied = 0;
	return rc;
}
