/* Unit tests for lib/profile.c: the §7.10 parsing and validation tables, and the one-transaction update. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "db/db.h"
#include <sqlite3.h>
#include "err.h"
#include "profile.h"
#include "user.h"

#define CT "multipart/form-data; boundary=b"
#define MAX_BYTES 1000UL

static const char PNG[] =
	"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x02\0\0\0\x03\x08\x02\0\0\0\x12\x34\x56\x78"
	"\0\0\0\0IEND\xae\x42\x60\x82";

/* A body of one text part per name=value pair (value as a C string). */
static size_t text_body(char *out, size_t outlen, const char *const *kv, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i += 2)
		len += (size_t)snprintf(out + len, outlen - len,
					"--b\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n",
					kv[i], kv[i + 1]);
	len += (size_t)snprintf(out + len, outlen - len, "--b--\r\n");
	return len;
}

/* A body with one file part named thumbnail. */
static size_t file_body(char *out, const char *filename, const char *data, size_t dlen)
{
	size_t len = (size_t)sprintf(out, "--b\r\nContent-Disposition: form-data; name=\"thumbnail\"; "
				     "filename=\"%s\"\r\nContent-Type: image/png\r\n\r\n", filename);

	memcpy(out + len, data, dlen);
	len += dlen;
	len += (size_t)sprintf(out + len, "\r\n--b--\r\n");
	return len;
}

static void expect_err(const char *ct, const char *body, size_t len, int status, const char *msg)
{
	struct profile_form f;
	struct profile_err e;
	struct img_info img;
	int rc = profile_parse(ct, body, len, &f, &e);

	if (rc == AC_OK)
		rc = profile_validate(&f, MAX_BYTES, &img, &e);
	if (rc != AC_EINVAL || e.status != status || strcmp(e.msg, msg) != 0) {
		print_error("body %.*s\n got %d %d %s\n", (int)len, body, rc, e.status, e.msg);
		fail();
	}
}

static void test_parse_table(void **state)
{
	static const char *const two_names[] = { "first_name", "a", "first_name", "b" };
	static const char *const unknown[] = { "first_name", "a", "email", "x" };
	char body[4096];
	size_t n;

	(void)state;
	n = text_body(body, sizeof body, two_names, 2);
	expect_err(NULL, body, n, 400, "The request body must be multipart/form-data");
	expect_err("application/json", body, n, 400, "The request body must be multipart/form-data");
	expect_err("multipart/form-data", body, n, 400, "The request body must be multipart/form-data");
	expect_err("multipart/form-data; boundary=c", body, n, 400, "Malformed multipart body");
	expect_err(CT, "{\"first_name\": \"x\"}", 19, 400, "Malformed multipart body");
	expect_err(CT, body, n - 4, 400, "Malformed multipart body");

	n = text_body(body, sizeof body, unknown, 4);
	expect_err(CT, body, n, 400, "Unknown form field");
	n = text_body(body, sizeof body, two_names, 4);
	expect_err(CT, body, n, 400, "Duplicate form field");
	/* names are case-sensitive */
	n = (size_t)sprintf(body, "--b\r\nContent-Disposition: form-data; name=\"First_name\"\r\n\r\nx\r\n--b--");
	expect_err(CT, body, n, 400, "Unknown form field");
	/* a text field holding NUL or invalid UTF-8 */
	n = (size_t)sprintf(body, "--b\r\nContent-Disposition: form-data; name=\"last_name\"\r\n\r\na");
	body[n++] = '\0';
	n += (size_t)sprintf(body + n, "\r\n--b--");
	expect_err(CT, body, n, 400, "Form fields must be valid UTF-8 text");
	n = (size_t)sprintf(body, "--b\r\nContent-Disposition: form-data; name=\"last_name\"\r\n\r\n\xC3\x28\r\n--b--");
	expect_err(CT, body, n, 400, "Form fields must be valid UTF-8 text");
}

static void test_parse_order(void **state)
{
	char body[8192];
	size_t n = 0;

	(void)state;
	/* 17 parts: too many wins over unknown and duplicate names */
	for (int i = 0; i < 17; i++)
		n += (size_t)sprintf(body + n, "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\xFF\r\n");
	n += (size_t)sprintf(body + n, "--b--\r\n");
	expect_err(CT, body, n, 400, "Too many form fields");
	/* ... but a structural error anywhere wins over the count */
	expect_err(CT, body, n - 4, 400, "Malformed multipart body");
	/* unknown wins over duplicate even when the duplicate comes first */
	n = (size_t)sprintf(body, "--b\r\nContent-Disposition: form-data; name=\"last_name\"\r\n\r\nx\r\n"
			    "--b\r\nContent-Disposition: form-data; name=\"last_name\"\r\n\r\nx\r\n"
			    "--b\r\nContent-Disposition: form-data; name=\"nope\"\r\n\r\nx\r\n--b--");
	expect_err(CT, body, n, 400, "Unknown form field");
	/* duplicate wins over bad UTF-8 */
	n = (size_t)sprintf(body, "--b\r\nContent-Disposition: form-data; name=\"last_name\"\r\n\r\n\xFF\r\n"
			    "--b\r\nContent-Disposition: form-data; name=\"last_name\"\r\n\r\nx\r\n--b--");
	expect_err(CT, body, n, 400, "Duplicate form field");
	/* 16 parts are fine as far as the count goes */
	n = 0;
	for (int i = 0; i < 16; i++)
		n += (size_t)sprintf(body + n, "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n");
	n += (size_t)sprintf(body + n, "--b--\r\n");
	expect_err(CT, body, n, 400, "Unknown form field");
}

static void test_parse_values(void **state)
{
	static const char *const kv[] = {
		"first_name", "J\xC3\xB6hn", "last_name", "", "phone_number", "+1 555",
		"birth_date", "1990-01-02", "github_link", "https://github.com/j",
	};
	char body[4096];
	struct profile_form f;
	struct profile_err e;
	struct img_info img;
	size_t n;

	(void)state;
	n = text_body(body, sizeof body, kv, 10);
	assert_int_equal(profile_parse(CT, body, n, &f, &e), AC_OK);
	assert_int_equal(f.text_len[PF_FIRST_NAME], 5);
	assert_memory_equal(f.text[PF_FIRST_NAME], "J\xC3\xB6hn", 5);
	assert_null(f.text[PF_LAST_NAME]); /* "" = unchanged */
	assert_memory_equal(f.text[PF_PHONE_NUMBER], "+1 555", 6);
	assert_memory_equal(f.text[PF_BIRTH_DATE], "1990-01-02", 10);
	assert_memory_equal(f.text[PF_GITHUB_LINK], "https://github.com/j", 20);
	assert_null(f.thumb);
	assert_int_equal(profile_form_empty(&f), 0);
	assert_int_equal(profile_validate(&f, MAX_BYTES, &img, &e), AC_OK);
	assert_int_equal(img.type, IMG_NONE);

	/* every field empty, an empty file and an empty file name: nothing changes */
	n = (size_t)sprintf(body, "--b\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\n\r\n"
			    "--b\r\nContent-Disposition: form-data; name=\"thumbnail\"; filename=\"\"\r\n"
			    "Content-Type: application/octet-stream\r\n\r\n\r\n--b--\r\n");
	assert_int_equal(profile_parse(CT, body, n, &f, &e), AC_OK);
	assert_int_equal(profile_form_empty(&f), 1);
	n = file_body(body, "", PNG, sizeof PNG - 1);
	assert_int_equal(profile_parse(CT, body, n, &f, &e), AC_OK);
	assert_int_equal(profile_form_empty(&f), 1);
	n = file_body(body, "a.png", "", 0);
	assert_int_equal(profile_parse(CT, body, n, &f, &e), AC_OK);
	assert_int_equal(profile_form_empty(&f), 1);
	/* zero parts */
	assert_int_equal(profile_parse(CT, "--b--\r\n", 7, &f, &e), AC_OK);
	assert_int_equal(profile_form_empty(&f), 1);

	/* a real file */
	n = file_body(body, "C:\\me\\my pic.png", PNG, sizeof PNG - 1);
	assert_int_equal(profile_parse(CT, body, n, &f, &e), AC_OK);
	assert_int_equal(f.thumb_len, sizeof PNG - 1);
	assert_memory_equal(f.thumb_filename, "C:\\me\\my pic.png", f.thumb_filename_len);
	assert_int_equal(profile_validate(&f, MAX_BYTES, &img, &e), AC_OK);
	assert_int_equal(img.type, IMG_PNG);
	assert_int_equal(img.width, 2);
	assert_int_equal(img.height, 3);
	/* the file part's bytes are not text: no UTF-8 check */
	assert_int_equal(f.thumb[0], '\x89');
}

static void test_thumbnail_rules(void **state)
{
	char body[4096], big[MAX_BYTES + 1];
	size_t n;

	(void)state;
	n = file_body(body, "x.png", "some file data", 14);
	expect_err(CT, body, n, 400,
		   "Upload a valid image. The file you uploaded was either not an image or a corrupted image.");
	/* size before content */
	memset(big, 'x', sizeof big);
	n = file_body(body, "x.png", big, sizeof big);
	expect_err(CT, body, n, 413, "The thumbnail must not be larger than 1000 bytes");
	/* exactly the limit is a size pass (and then a content failure) */
	n = file_body(body, "x.png", big, MAX_BYTES);
	expect_err(CT, body, n, 400,
		   "Upload a valid image. The file you uploaded was either not an image or a corrupted image.");
	/* a thumbnail part without a filename is text, never an image */
	n = (size_t)sprintf(body, "--b\r\nContent-Disposition: form-data; name=\"thumbnail\"\r\n\r\nGIF89a\x01\x01\x01\x01\r\n--b--");
	expect_err(CT, body, n, 400,
		   "Upload a valid image. The file you uploaded was either not an image or a corrupted image.");
	n = (size_t)sprintf(body, "--b\r\nContent-Disposition: form-data; name=\"thumbnail\"\r\n\r\n\xFF\xD8\xFF\r\n--b--");
	expect_err(CT, body, n, 400, "Form fields must be valid UTF-8 text");
	/* text fields are validated before the thumbnail */
	n = (size_t)sprintf(body, "--b\r\nContent-Disposition: form-data; name=\"birth_date\"\r\n\r\nx\r\n"
			    "--b\r\nContent-Disposition: form-data; name=\"thumbnail\"; filename=\"a\"\r\n\r\nzz\r\n--b--");
	expect_err(CT, body, n, 400, "birth_date must be a valid date in the format YYYY-MM-DD");
}

/* One text field through parse + validate: 0 when accepted, else the message. */
static const char *check_field(const char *name, const char *value)
{
	static struct profile_err e;
	char body[70000];
	struct profile_form f;
	struct img_info img;
	size_t n = (size_t)snprintf(body, sizeof body,
				    "--b\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n--b--",
				    name, value);

	assert_true(n < sizeof body);
	if (profile_parse(CT, body, n, &f, &e) != AC_OK)
		return e.msg;
	if (profile_validate(&f, MAX_BYTES, &img, &e) != AC_OK) {
		assert_int_equal(e.status, 400);
		return e.msg;
	}
	return NULL;
}

static char *repeat(const char *unit, size_t times)
{
	size_t ul = strlen(unit);
	char *s = malloc(ul * times + 1);

	assert_non_null(s);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * times] = '\0';
	return s;
}

static void test_lengths(void **state)
{
	static const struct {
		const char *field;
		size_t max;
		const char *msg;
	} cases[] = {
		{ "first_name", 150, "first_name must be at most 150 characters" },
		{ "last_name", 150, "last_name must be at most 150 characters" },
		{ "phone_number", 20, "phone_number must be at most 20 characters" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		/* characters, not bytes: U+00E9 is two bytes */
		char *ok = repeat("\xC3\xA9", cases[i].max), *ascii = repeat("a", cases[i].max + 1);
		char *long_ = repeat("\xC3\xA9", cases[i].max + 1);

		assert_null(check_field(cases[i].field, ok));
		assert_string_equal(check_field(cases[i].field, long_), cases[i].msg);
		assert_string_equal(check_field(cases[i].field, ascii), cases[i].msg);
		free(ok);
		free(ascii);
		free(long_);
	}
	/* order: first_name is reported before phone_number */
	{
		char *fn = repeat("a", 151);
		char body[1024];
		size_t n = (size_t)sprintf(body, "--b\r\nContent-Disposition: form-data; name=\"phone_number\"\r\n\r\n"
					   "012345678901234567890\r\n--b\r\nContent-Disposition: form-data; "
					   "name=\"first_name\"\r\n\r\n%s\r\n--b--", fn);

		expect_err(CT, body, n, 400, "first_name must be at most 150 characters");
		free(fn);
	}
}

static void test_birth_date(void **state)
{
	static const char *const good[] = {
		"1990-01-02", "2000-02-29", "2024-02-29", "0001-01-01", "9999-12-31", "1999-04-30",
	};
	static const char *const bad[] = {
		"1900-02-29", "2023-02-29", "0000-01-01", "2023-13-01", "2023-00-10", "2023-04-31",
		"2023-4-05", "2023-04-5", "20230405", "2023/04/05", " 2023-04-05", "2023-04-05 ",
		"2023-04-05T00:00:00", "+023-04-05", "2023-04-00", "2023-01-32", "abcd-ef-gh",
		"\xD9\xA1\xD9\xA9\xD9\xA9\xD9\xA0-01-01",
	};

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(profile_date_ok(good[i], strlen(good[i])), 1);
		assert_null(check_field("birth_date", good[i]));
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (profile_date_ok(bad[i], strlen(bad[i]))) {
			print_error("accepted %s\n", bad[i]);
			fail();
		}
		assert_string_equal(check_field("birth_date", bad[i]),
				    "birth_date must be a valid date in the format YYYY-MM-DD");
	}
}

static void test_github_link(void **state)
{
	static const char *const good[] = {
		"https://github.com/john", "http://a", "HTTPS://GitHub.com", "HtTp://x/y?z#w",
		"https://例え.jp/パス", "https://a:b@c:8080/",
	};
	static const char *const bad[] = {
		"javascript:alert(1)", "JaVaScRiPt://x", "ftp://github.com", "github.com/john",
		"https://", "http://", "https:///x", "https://?q", "https://#f", "https:/x",
		"https://a b", "https://a\tb", " https://a", "https://a ", "https://a\x7f",
		"https://a\xC2\xA0", "https://a\xE3\x80\x80", "https://a\xE2\x80\xA8", "https://a\xC2\x85",
		"data:text/html,x", "//github.com",
	};
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (check_field("github_link", good[i])) {
			print_error("refused %s\n", good[i]);
			fail();
		}
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *m = check_field("github_link", bad[i]);

		if (!m || strcmp(m, "github_link must be an http or https URL") != 0) {
			print_error("accepted %s\n", bad[i]);
			fail();
		}
	}
	/* 20000 characters accepted, 20001 refused */
	s = repeat("a", 20000);
	memcpy(s, "https://", 8);
	assert_int_equal(profile_github_link_ok(s, strlen(s)), 1);
	free(s);
	s = repeat("a", 20001);
	memcpy(s, "https://", 8);
	assert_int_equal(profile_github_link_ok(s, strlen(s)), 0);
	free(s);
}

/* ---- the update against a real SQLite database ---------------------------------------------- */

struct fixture {
	char dir[64];
	char path[96];
	struct cfg cfg;
	struct db *db;
	char id[37];
};

static int setup_db(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	struct user *u = NULL;
	unsigned applied;

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_profile_XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/db.sqlite3", fx->dir);
	fx->cfg.database_path = fx->path;
	fx->cfg.sqlite_busy_timeout_ms = 1000;
	if (db_open_create(&fx->cfg, &fx->db) != AC_OK || db_migrate(fx->db, &applied) != AC_OK)
		return -1;
	if (user_insert(fx->db, "john@example.com", "John", "Doe", "!", &u) != AC_OK)
		return -1;
	memcpy(fx->id, u->id, sizeof fx->id);
	user_free(u);
	*state = fx;
	return 0;
}

static int teardown_db(void **state)
{
	struct fixture *fx = *state;
	char p[128];

	db_close(fx->db);
	unlink(fx->path);
	snprintf(p, sizeof p, "%s-wal", fx->path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", fx->path);
	unlink(p);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Runs sql on a connection of the test's own, beside the store's. */
static void exec_raw(struct fixture *fx, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(fx->path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 1000);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static struct user *load(struct fixture *fx)
{
	struct user *u = NULL;

	assert_int_equal(user_by_id(fx->db, fx->id, &u), AC_OK);
	return u;
}

static void set_text(struct profile_form *f, enum profile_field i, const char *v)
{
	f->text[i] = v;
	f->text_len[i] = strlen(v);
}

static void test_update_given_columns_only(void **state)
{
	struct fixture *fx = *state;
	struct profile_form f;
	struct user *u;
	char *old = (char *)"sentinel";

	memset(&f, 0, sizeof f);
	set_text(&f, PF_LAST_NAME, "D\xC3\xB6");
	set_text(&f, PF_GITHUB_LINK, "https://github.com/j");
	assert_int_equal(profile_update(fx->db, fx->id, &f, NULL, &old), AC_OK);
	assert_null(old);
	u = load(fx);
	assert_string_equal(u->first_name, "John");
	assert_string_equal(u->last_name, "D\xC3\xB6");
	assert_string_equal(u->github_link, "https://github.com/j");
	assert_null(u->phone_number);
	assert_null(u->birth_date);
	assert_null(u->thumbnail);
	user_free(u);

	memset(&f, 0, sizeof f);
	set_text(&f, PF_PHONE_NUMBER, "+44 20");
	set_text(&f, PF_BIRTH_DATE, "2000-02-29");
	set_text(&f, PF_FIRST_NAME, "Jo");
	assert_int_equal(profile_update(fx->db, fx->id, &f, "users/a_1234567.png", &old), AC_OK);
	assert_null(old);
	u = load(fx);
	assert_string_equal(u->first_name, "Jo");
	assert_string_equal(u->last_name, "D\xC3\xB6");
	assert_string_equal(u->phone_number, "+44 20");
	assert_string_equal(u->birth_date, "2000-02-29");
	assert_string_equal(u->github_link, "https://github.com/j");
	assert_string_equal(u->thumbnail, "users/a_1234567.png");
	user_free(u);

	/* only the thumbnail; the previous name comes back */
	memset(&f, 0, sizeof f);
	assert_int_equal(profile_update(fx->db, fx->id, &f, "users/b_7654321.gif", &old), AC_OK);
	assert_non_null(old);
	assert_string_equal(old, "users/a_1234567.png");
	free(old);
	u = load(fx);
	assert_string_equal(u->thumbnail, "users/b_7654321.gif");
	assert_string_equal(u->first_name, "Jo");
	user_free(u);
}

static void test_update_creates_missing_profile(void **state)
{
	struct fixture *fx = *state;
	struct profile_form f;
	struct user *u;

	exec_raw(fx, "DELETE FROM user_profile");
	memset(&f, 0, sizeof f);
	set_text(&f, PF_BIRTH_DATE, "1990-01-02");
	assert_int_equal(profile_update(fx->db, fx->id, &f, NULL, NULL), AC_OK);
	u = load(fx);
	assert_int_equal(u->has_profile, 1);
	assert_string_equal(u->birth_date, "1990-01-02");
	assert_null(u->phone_number);
	assert_null(u->github_link);
	user_free(u);
}

static void test_update_missing_user(void **state)
{
	struct fixture *fx = *state;
	struct profile_form f;
	char *old = NULL;

	memset(&f, 0, sizeof f);
	set_text(&f, PF_PHONE_NUMBER, "1");
	assert_int_equal(profile_update(fx->db, "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b", &f,
					"users/x_1234567.png", &old), AC_ENOTFOUND);
	assert_null(old);
	assert_int_equal(profile_update(fx->db, "not-a-uuid", &f, NULL, NULL), AC_ENOTFOUND);
	/* nothing was written, and no transaction is left open: another writer gets in at once */
	exec_raw(fx, "BEGIN IMMEDIATE; ROLLBACK");
}

static void test_update_busy_is_unavailable(void **state)
{
	struct fixture *fx = *state;
	struct profile_form f;
	struct db *busy = NULL;
	sqlite3 *other;
	struct user *u;

	fx->cfg.sqlite_busy_timeout_ms = 50;
	assert_int_equal(db_open(&fx->cfg, &busy), AC_OK);
	assert_int_equal(sqlite3_open(fx->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	memset(&f, 0, sizeof f);
	set_text(&f, PF_FIRST_NAME, "Busy");
	assert_int_equal(profile_update(busy, fx->id, &f, NULL, NULL), AC_EUNAVAIL);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	db_close(busy);
	u = load(fx);
	assert_string_equal(u->first_name, "John");
	user_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_order),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_thumbnail_rules),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_birth_date),
		cmocka_unit_test(test_github_link),
		cmocka_unit_test_setup_teardown(test_update_given_columns_only, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_update_creates_missing_profile, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_update_missing_user, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_update_busy_is_unavailable, setup_db, teardown_db),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
