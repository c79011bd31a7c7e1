/* Unit tests of lib/req.c: CONTENT_LENGTH syntax, the bounded body read, User-Agent cleaning, client address. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "req.h"

static void content_length_syntax(void **state)
{
	unsigned long long v = 0;
	const char *bad[] = { "-1", "+5", " 12", "12 ", "12abc", "1e3", "", "12345678901", "0x10" };

	(void)state;
	assert_int_equal(req_parse_content_length("0", &v), AC_OK);
	assert_int_equal(v, 0);
	assert_int_equal(req_parse_content_length("33", &v), AC_OK);
	assert_int_equal(v, 33);
	assert_int_equal(req_parse_content_length("9999999999", &v), AC_OK);
	assert_true(v == 9999999999ULL);
	assert_int_equal(req_parse_content_length("0000000001", &v), AC_OK);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(req_parse_content_length(bad[i], &v), AC_EINVAL);
}

static void body_read_exact_short_and_timeout(void **state)
{
	struct req r;
	int fds[2];

	(void)state;
	memset(&r, 0, sizeof r);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "hello world", 11), 11);
	assert_int_equal(req_read_body(&r, fds[0], 5, 1000), AC_OK);
	assert_int_equal(r.body_len, 5);
	assert_string_equal(r.body, "hello");
	/* 6 bytes remain; asking for 7 after the writer closes is an incomplete body */
	close(fds[1]);
	assert_int_equal(req_read_body(&r, fds[0], 7, 1000), AC_EINVAL);
	close(fds[0]);
	/* a writer that never writes runs into the deadline */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(req_read_body(&r, fds[0], 1, 50), AC_ETIMEOUT);
	close(fds[0]);
	close(fds[1]);
	req_free(&r);
	assert_null(r.body);
}

static void user_agent_cleaning(void **state)
{
	char out[REQ_UA_MAX + 1], in[600];

	(void)state;
	req_clean_user_agent("Mozilla/5.0 (X11)\r\n\x01", out);
	assert_string_equal(out, "Mozilla/5.0 (X11)");
	req_clean_user_agent(NULL, out);
	assert_string_equal(out, "");
	/* 255 ASCII bytes then a 2-byte character: the character does not fit and is dropped whole */
	memset(in, 'a', 255);
	strcpy(in + 255, "\xc3\xa9tail");
	req_clean_user_agent(in, out);
	assert_int_equal(strlen(out), 255);
	/* invalid UTF-8 keeps only its ASCII */
	req_clean_user_agent("ab\xff\xfe" "cd", out);
	assert_string_equal(out, "abcd");
}

static void method_bits(void **state)
{
	(void)state;
	assert_int_equal(req_method_bit("GET"), REQ_GET);
	assert_int_equal(req_method_bit("PATCH"), REQ_PATCH);
	assert_int_equal(req_method_bit("get"), REQ_OTHER);
	assert_int_equal(req_method_bit("BREW"), REQ_OTHER);
}

static void client_address_from_env(void **state)
{
	struct addr_range proxy;
	struct cfg cfg;
	struct req r;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(addr_parse_range("10.0.0.0/8", &proxy), AC_OK);
	cfg.trusted_proxies = &proxy;
	cfg.n_trusted_proxies = 1;

	setenv("REMOTE_ADDR", "203.0.113.7", 1);
	setenv("HTTP_X_FORWARDED_FOR", "198.51.100.1", 1);
	req_from_env(&r);
	req_resolve_client(&r, &cfg);
	assert_true(r.client_known);
	assert_string_equal(r.client_ip, "203.0.113.7"); /* untrusted peer: XFF ignored */

	setenv("REMOTE_ADDR", "10.1.2.3", 1);
	setenv("HTTP_X_FORWARDED_FOR", "192.0.2.9, 198.51.100.1, 10.9.9.9", 1);
	setenv("HTTP_X_FORWARDED_PROTO", "https", 1);
	req_from_env(&r);
	req_resolve_client(&r, &cfg);
	assert_string_equal(r.client_ip, "198.51.100.1"); /* rightmost untrusted entry */
	assert_true(r.tls);

	setenv("HTTP_X_FORWARDED_FOR", "10.2.2.2", 1);
	req_from_env(&r);
	req_resolve_client(&r, &cfg);
	assert_false(r.client_known);
	assert_string_equal(r.client_subject, "");

	unsetenv("HTTP_X_FORWARDED_FOR");
	unsetenv("HTTP_X_FORWARDED_PROTO");
	setenv("REMOTE_ADDR", "2001:db8:1:2:3:4:5:6", 1);
	req_from_env(&r);
	req_resolve_client(&r, &cfg);
	assert_true(r.client_known);
	assert_false(r.tls);
	assert_string_equal(r.client_subject, "2001:db8:1:2::/64");
	unsetenv("REMOTE_ADDR");
}

/* One X-Forwarded-For value from the trusted peer 10.1.2.3 (10.0.0.0/8 and fd00::/8 trusted). */
static void resolve_xff(const char *xff, struct req *r)
{
	static struct addr_range proxies[2];
	struct cfg cfg;

	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(addr_parse_range("10.0.0.0/8", &proxies[0]), AC_OK);
	assert_int_equal(addr_parse_range("fd00::/8", &proxies[1]), AC_OK);
	cfg.trusted_proxies = proxies;
	cfg.n_trusted_proxies = 2;
	setenv("REMOTE_ADDR", "10.1.2.3", 1);
	setenv("HTTP_X_FORWARDED_FOR", xff, 1);
	req_from_env(r);
	req_resolve_client(r, &cfg);
	unsetenv("HTTP_X_FORWARDED_FOR");
	unsetenv("REMOTE_ADDR");
}

/* §1.11 as amended: ports, brackets and zones are reduced; a non-address ends the walk at the last trusted hop. */
static void client_address_forwarded_forms(void **state)
{
	static const struct { const char *xff, *ip, *subject; } cases[] = {
		{ "198.51.100.7:5678", "198.51.100.7", "198.51.100.7" },
		{ " 198.51.100.7:1 ,10.9.9.9", "198.51.100.7", "198.51.100.7" },
		{ "[2001:db8:1:2::7]:443", "2001:db8:1:2::7", "2001:db8:1:2::/64" },
		{ "[2001:db8:1:2::7]", "2001:db8:1:2::7", "2001:db8:1:2::/64" },
		{ "fe80::1%eth0", "fe80::1", "fe80::/64" },
		{ "[fe80::1%25]:80", "fe80::1", "fe80::/64" },
		{ "\t2001:db8::9 ", "2001:db8::9", "2001:db8::/64" },
		/* not an address: the walk stops, the client is the last trusted hop */
		{ "unknown", "10.1.2.3", "10.1.2.3" },
		{ "198.51.100.7, _hidden, 10.9.9.9", "10.9.9.9", "10.9.9.9" },
		{ "198.51.100.7, 1.2.3.4:99999", "10.1.2.3", "10.1.2.3" },
		{ "198.51.100.7, [1.2.3.4]", "10.1.2.3", "10.1.2.3" },
		{ "198.51.100.7, 1.2.3.4%eth0", "10.1.2.3", "10.1.2.3" },
		{ "198.51.100.7, fd00::1, 2001:db8::1]", "10.1.2.3", "10.1.2.3" },
		{ "198.51.100.7, 10.9.9.9, [fd00::2]:80, garbage-garbage-garbage-garbage-garbage-garbage-garbage",
		  "10.1.2.3", "10.1.2.3" },
		{ "garbage, [fd00::2]:80", "fd00::2", "fd00::/64" },
	};
	struct req r;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		resolve_xff(cases[i].xff, &r);
		print_message("X-Forwarded-For: %s\n", cases[i].xff);
		assert_true(r.client_known);
		assert_string_equal(r.client_ip, cases[i].ip);
		assert_string_equal(r.client_subject, cases[i].subject);
	}
	/* only trusted entries, or nothing: unknown as before */
	resolve_xff("10.2.2.2, [fd00::1]:8080", &r);
	assert_false(r.client_known);
	resolve_xff(" , ", &r);
	assert_false(r.client_known);
}

static void absent_method_is_get(void **state)
{
	struct req r;

	(void)state;
	unsetenv("REQUEST_METHOD");
	req_from_env(&r);
	assert_int_equal(r.method, REQ_GET);
	assert_string_equal(r.method_name, "GET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(content_length_syntax),
		cmocka_unit_test(body_read_exact_short_and_timeout),
		cmocka_unit_test(user_agent_cleaning),
		cmocka_unit_test(method_bits),
		cmocka_unit_test(client_address_from_env),
		cmocka_unit_test(client_address_forwarded_forms),
		cmocka_unit_test(absent_method_is_get),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
