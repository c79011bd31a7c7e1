/* Unit tests for lib/origin.c: canonical origins and their comparison (API.md §1.9). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "err.h"
#include "origin.h"

static void canon(const char *in, const char *want)
{
	char out[320];

	assert_int_equal(origin_canonical(in, out, sizeof out), AC_OK);
	assert_string_equal(out, want);
}

static void test_canonical(void **state)
{
	(void)state;
	canon("https://example.com", "https://example.com");
	canon("HTTPS://Example.COM", "https://example.com");
	canon("Http://LOCALHOST:3000", "http://localhost:3000");
	canon("http://example.com:80", "http://example.com");
	canon("https://example.com:443", "https://example.com");
	canon("http://example.com:443", "http://example.com:443");
	canon("https://example.com:80", "https://example.com:80");
	canon("https://example.com:8443", "https://example.com:8443");
	canon("http://example.com:0080", "http://example.com");
	canon("http://127.0.0.1:8000", "http://127.0.0.1:8000");
	canon("http://[::1]:8000", "http://[::1]:8000");
	canon("http://[2001:DB8:0:0::1]", "http://[2001:db8::1]");
	canon("https://[2001:db8::1]:443", "https://[2001:db8::1]");
	canon("https://my_host.example", "https://my_host.example");
	canon("http://a:65535", "http://a:65535");
	canon("http://a:1", "http://a:1");
}

static void test_canonical_rejects(void **state)
{
	static const char *const bad[] = {
		"null", "Null", "", "example.com", "//example.com", "ftp://example.com",
		"file:///etc/passwd", "https://", "https://:443", "https://example.com/",
		"https://example.com/path", "https://example.com?x", "https://example.com#f",
		"https://user@example.com", "https://user:pw@example.com", "https://example.com:0",
		"https://example.com:65536", "https://example.com:", "https://example.com:-1",
		"https://example.com:+80", "https://example.com:123456", "https://exa mple.com",
		"https://example.com\r\n", "https://exa\tmple.com", "https://ex\x7f.com",
		"https://ex\xc3\xa9.com", "https://[::1", "https://[::1]x", "https://[]",
		"https://[fe80::1%25eth0]", "https://[1.2.3.4]", "https://::1", "https://a:b:c",
		"https:/example.com", "https:example.com", "javascript://example.com",
		"https://example.com:80:80", "https://exa%41mple.com", " https://example.com",
		"https://example.com ",
	};
	char out[320];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		strcpy(out, "junk");
		assert_int_equal(origin_canonical(bad[i], out, sizeof out), AC_EINVAL);
		assert_string_equal(out, "");
	}
	assert_int_equal(origin_canonical(NULL, out, sizeof out), AC_EINVAL);
}

static void test_canonical_long_host(void **state)
{
	char in[400], out[320];

	(void)state;
	strcpy(in, "https://");
	memset(in + 8, 'a', 253);
	in[8 + 253] = '\0';
	assert_int_equal(origin_canonical(in, out, sizeof out), AC_OK);
	assert_int_equal(strlen(out), 8 + 253);
	memset(in + 8, 'a', 254);
	in[8 + 254] = '\0';
	assert_int_equal(origin_canonical(in, out, sizeof out), AC_EINVAL);
	/* output buffer too small */
	assert_int_equal(origin_canonical("https://example.com", out, 19), AC_EINVAL);
	assert_int_equal(origin_canonical("https://example.com", out, 20), AC_OK);
}

/* Two spellings are the same origin when their canonical forms are equal. */
static int same(const char *a, const char *b)
{
	char ca[320], cb[320];

	assert_int_equal(origin_canonical(a, ca, sizeof ca), AC_OK);
	assert_int_equal(origin_canonical(b, cb, sizeof cb), AC_OK);
	return strcmp(ca, cb) == 0;
}

static void test_compare(void **state)
{
	(void)state;
	assert_true(same("https://App.Example.com", "https://app.example.com:443"));
	assert_true(same("HTTP://example.com:80", "http://EXAMPLE.com"));
	assert_true(same("http://[::1]", "http://[0:0::1]:80"));
	assert_false(same("http://example.com", "https://example.com"));
	assert_false(same("http://example.com:443", "https://example.com"));
	assert_false(same("https://example.com:8443", "https://example.com"));
	assert_false(same("https://a.example.com", "https://b.example.com"));
}

static void of_url(const char *in, const char *want)
{
	char out[320];

	assert_int_equal(origin_of_url(in, out, sizeof out), AC_OK);
	assert_string_equal(out, want);
}

static void test_of_url(void **state)
{
	static const char *const bad[] = {
		"localhost:3000", "ftp://x.example", "https://user:pw@x.example/",
		"https://x.example:99999/", "https:///path", "https://x.example/pa th",
		"https://x.example/\r\n", "null", "",
	};
	char out[320];

	(void)state;
	of_url("http://localhost:3000", "http://localhost:3000");
	of_url("https://API.example.com/auth", "https://api.example.com");
	of_url("https://api.example.com:443/auth/v1/", "https://api.example.com");
	of_url("http://x.example?q=1", "http://x.example");
	of_url("http://x.example#frag", "http://x.example");
	of_url("http://[::1]:8000/x", "http://[::1]:8000");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(origin_of_url(bad[i], out, sizeof out), AC_EINVAL);
}

static void from_host(const char *scheme, const char *host, const char *want)
{
	char out[320];

	assert_int_equal(origin_from_host(scheme, host, out, sizeof out), AC_OK);
	assert_string_equal(out, want);
}

static void test_from_host(void **state)
{
	static const char *const bad[] = {
		"", "example.com/", "user@example.com", "example.com:0", "example.com:abc",
		"exa mple.com", "example.com\r\nX: y", "[::1", "example.com?x", "example.com#x",
		":80",
	};
	char out[320];

	(void)state;
	from_host("http", "example.com", "http://example.com");
	from_host("https", "Example.com:443", "https://example.com");
	from_host("http", "example.com:80", "http://example.com");
	from_host("http", "localhost:8000", "http://localhost:8000");
	from_host("https", "[::1]:8443", "https://[::1]:8443");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(origin_from_host("https", bad[i], out, sizeof out), AC_EINVAL);
	assert_int_equal(origin_from_host("ftp", "example.com", out, sizeof out), AC_EINVAL);
	assert_int_equal(origin_from_host("", "example.com", out, sizeof out), AC_EINVAL);
	assert_int_equal(origin_from_host("http", NULL, out, sizeof out), AC_EINVAL);
	assert_int_equal(origin_from_host(NULL, "example.com", out, sizeof out), AC_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_canonical_rejects),
		cmocka_unit_test(test_canonical_long_host),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_of_url),
		cmocka_unit_test(test_from_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
