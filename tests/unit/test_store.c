/* Unit tests for lib/store.c and lib/store_local.c: stored names, and the local backend on a temp dir. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "store.h"

static void stem(const char *filename, const char *want)
{
	char out[STORE_NAME_MAX + 1];

	store_stem(filename, strlen(filename), out, 80);
	if (strcmp(out, want) != 0) {
		print_error("stem(%s) = %s, want %s\n", filename, out, want);
		fail();
	}
}

static void test_stem(void **state)
{
	(void)state;
	stem("me.png", "me");
	stem("my pic.jpeg", "my_pic");
	stem("C:\\Users\\me\\photo 1.PNG", "photo_1");
	stem("/home/me/photo.tar.gz", "phototar");
	stem("../../etc/passwd", "passwd");
	stem(".profile", "profile");
	stem("a.", "a");
	stem("", "thumbnail");
	stem(".png", "png");
	stem("...", "thumbnail");
	stem("dir/", "thumbnail");
	stem("\xC3\xA9t\xC3\xA9.png", "t");
	stem("\xE5\x86\x99\xE7\x9C\x9F.jpg", "thumbnail");
	stem("a%22b\"c;d<e>.png", "a22bcde");
	stem("x_y-z.gif", "x_y-z");
	{
		char out[8];

		store_stem("abcdefghijkl.png", 16, out, 5);
		assert_string_equal(out, "abcde");
		store_stem("", 0, out, 4);
		assert_string_equal(out, "thum");
	}
}

static void test_make_name(void **state)
{
	char name[STORE_NAME_MAX + 1], longname[300];

	(void)state;
	assert_int_equal(store_make_name("me.png", 6, "Ab3dE9x", "png", name), AC_OK);
	assert_string_equal(name, "users/me_Ab3dE9x.png");
	assert_int_equal(store_make_name(NULL, 0, "Ab3dE9x", "webp", name), AC_OK);
	assert_string_equal(name, "users/thumbnail_Ab3dE9x.webp");
	/* the stem is shortened so that the whole name fits 100 characters */
	memset(longname, 'x', sizeof longname);
	assert_int_equal(store_make_name(longname, sizeof longname, "0000000", "webp", name), AC_OK);
	assert_int_equal(strlen(name), STORE_NAME_MAX);
	assert_int_equal(strncmp(name + STORE_NAME_MAX - 13, "_0000000.webp", 13), 0);
	assert_int_equal(store_make_name(longname, sizeof longname, "0000000", "jpg", name), AC_OK);
	assert_int_equal(strlen(name), STORE_NAME_MAX);
	/* bad suffix or extension */
	assert_int_equal(store_make_name("a", 1, "short", "png", name), AC_EINVAL);
	assert_int_equal(store_make_name("a", 1, "Ab3dE/x", "png", name), AC_EINVAL);
	assert_int_equal(store_make_name("a", 1, "Ab3dE9x", "", name), AC_EINVAL);
	assert_int_equal(store_make_name("a", 1, "Ab3dE9x", "p/g", name), AC_EINVAL);
}

static void test_name_ok(void **state)
{
	(void)state;
	assert_int_equal(store_name_ok("users/me_Ab3dE9x.png"), 1);
	assert_int_equal(store_name_ok("users/Django name (1).jpg"), 1);
	assert_int_equal(store_name_ok("users/"), 0);
	assert_int_equal(store_name_ok("users/.."), 0);
	assert_int_equal(store_name_ok("users/."), 0);
	assert_int_equal(store_name_ok("users/a/b.png"), 0);
	assert_int_equal(store_name_ok("users/../db.sqlite3"), 0);
	assert_int_equal(store_name_ok("series/a.png"), 0);
	assert_int_equal(store_name_ok("/etc/passwd"), 0);
	assert_int_equal(store_name_ok("users/a\nb"), 0);
	assert_int_equal(store_name_ok(""), 0);
	assert_int_equal(store_name_ok(NULL), 0);
}

/* ---- the local backend ------------------------------------------------------------------------ */

struct fixture {
	char root[64];
	struct cfg cfg;
	struct store *st;
};

static int setup_local(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);

	if (!fx)
		return -1;
	snprintf(fx->root, sizeof fx->root, "/tmp/test_store_XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	fx->cfg.storage_backend = STORAGE_BACKEND_LOCAL;
	fx->cfg.media_root = fx->root;
	*state = fx;
	return 0;
}

static int teardown_local(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	DIR *d;
	struct dirent *e;

	store_free(fx->st);
	snprintf(path, sizeof path, "%s/users", fx->root);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		char p[400];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(path);
	rmdir(fx->root);
	free(fx);
	return 0;
}

/* The number of entries in MEDIA_ROOT/users (dot files included). */
static int entries(const struct fixture *fx)
{
	char path[128];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/users", fx->root);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void read_file(const struct fixture *fx, const char *name, char *buf, size_t cap, size_t *len,
		      mode_t *mode)
{
	char path[256];
	struct stat sb;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%s", fx->root, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	*mode = sb.st_mode & 07777;
	n = read(fd, buf, cap);
	assert_true(n >= 0);
	*len = (size_t)n;
	close(fd);
}

static void test_local_put_delete(void **state)
{
	struct fixture *fx = *state;
	char name[STORE_NAME_MAX + 1], name2[STORE_NAME_MAX + 1], buf[64];
	size_t len;
	mode_t mode, old = umask(077);

	/* MEDIA_ROOT/users is created when missing */
	assert_int_equal(store_open(&fx->cfg, &fx->st), AC_OK);
	assert_int_equal(store_put(fx->st, "my pic.png", 10, "png", "image/png", "PNGDATA", 7, name), AC_OK);
	umask(old);
	assert_int_equal(strlen(name), strlen("users/my_pic_XXXXXXX.png"));
	assert_int_equal(strncmp(name, "users/my_pic_", 13), 0);
	assert_string_equal(name + 20, ".png");
	read_file(fx, name, buf, sizeof buf, &len, &mode);
	assert_int_equal(len, 7);
	assert_memory_equal(buf, "PNGDATA", 7);
	/* readable by the web server whatever the umask */
	assert_int_equal(mode, 0644);
	/* no temporary file is left behind */
	assert_int_equal(entries(fx), 1);

	assert_int_equal(store_put(fx->st, "my pic.png", 10, "png", "image/png", "OTHER", 5, name2), AC_OK);
	assert_string_not_equal(name, name2);
	assert_int_equal(entries(fx), 2);

	assert_int_equal(store_delete(fx->st, name), AC_OK);
	assert_int_equal(entries(fx), 1);
	/* deleting what is gone is fine; unsafe names are refused */
	assert_int_equal(store_delete(fx->st, name), AC_OK);
	assert_int_equal(store_delete(fx->st, "users/../x"), AC_EINVAL);
	assert_int_equal(store_delete(fx->st, "series/x.png"), AC_EINVAL);
	assert_int_equal(entries(fx), 1);
}

static void test_local_never_replaces(void **state)
{
	struct fixture *fx = *state;
	char buf[64];
	size_t len;
	mode_t mode;

	assert_int_equal(store_open(&fx->cfg, &fx->st), AC_OK);
	assert_int_equal(store_local_ops.put(fx->st, "users/taken_1234567.png", "first", 5, "image/png"), AC_OK);
	assert_int_equal(store_local_ops.put(fx->st, "users/taken_1234567.png", "second", 6, "image/png"),
			 AC_ECONFLICT);
	read_file(fx, "users/taken_1234567.png", buf, sizeof buf, &len, &mode);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "first", 5);
	assert_int_equal(entries(fx), 1);
	/* an empty file is a file */
	assert_int_equal(store_local_ops.put(fx->st, "users/empty_1234567.png", "", 0, "image/png"), AC_OK);
	assert_int_equal(entries(fx), 2);
}

static void test_local_errors(void **state)
{
	struct fixture *fx = *state;
	struct cfg cfg = fx->cfg;
	char name[STORE_NAME_MAX + 1], path[128];

	cfg.media_root = "/nonexistent/authcgi-media";
	assert_int_equal(store_open(&cfg, &fx->st), AC_EINTERNAL);
	assert_null(fx->st);
	cfg.media_root = NULL;
	assert_int_equal(store_open(&cfg, &fx->st), AC_EINTERNAL);
	/* a read-only users directory: writing fails with a 500 (root ignores permissions) */
	assert_int_equal(store_open(&fx->cfg, &fx->st), AC_OK);
	if (geteuid() != 0) {
		snprintf(path, sizeof path, "%s/users", fx->root);
		assert_int_equal(chmod(path, 0555), 0);
		assert_int_equal(store_put(fx->st, "a.png", 5, "png", "image/png", "x", 1, name), AC_EINTERNAL);
		assert_string_equal(name, "");
		assert_int_equal(chmod(path, 0755), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stem),
		cmocka_unit_test(test_make_name),
		cmocka_unit_test(test_name_ok),
		cmocka_unit_test_setup_teardown(test_local_put_delete, setup_local, teardown_local),
		cmocka_unit_test_setup_teardown(test_local_never_replaces, setup_local, teardown_local),
		cmocka_unit_test_setup_teardown(test_local_errors, setup_local, teardown_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
