/* Unit tests for lib/mp.c: the boundary from Content-Type, and the strict part structure. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "mp.h"

#define S(lit) lit, sizeof(lit) - 1

static int boundary_of(const char *ct, char out[MP_BOUNDARY_MAX + 1])
{
	return mp_boundary(ct, out);
}

static void test_boundary_ok(void **state)
{
	char b[MP_BOUNDARY_MAX + 1];

	(void)state;
	assert_int_equal(boundary_of("multipart/form-data; boundary=abc", b), AC_OK);
	assert_string_equal(b, "abc");
	assert_int_equal(boundary_of("Multipart/Form-Data;BOUNDARY=\"a b'()+_,-./:=?\"", b), AC_OK);
	assert_string_equal(b, "a b'()+_,-./:=?");
	assert_int_equal(boundary_of("multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", b), AC_OK);
	assert_string_equal(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW");
	assert_int_equal(boundary_of("  multipart/form-data ;\tboundary=x ", b), AC_OK);
	assert_string_equal(b, "x");
	assert_int_equal(boundary_of("multipart/form-data; x=\"a;boundary=no\"; boundary=yes", b), AC_OK);
	assert_string_equal(b, "yes");
	/* 70 characters is the RFC 2046 maximum */
	assert_int_equal(boundary_of("multipart/form-data; boundary=0123456789012345678901234567890123456789012345678901234567890123456789", b), AC_OK);
	assert_int_equal(strlen(b), 70);
}

static void test_boundary_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"text/plain",
		"multipart/form-data",
		"multipart/form-data;",
		"multipart/form-data; boundary=",
		"multipart/form-data; boundary=\"\"",
		"multipart/mixed; boundary=abc",
		"multipart/form-datax; boundary=abc",
		"application/x-www-form-urlencoded; boundary=abc",
		"multipart/form-data; boundary=\"abc \"",
		"multipart/form-data; boundary=ab!c",
		"multipart/form-data; boundary=\"ab\\c\"",
		"multipart/form-data; boundary=\"abc",
		"multipart/form-data; boundary=a; boundary=b",
		"multipart/form-data; boundary=abc;",
		"multipart/form-data; boundary=abc garbage",
		"multipart/form-data boundary=abc",
		"multipart/form-data; boundary=01234567890123456789012345678901234567890123456789012345678901234567890",
	};
	char b[MP_BOUNDARY_MAX + 1];

	(void)state;
	assert_int_equal(mp_boundary(NULL, b), AC_EINVAL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (mp_boundary(bad[i], b) != AC_EINVAL) {
			print_error("accepted: %s\n", bad[i]);
			fail();
		}
		assert_string_equal(b, "");
	}
}

/* Parses body with boundary "b"; returns the number of parts, or -1 when malformed. */
static int count_parts(const char *body, size_t len, struct mp_part *first)
{
	struct mp m;
	struct mp_part p;
	int n = 0, r;

	mp_init(&m, "b", body, len);
	while ((r = mp_next(&m, &p)) == 1) {
		if (n == 0 && first)
			*first = p;
		n++;
	}
	if (r < 0) {
		/* errors are sticky */
		assert_int_equal(mp_next(&m, &p), AC_EINVAL);
		return -1;
	}
	assert_int_equal(mp_next(&m, &p), 0);
	return n;
}

static void assert_mem(const char *p, size_t n, const char *want)
{
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

static void test_parts(void **state)
{
	static const char body[] =
		"--b\r\n"
		"Content-Disposition: form-data; name=\"first_name\"\r\n"
		"\r\n"
		"John\r\n"
		"--b\r\n"
		"content-disposition: FORM-DATA; NAME=\"thumbnail\"; FILENAME=\"C:\\pics\\me.png\"\r\n"
		"Content-Type:  image/png \r\n"
		"X-Other: ignored\r\n"
		"\r\n"
		"\x89PNG\r\n-- b\r\n-b\n--b\0z\r\n"
		"--b\r\n"
		"Content-Disposition: form-data; name=last_name; filename=\"\"\r\n"
		"\r\n"
		"\r\n"
		"--b--\r\n";
	static const char file[] = "\x89PNG\r\n-- b\r\n-b\n--b\0z";
	struct mp m;
	struct mp_part p;

	(void)state;
	mp_init(&m, "b", body, sizeof body - 1);
	assert_int_equal(mp_next(&m, &p), 1);
	assert_mem(p.name, p.name_len, "first_name");
	assert_int_equal(p.has_filename, 0);
	assert_null(p.filename);
	assert_null(p.content_type);
	assert_mem(p.data, p.data_len, "John");

	assert_int_equal(mp_next(&m, &p), 1);
	assert_mem(p.name, p.name_len, "thumbnail");
	assert_int_equal(p.has_filename, 1);
	assert_mem(p.filename, p.filename_len, "C:\\pics\\me.png");
	assert_mem(p.content_type, p.content_type_len, "image/png");
	assert_int_equal(p.data_len, sizeof file - 1);
	assert_memory_equal(p.data, file, sizeof file - 1);

	assert_int_equal(mp_next(&m, &p), 1);
	assert_mem(p.name, p.name_len, "last_name");
	assert_int_equal(p.has_filename, 1);
	assert_int_equal(p.filename_len, 0);
	assert_int_equal(p.data_len, 0);

	assert_int_equal(mp_next(&m, &p), 0);
	assert_int_equal(mp_next(&m, &p), 0);
}

static void test_quoted_values_are_literal(void **state)
{
	static const char body[] =
		"--b\r\n"
		"Content-Disposition: form-data; name=\"a;b=c\"; filename=\"x\\\"; other=1\r\n"
		"\r\n"
		"v\r\n"
		"--b--";
	struct mp_part p;

	(void)state;
	assert_int_equal(count_parts(body, sizeof body - 1, &p), 1);
	assert_mem(p.name, p.name_len, "a;b=c");
	assert_mem(p.filename, p.filename_len, "x\\");
}

static void test_endings(void **state)
{
	(void)state;
	assert_int_equal(count_parts(S("--b--"), NULL), 0);
	assert_int_equal(count_parts(S("--b--\r\n"), NULL), 0);
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--b--"), NULL), 1);
	/* epilogue, padding, a wrong or missing final delimiter */
	assert_int_equal(count_parts(S("--b--\r\nepilogue"), NULL), -1);
	assert_int_equal(count_parts(S("--b--x"), NULL), -1);
	assert_int_equal(count_parts(S("--b--\r"), NULL), -1);
	assert_int_equal(count_parts(S("--b \r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--"), NULL), -1);
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b"), NULL), -1);
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b\r\n"), NULL), -1);
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv"), NULL), -1);
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--c--"), NULL), -1);
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--bX--"), NULL), -1);
	/* no preamble, no leading CRLF, nothing at all */
	assert_int_equal(count_parts(S("preamble\r\n--b--"), NULL), -1);
	assert_int_equal(count_parts(S("\r\n--b--"), NULL), -1);
	assert_int_equal(count_parts(S(""), NULL), -1);
	assert_int_equal(count_parts(S("--"), NULL), -1);
	assert_int_equal(count_parts(S("--c--"), NULL), -1);
}

static void test_line_breaks(void **state)
{
	(void)state;
	assert_int_equal(count_parts(S("--b\nContent-Disposition: form-data; name=a\n\nv\n--b--\n"), NULL), -1);
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a\n\r\nv\r\n--b--"), NULL), -1);
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a\r\n\nv\r\n--b--"), NULL), -1);
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a\r\r\n\r\nv\r\n--b--"), NULL), -1);
	/* the body of a part is binary: a bare LF there is data */
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\nw\r\n--b--"), NULL), 1);
}

static void test_headers(void **state)
{
	static const char *const bad[] = {
		"--b\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; filename=a\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; name=a; filename=x; filename=y\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; name=a\r\nContent-Type: a\r\nContent-Type: b\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; name=\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; name=a;\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; name=a b\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition form-data; name=a\r\n\r\nv\r\n--b--",
		"--b\r\n: x\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; name=\"a\x01\"\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-data; name=\"a\x7f\"\r\n\r\nv\r\n--b--",
		"--b\r\nContent-Disposition: form-datax; name=a\r\n\r\nv\r\n--b--",
	};
	struct mp_part p;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (count_parts(bad[i], strlen(bad[i]), NULL) != -1) {
			print_error("accepted: %s\n", bad[i]);
			fail();
		}
	}
	/* a NUL in a header */
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=\"a\0\"\r\n\r\nv\r\n--b--"), NULL), -1);
	/* HTAB and UTF-8 are fine in headers */
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition:\tform-data;\tname=a;\tfilename=\"\xC3\xA9t\xC3\xA9.png\"\r\n\r\nv\r\n--b--"), &p), 1);
	assert_mem(p.filename, p.filename_len, "\xC3\xA9t\xC3\xA9.png");
	/* an empty name is a name (the caller finds it unknown) */
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--b--"), &p), 1);
	assert_int_equal(p.name_len, 0);
	/* filename* is some other parameter */
	assert_int_equal(count_parts(S("--b\r\nContent-Disposition: form-data; name=a; filename*=UTF-8''x\r\n\r\nv\r\n--b--"), &p), 1);
	assert_int_equal(p.has_filename, 0);
}

/* A part whose header block (blank line included) is exactly total bytes. */
static char *part_with_header_block(size_t total, size_t *len)
{
	static const char head[] = "--b\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ";
	static const char tail[] = "\r\n\r\nv\r\n--b--";
	size_t fixed = strlen("Content-Disposition: form-data; name=a\r\nX-Pad: ") + 4;
	size_t pad = total - fixed;
	char *buf = malloc(sizeof head + pad + sizeof tail);

	assert_non_null(buf);
	memcpy(buf, head, sizeof head - 1);
	memset(buf + sizeof head - 1, 'x', pad);
	memcpy(buf + sizeof head - 1 + pad, tail, sizeof tail);
	*len = sizeof head - 1 + pad + sizeof tail - 1;
	return buf;
}

static void test_header_block_limit(void **state)
{
	size_t len;
	char *body;

	(void)state;
	body = part_with_header_block(MP_HEADER_MAX, &len);
	assert_int_equal(count_parts(body, len, NULL), 1);
	free(body);
	body = part_with_header_block(MP_HEADER_MAX + 1, &len);
	assert_int_equal(count_parts(body, len, NULL), -1);
	free(body);
}

static void test_many_parts_and_long_boundary(void **state)
{
	char boundary[MP_BOUNDARY_MAX + 1], *body, *w;
	struct mp m;
	struct mp_part p;
	int n = 0, r;

	(void)state;
	memset(boundary, 'q', MP_BOUNDARY_MAX);
	boundary[MP_BOUNDARY_MAX] = '\0';
	body = malloc(100 * 200);
	assert_non_null(body);
	w = body;
	for (int i = 0; i < 100; i++)
		w += sprintf(w, "--%s\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\n%d\r\n", boundary, i, i);
	w += sprintf(w, "--%s--\r\n", boundary);
	mp_init(&m, boundary, body, (size_t)(w - body));
	while ((r = mp_next(&m, &p)) == 1) {
		char want[16];

		snprintf(want, sizeof want, "%d", n);
		assert_mem(p.data, p.data_len, want);
		n++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, 100);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary_ok),
		cmocka_unit_test(test_boundary_bad),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_quoted_values_are_literal),
		cmocka_unit_test(test_endings),
		cmocka_unit_test(test_line_breaks),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_header_block_limit),
		cmocka_unit_test(test_many_parts_and_long_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
