/* Unit tests of lib/resp.c: header checks, fixed headers, cookie order, Content-Length, HEAD. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "resp.h"

static char *render(struct resp *r, int head)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(resp_serialize(r, head, &out, &len), AC_OK);
	assert_int_equal(strlen(out), len);
	return out;
}

static void error_response_is_complete(void **state)
{
	struct resp r;
	char *out;

	(void)state;
	resp_init(&r);
	assert_int_equal(resp_error(&r, 400, "Malformed JSON body"), AC_OK);
	out = render(&r, 0);
	assert_string_equal(out,
			    "Status: 400 Bad Request\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: 31\r\n"
			    "X-Content-Type-Options: nosniff\r\n"
			    "X-Frame-Options: DENY\r\n"
			    "Referrer-Policy: same-origin\r\n"
			    "Cross-Origin-Opener-Policy: same-origin\r\n"
			    "Cache-Control: no-store\r\n"
			    "\r\n"
			    "{\"error\":\"Malformed JSON body\"}");
	free(out);
	out = render(&r, 1);
	assert_non_null(strstr(out, "Content-Length: 31\r\n"));
	assert_int_equal(strcmp(out + strlen(out) - 4, "\r\n\r\n"), 0);
	free(out);
	resp_reset(&r);
}

static void header_values_with_crlf_or_nul_are_refused(void **state)
{
	struct resp r;
	const char *bad[] = { "a\r\nSet-Cookie: x=y", "a\nb", "a\rb", "a\x01", "a\x7f" };

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		resp_init(&r);
		assert_int_equal(resp_header(&r, "Location", bad[i]), AC_EINVAL);
		assert_int_equal(r.n_headers, 0);
		assert_true(r.bad_header);
		resp_reset(&r);
	}
	resp_init(&r);
	assert_int_equal(resp_header(&r, "Bad Name", "x"), AC_EINVAL);
	assert_int_equal(resp_cookie(&r, "a=b\r\nX: y"), AC_EINVAL);
	assert_int_equal(r.n_cookies, 0);
	resp_reset(&r);
}

static void cookies_come_last_in_order(void **state)
{
	struct resp r;
	char *out, *a, *b, *vary;

	(void)state;
	resp_init(&r);
	resp_message(&r, 200, "ok");
	resp_cookie(&r, "csrftoken=1");
	resp_cookie(&r, "sessionid=2");
	resp_header(&r, "Vary", "Cookie");
	resp_header_append(&r, "Vary", "Origin");
	out = render(&r, 0);
	a = strstr(out, "Set-Cookie: csrftoken=1\r\n");
	b = strstr(out, "Set-Cookie: sessionid=2\r\n");
	vary = strstr(out, "Vary: Cookie, Origin\r\n");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(vary);
	assert_true(vary < a && a < b);
	assert_true(b + strlen("Set-Cookie: sessionid=2\r\n") == strstr(out, "\r\n\r\n") + 2);
	free(out);
	resp_reset(&r);
}

static void failures_drop_cookies(void **state)
{
	struct resp r;
	char *out;

	(void)state;
	resp_init(&r);
	resp_cookie(&r, "sessionid=2");
	resp_unavailable(&r);
	out = render(&r, 0);
	assert_null(strstr(out, "Set-Cookie"));
	assert_non_null(strstr(out, "Status: 503 Service Unavailable\r\n"));
	assert_non_null(strstr(out, "Retry-After: 5\r\n"));
	assert_non_null(strstr(out, "Service temporarily unavailable. Please try again later"));
	free(out);
	resp_reset(&r);
}

static void redirects_and_cacheable(void **state)
{
	struct resp r;
	char *out;

	(void)state;
	resp_init(&r);
	resp_header(&r, "Location", "/users/series/");
	resp_empty(&r, 301);
	out = render(&r, 0);
	assert_null(strstr(out, "Cache-Control"));
	assert_null(strstr(out, "\nContent-Type: "));
	assert_non_null(strstr(out, "Content-Length: 0\r\n"));
	free(out);
	resp_empty(&r, 302);
	out = render(&r, 0);
	assert_non_null(strstr(out, "Cache-Control: no-store"));
	free(out);
	resp_message(&r, 200, "x");
	r.no_store = 0;
	out = render(&r, 0);
	assert_null(strstr(out, "Cache-Control"));
	free(out);
	resp_reset(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(error_response_is_complete),
		cmocka_unit_test(header_values_with_crlf_or_nul_are_refused),
		cmocka_unit_test(cookies_come_last_in_order),
		cmocka_unit_test(failures_drop_cookies),
		cmocka_unit_test(redirects_and_cacheable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
