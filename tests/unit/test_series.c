/* Unit tests of lib/series.c: stored UUID forms, the §7.11 array from a real SQLite file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "db/db.h"
#include <sqlite3.h>
#include "err.h"
#include "series.h"

struct fixture {
	char dir[64];
	char path[128];
	struct cfg cfg;
	struct db *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	unsigned applied;

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_series.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof f->path, "%s/db.sqlite3", f->dir);
	f->cfg.database_path = f->path;
	f->cfg.sqlite_busy_timeout_ms = 1000;
	f->cfg.media_url = "https://cdn.example/media/";
	if (db_open_create(&f->cfg, &f->db) != AC_OK || db_migrate(f->db, &applied) != AC_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	db_close(f->db);
	unlink(f->path);
	snprintf(p, sizeof p, "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs sql on a connection of the test's own, beside the store's. */
static void exec_sql(struct fixture *f, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 1000);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* series_list printed without whitespace; the caller frees it. */
static char *list_json(struct fixture *f)
{
	cJSON *arr = NULL;
	char *s;

	assert_int_equal(series_list(f->db, &f->cfg, &arr), AC_OK);
	assert_non_null(arr);
	s = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	assert_non_null(s);
	return s;
}

static void uuid_forms(void **state)
{
	char out[37];

	(void)state;
	assert_int_equal(series_uuid("3f1c2a4e8b7d4e2f9a1b0c2d3e4f5a6b", out), AC_OK);
	assert_string_equal(out, "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b");
	assert_int_equal(series_uuid("3F1C2A4E8B7D4E2F9A1B0C2D3E4F5A6B", out), AC_OK);
	assert_string_equal(out, "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b");
	assert_int_equal(series_uuid("3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b", out), AC_OK);
	assert_string_equal(out, "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b");
	assert_int_equal(series_uuid("3F1C2A4E-8B7D-4E2F-9A1B-0C2D3E4F5A6B", out), AC_OK);
	assert_string_equal(out, "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b");
	assert_int_equal(series_uuid(NULL, out), AC_EINVAL);
	assert_int_equal(series_uuid("", out), AC_EINVAL);
	assert_int_equal(series_uuid("3f1c2a4e8b7d4e2f9a1b0c2d3e4f5a6", out), AC_EINVAL);
	assert_int_equal(series_uuid("3f1c2a4e8b7d4e2f9a1b0c2d3e4f5a6b0", out), AC_EINVAL);
	assert_int_equal(series_uuid("3f1c2a4e8b7d4e2f9a1b0c2d3e4f5a6g", out), AC_EINVAL);
	assert_int_equal(series_uuid("3f1c2a4e-8b7d-4e2f-9a1b_0c2d3e4f5a6b", out), AC_EINVAL);
	assert_int_equal(series_uuid("3f1c2a4e8-b7d-4e2f-9a1b-0c2d3e4f5a6b", out), AC_EINVAL);
	assert_int_equal(series_uuid("------------------------------------", out), AC_EINVAL);
}

static void empty_table(void **state)
{
	struct fixture *f = *state;
	char *s = list_json(f);

	assert_string_equal(s, "[]");
	free(s);
}

static void rows_in_table_order(void **state)
{
	struct fixture *f = *state;
	char *s;

	exec_sql(f, "INSERT INTO users_series VALUES ('ffffffffffff4fffbfffffffffffffff', 'Zeta', 'series/z 1.png');"
		    "INSERT INTO users_series VALUES ('00000000000040008000000000000001', 'Alpha', '');"
		    "INSERT INTO users_articles VALUES ('b0000000000040008000000000000002', 'B', 'https://dev.to/b', 'ffffffffffff4fffbfffffffffffffff');"
		    "INSERT INTO users_articles VALUES ('a0000000000040008000000000000001', 'A', 'https://dev.to/a', 'ffffffffffff4fffbfffffffffffffff');"
		    "INSERT INTO users_articles VALUES ('c0000000000040008000000000000003', 'C', 'https://dev.to/c', '00000000000040008000000000000001');");
	s = list_json(f);
	assert_string_equal(s,
		"[{\"id\":\"ffffffff-ffff-4fff-bfff-ffffffffffff\",\"name\":\"Zeta\","
		"\"image\":\"https://cdn.example/media/series/z%201.png\",\"articles\":["
		"{\"id\":\"b0000000-0000-4000-8000-000000000002\",\"title\":\"B\",\"url\":\"https://dev.to/b\"},"
		"{\"id\":\"a0000000-0000-4000-8000-000000000001\",\"title\":\"A\",\"url\":\"https://dev.to/a\"}]},"
		"{\"id\":\"00000000-0000-4000-8000-000000000001\",\"name\":\"Alpha\",\"image\":null,\"articles\":["
		"{\"id\":\"c0000000-0000-4000-8000-000000000003\",\"title\":\"C\",\"url\":\"https://dev.to/c\"}]}]");
	free(s);
}

static void bad_utf8_becomes_replacement_characters(void **state)
{
	struct fixture *f = *state;
	char *s;

	exec_sql(f, "INSERT INTO users_series VALUES ('00000000000040008000000000000001', "
		    "CAST(X'61FF62C3E282' AS TEXT), '');");
	s = list_json(f);
	assert_string_equal(s, "[{\"id\":\"00000000-0000-4000-8000-000000000001\",\"name\":\"a\xEF\xBF\xBD"
			       "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\",\"image\":null,\"articles\":[]}]");
	free(s);
}

static void null_text_from_other_writers_is_json_null(void **state)
{
	struct fixture *f = *state;
	char *s;

	/* Django declares NOT NULL; a table made by other software may not. */
	exec_sql(f, "DROP TABLE users_articles; DROP TABLE users_series;"
		    "CREATE TABLE users_series (id, name, image);"
		    "CREATE TABLE users_articles (id, title, url, series_id);"
		    "INSERT INTO users_series VALUES ('00000000000040008000000000000001', NULL, NULL);"
		    "INSERT INTO users_articles VALUES ('a0000000000040008000000000000001', NULL, NULL, "
		    "'00000000000040008000000000000001');");
	s = list_json(f);
	assert_string_equal(s, "[{\"id\":\"00000000-0000-4000-8000-000000000001\",\"name\":null,"
			       "\"image\":null,\"articles\":[{\"id\":\"a0000000-0000-4000-8000-000000000001\","
			       "\"title\":null,\"url\":null}]}]");
	free(s);
}

static void malformed_ids_are_internal_errors(void **state)
{
	struct fixture *f = *state;
	cJSON *arr = (cJSON *)1;

	exec_sql(f, "INSERT INTO users_series VALUES ('00000000000040008000000000000001', 'ok', '');"
		    "INSERT INTO users_articles VALUES ('nope', 't', 'u', '00000000000040008000000000000001');");
	assert_int_equal(series_list(f->db, &f->cfg, &arr), AC_EINTERNAL);
	assert_null(arr);
	exec_sql(f, "DELETE FROM users_articles; INSERT INTO users_series VALUES ('x', 'bad', '');");
	arr = (cJSON *)1;
	assert_int_equal(series_list(f->db, &f->cfg, &arr), AC_EINTERNAL);
	assert_null(arr);
}

static void missing_table_is_an_error_not_a_crash(void **state)
{
	struct fixture *f = *state;
	cJSON *arr = (cJSON *)1;

	/* the articles are read per series: one series makes the missing table matter */
	exec_sql(f, "INSERT INTO users_series VALUES ('00000000000040008000000000000001', 'A', '');"
		    "DROP TABLE users_articles;");
	assert_int_not_equal(series_list(f->db, &f->cfg, &arr), AC_OK);
	assert_null(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uuid_forms),
		cmocka_unit_test_setup_teardown(empty_table, setup, teardown),
		cmocka_unit_test_setup_teardown(rows_in_table_order, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_utf8_becomes_replacement_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(null_text_from_other_writers_is_json_null, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_ids_are_internal_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_table_is_an_error_not_a_crash, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
