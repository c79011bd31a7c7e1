/* Unit tests of lib/email.c: validation and normalisation (API.md §2.6), subject hash (§1.12). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto.h"
#include "email.h"
#include "err.h"

static void valid_as(const char *in, const char *want)
{
	char out[EMAIL_MAX + 1];

	memset(out, 'x', sizeof out);
	if (email_normalize(in, out) != AC_OK)
		fail_msg("rejected: \"%s\"", in);
	assert_string_equal(out, want);
	/* A normalised address normalises to itself. */
	assert_int_equal(email_normalize(out, out), AC_OK);
	assert_string_equal(out, want);
}

static void valid(const char *in)
{
	valid_as(in, in);
}

static void invalid(const char *in)
{
	char out[EMAIL_MAX + 1];

	if (email_normalize(in, out) != AC_EINVAL)
		fail_msg("accepted: \"%s\"", in);
}

/* A string of n copies of c (static buffer, one at a time). */
static const char *rep(char c, size_t n)
{
	static char buf[512];

	assert_true(n < sizeof buf);
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void test_table(void **state)
{
	(void)state;
	valid("john@example.com");
	valid("john@localhost");
	valid("john@[192.0.2.1]");
	invalid("john@example");
	invalid("john.@example.com");
	invalid("\"john doe\"@example.com");
	invalid("j\xc3\xb6hn@example.com");
}

static void test_normalisation(void **state)
{
	(void)state;
	valid_as(" John@EXAMPLE.com ", "John@example.com");
	valid_as("JOHN.Smith@Mail.EXAMPLE.COM", "JOHN.Smith@mail.example.com");
	valid_as("john@LOCALHOST", "john@localhost");
	valid_as("john@LocalHost", "john@localhost");
	valid_as("John@[IPv6:2001:DB8::1]", "John@[ipv6:2001:db8::1]");
}

static void test_trimming(void **state)
{
	(void)state;
	valid_as("\t\n\v\f\r john@example.com \r\n\t", "john@example.com");
	valid_as("john@example.com\n", "john@example.com");
	invalid("john @example.com");
	invalid("john@ example.com");
	invalid("jo hn@example.com");
	invalid("john@exa\tmple.com");
	invalid("");
	invalid("   ");
	invalid(NULL);
	/* Only ASCII whitespace is trimmed: a no-break space is just non-ASCII. */
	invalid("\xc2\xa0john@example.com");
	invalid("john@example.com\xc2\xa0");
}

static void test_length(void **state)
{
	char addr[600], padded[620];
	char out[EMAIL_MAX + 1];

	(void)state;
	/* 242 + "@example.com" (12) = 254 */
	strcpy(addr, rep('a', 242));
	strcat(addr, "@example.com");
	assert_int_equal(strlen(addr), 254);
	valid(addr);
	/* Surrounding whitespace does not count. */
	snprintf(padded, sizeof padded, "  %s \n", addr);
	assert_int_equal(email_normalize(padded, out), AC_OK);
	assert_string_equal(out, addr);
	/* 255 */
	strcpy(addr, rep('a', 243));
	strcat(addr, "@example.com");
	assert_int_equal(strlen(addr), 255);
	invalid(addr);
	/* A long domain of 63-character labels: "a@" + 3 * 64 + 61 = 255, then 254. */
	strcpy(addr, "a@");
	for (int i = 0; i < 3; i++) {
		strcat(addr, rep('b', 63));
		strcat(addr, ".");
	}
	strcat(addr, rep('c', 61));
	assert_int_equal(strlen(addr), 2 + 64 * 3 + 61);
	assert_int_equal(strlen(addr), 255);
	invalid(addr);
	addr[strlen(addr) - 1] = '\0';
	valid(addr);
	invalid("a@");
	invalid("@");
	invalid("a@b");
}

static void test_local_part(void **state)
{
	(void)state;
	valid("j.o.h.n@example.com");
	valid("a@example.com");
	valid("john.smith.jr@example.com");
	valid("!#$%&'*+/=?^_`{|}~-@example.com");
	valid("a+tag@example.com");
	valid("0123456789@example.com");
	invalid(rep('x', 200));
	{
		char a[600];

		snprintf(a, sizeof a, "%s@example.com", rep('x', 200));
		valid(a);
	}
	invalid(".john@example.com");
	invalid("john.@example.com");
	invalid("jo..hn@example.com");
	invalid(".@example.com");
	invalid("@example.com");
	invalid("john@@example.com");
	static const char bad[] = "()<>[]:;,\\\"@";
	for (size_t i = 0; i < sizeof bad - 1; i++) {
		char a[32];

		snprintf(a, sizeof a, "jo%chn@example.com", bad[i]);
		invalid(a);
	}
}

static void test_last_at(void **state)
{
	(void)state;
	/* Split at the last '@': the local part "a@b" is not a dot-atom. */
	invalid("a@b@example.com");
	invalid("\"a@b\"@example.com");
	invalid("a@b@localhost");
}

static void test_domain_labels(void **state)
{
	char addr[600];

	(void)state;
	snprintf(addr, sizeof addr, "a@%s.com", rep('b', 63));
	valid(addr);
	snprintf(addr, sizeof addr, "a@%s.com", rep('b', 64));
	invalid(addr);
	snprintf(addr, sizeof addr, "a@example.%s", rep('c', 63));
	valid(addr);
	snprintf(addr, sizeof addr, "a@example.%s", rep('c', 64));
	invalid(addr);
	valid("a@my-host.example.com");
	valid("a@a--b.example.com");
	valid("a@b.cd");
	valid_as("a@EXAMPLE.COM", "a@example.com");
	valid("a@1.example.com");
	valid("a@example.c0");
	invalid("a@-example.com");
	invalid("a@example-.com");
	invalid("a@example.-com");
	invalid("a@example.com-");
	invalid("a@example.c");
	invalid("a@b.c");
	invalid("a@.example.com");
	invalid("a@example..com");
	invalid("a@example.com.");
	invalid("a@exa_mple.com");
	invalid("a@exa+mple.com");
	invalid("a@example");
	invalid("a@localhost.");
	invalid("a@localhos");
	invalid("a@localhostt");
	invalid("a@192.0.2.1");  /* a bare IPv4 ends in a 1-character label */
}

static void test_idn(void **state)
{
	(void)state;
	valid("john@xn--bcher-kva.example");
	valid("john@example.xn--p1ai");
	valid_as("john@XN--BCHER-KVA.example", "john@xn--bcher-kva.example");
	invalid("john@b\xc3\xbc" "cher.example");
	invalid("john@example.\xd1\x80\xd1\x84");
}

static void test_non_ascii_and_controls(void **state)
{
	(void)state;
	invalid("j\x7fohn@example.com");
	invalid("j\x01ohn@example.com");
	invalid("john@example.com\x1b");
	invalid("j\xffohn@example.com");
	invalid("j\x80ohn@example.com");
}

static void test_ipv4_literal(void **state)
{
	(void)state;
	valid("john@[192.0.2.1]");
	valid("john@[0.0.0.0]");
	valid("john@[255.255.255.255]");
	invalid("john@[256.0.0.1]");
	invalid("john@[192.0.2]");
	invalid("john@[192.0.2.1.5]");
	invalid("john@[192.0.2.01]");
	invalid("john@[192.0.2.1 ]");
	invalid("john@[ 192.0.2.1]");
	invalid("john@[192.0.2.1");
	invalid("john@192.0.2.1]");
	invalid("john@[]");
	invalid("john@[example.com]");
	invalid("john@[0x7f.0.0.1]");
	invalid("john@[IPv4:192.0.2.1]");
}

/*
 * IPv6 literals: the RFC 5321 "IPv6:" tag is accepted in any case but not required (Django
 * accepted a bare "[2001:db8::1]").
 */
static void test_ipv6_literal(void **state)
{
	(void)state;
	valid("john@[ipv6:2001:db8::1]");
	valid_as("john@[IPv6:2001:db8::1]", "john@[ipv6:2001:db8::1]");
	valid("john@[2001:db8::1]");
	valid("john@[::1]");
	valid("john@[ipv6:::ffff:192.0.2.1]");
	valid("john@[2001:db8:0:0:0:0:0:1]");
	invalid("john@[IPv6:]");
	invalid("john@[IPv6:192.0.2.1]");
	invalid("john@[IPv6:2001:db8::g]");
	invalid("john@[IPv6:2001:db8::1%eth0]");
	invalid("john@[IPv6:2001:db8:::1]");
	invalid("john@[IPv6:2001:db8:0:0:0:0:0:0:1]");
	invalid("john@[IPv6 2001:db8::1]");
	invalid("john@[IPv6:[2001:db8::1]]");
	invalid("john@IPv6:2001:db8::1");
}

static void test_trim(void **state)
{
	char out[8];
	char big[EMAIL_MAX + 1];

	(void)state;
	assert_int_equal(email_trim("  a b\t", out, sizeof out), AC_OK);
	assert_string_equal(out, "a b");
	assert_int_equal(email_trim(" 1234567 ", out, sizeof out), AC_OK);
	assert_string_equal(out, "1234567");
	assert_int_equal(email_trim(" 12345678 ", out, sizeof out), AC_EINVAL);
	assert_int_equal(email_trim("", out, sizeof out), AC_OK);
	assert_string_equal(out, "");
	assert_int_equal(email_trim(" \r\n ", out, sizeof out), AC_OK);
	assert_string_equal(out, "");
	assert_int_equal(email_trim("x", out, 0), AC_EINVAL);
	assert_int_equal(email_trim("", out, 1), AC_OK);
	assert_int_equal(email_trim(NULL, out, sizeof out), AC_EINVAL);
	/* No validation, no case change. */
	assert_int_equal(email_trim(" \"J\xc3\xb6hn\"@EXAMPLE ", big, sizeof big), AC_OK);
	assert_string_equal(big, "\"J\xc3\xb6hn\"@EXAMPLE");
}

static void test_subject_hash(void **state)
{
	static const char want[] = "855f96e983f1f8e8be944692b6f719fd54329826cb62e98015efee8e2e071dd4";
	char out[65], ref[65];

	(void)state;
	email_subject_hash("john@example.com", out);
	assert_string_equal(out, want);
	email_subject_hash("  JOHN@Example.COM\t\n", out);
	assert_string_equal(out, want);
	email_subject_hash("John@example.com", out);
	assert_string_equal(out, want);
	email_subject_hash("john@example.co", out);
	assert_string_not_equal(out, want);
	/* Lower-cased as a whole, with no validation. */
	email_subject_hash(" NOT AN ADDRESS ", out);
	sec_sha256_hex("not an address", 14, ref);
	assert_string_equal(out, ref);
	email_subject_hash("", out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	email_subject_hash(NULL, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* Non-ASCII bytes are left alone. */
	email_subject_hash("J\xc3\x96HN", out);
	sec_sha256_hex("j\xc3\x96hn", 5, ref);
	assert_string_equal(out, ref);
}

/* Past the stack buffer the heap path must give the same answer. */
static void test_subject_hash_long(void **state)
{
	const size_t n = 5000;
	char *up = malloc(n + 3), *low = malloc(n + 1);
	char out[65], ref[65];

	(void)state;
	assert_non_null(up);
	assert_non_null(low);
	for (size_t i = 0; i < n; i++) {
		up[i + 1] = (char)('A' + i % 26);
		low[i] = (char)('a' + i % 26);
	}
	up[0] = ' ';
	up[n + 1] = '\n';
	up[n + 2] = '\0';
	email_subject_hash(up, out);
	sec_sha256_hex(low, n, ref);
	assert_string_equal(out, ref);
	/* And exactly at the boundary. */
	up[1024 + 1] = '\0';
	email_subject_hash(up, out);
	sec_sha256_hex(low, 1024, ref);
	assert_string_equal(out, ref);
	up[1024 + 1] = (char)('A' + 1024 % 26);
	up[1025 + 1] = 'Q';
	up[1025 + 2] = '\0';
	low[1025] = 'q';
	email_subject_hash(up, out);
	sec_sha256_hex(low, 1026, ref);
	assert_string_equal(out, ref);
	free(up);
	free(low);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_trimming),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_local_part),
		cmocka_unit_test(test_last_at),
		cmocka_unit_test(test_domain_labels),
		cmocka_unit_test(test_idn),
		cmocka_unit_test(test_non_ascii_and_controls),
		cmocka_unit_test(test_ipv4_literal),
		cmocka_unit_test(test_ipv6_literal),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_subject_hash),
		cmocka_unit_test(test_subject_hash_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
