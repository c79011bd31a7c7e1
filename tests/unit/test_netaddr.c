/* Unit tests for lib/netaddr.c: parsing, CIDR matching, rate-limit subjects (API.md §1.11). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "err.h"
#include "netaddr.h"

static void test_parse_v4(void **state)
{
	struct addr_range a;
	static const unsigned char want[4] = { 192, 0, 2, 1 };

	(void)state;
	assert_int_equal(addr_parse("192.0.2.1", &a), AC_OK);
	assert_int_equal(a.family, 4);
	assert_int_equal(a.prefix, 32);
	assert_memory_equal(a.bytes, want, 4);
}

static void test_parse_v6(void **state)
{
	struct addr_range a;

	(void)state;
	assert_int_equal(addr_parse("2001:DB8::1", &a), AC_OK);
	assert_int_equal(a.family, 6);
	assert_int_equal(a.prefix, 128);
	assert_int_equal(a.bytes[0], 0x20);
	assert_int_equal(a.bytes[1], 0x01);
	assert_int_equal(a.bytes[15], 0x01);
	/* IPv4-mapped stays IPv6 */
	assert_int_equal(addr_parse("::ffff:192.0.2.1", &a), AC_OK);
	assert_int_equal(a.family, 6);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", " 192.0.2.1", "192.0.2.1 ", "192.0.2", "192.0.2.256", "192.0.2.1.5",
		"01.2.3.4", "1.2.3.4/8", "fe80::1%eth0", "2001:db8:::1", "[::1]", "localhost",
		"::1/128", "1.2.3.4:80", "0x7f.0.0.1",
		"2001:0db8:0000:0000:0000:0000:0000:0000:0001",
		"0000000000000000000000000000000000000000000000001.2.3.4",
	};
	struct addr_range a;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(addr_parse(bad[i], &a), AC_EINVAL);
	assert_int_equal(addr_parse(NULL, &a), AC_EINVAL);
}

static void test_parse_range(void **state)
{
	struct addr_range r;

	(void)state;
	assert_int_equal(addr_parse_range("10.0.0.0/8", &r), AC_OK);
	assert_int_equal(r.family, 4);
	assert_int_equal(r.prefix, 8);
	/* host bits are cleared */
	assert_int_equal(addr_parse_range("10.1.2.3/8", &r), AC_OK);
	assert_int_equal(r.bytes[0], 10);
	assert_int_equal(r.bytes[1], 0);
	assert_int_equal(r.bytes[3], 0);
	assert_int_equal(addr_parse_range("192.168.1.255/23", &r), AC_OK);
	assert_int_equal(r.bytes[2], 0);
	assert_int_equal(r.bytes[3], 0);
	assert_int_equal(addr_parse_range("0.0.0.0/0", &r), AC_OK);
	assert_int_equal(r.prefix, 0);
	assert_int_equal(addr_parse_range("2001:db8::/32", &r), AC_OK);
	assert_int_equal(r.family, 6);
	assert_int_equal(r.prefix, 32);
	assert_int_equal(addr_parse_range("::/0", &r), AC_OK);
	assert_int_equal(addr_parse_range("2001:db8::1", &r), AC_OK);
	assert_int_equal(r.prefix, 128);
	assert_int_equal(addr_parse_range("192.0.2.1", &r), AC_OK);
	assert_int_equal(r.prefix, 32);

	assert_int_equal(addr_parse_range("10.0.0.0/33", &r), AC_EINVAL);
	assert_int_equal(addr_parse_range("2001:db8::/129", &r), AC_EINVAL);
	assert_int_equal(addr_parse_range("10.0.0.0/", &r), AC_EINVAL);
	assert_int_equal(addr_parse_range("/8", &r), AC_EINVAL);
	assert_int_equal(addr_parse_range("10.0.0.0/-1", &r), AC_EINVAL);
	assert_int_equal(addr_parse_range("10.0.0.0/+8", &r), AC_EINVAL);
	assert_int_equal(addr_parse_range("10.0.0.0/8/8", &r), AC_EINVAL);
	assert_int_equal(addr_parse_range("10.0.0.0/ 8", &r), AC_EINVAL);
	assert_int_equal(addr_parse_range("10.0.0.0/0008", &r), AC_EINVAL);
	assert_int_equal(addr_parse_range("10.0.0.0/99999999999", &r), AC_EINVAL);
}

static int in(const char *addr, const char *range)
{
	struct addr_range a, r;

	assert_int_equal(addr_parse(addr, &a), AC_OK);
	assert_int_equal(addr_parse_range(range, &r), AC_OK);
	return addr_in_ranges(&a, &r, 1);
}

static void test_match_v4(void **state)
{
	(void)state;
	assert_true(in("10.1.2.3", "10.0.0.0/8"));
	assert_false(in("11.1.2.3", "10.0.0.0/8"));
	assert_true(in("192.168.0.255", "192.168.0.0/23"));
	assert_true(in("192.168.1.1", "192.168.0.0/23"));
	assert_false(in("192.168.2.0", "192.168.0.0/23"));
	assert_true(in("172.31.255.255", "172.16.0.0/12"));
	assert_false(in("172.32.0.0", "172.16.0.0/12"));
	assert_true(in("127.0.0.1", "127.0.0.1"));
	assert_false(in("127.0.0.2", "127.0.0.1"));
	assert_true(in("203.0.113.9", "0.0.0.0/0"));
	assert_true(in("203.0.113.9", "203.0.113.8/31"));
	assert_false(in("203.0.113.10", "203.0.113.8/31"));
}

static void test_match_v6(void **state)
{
	(void)state;
	assert_true(in("2001:db8:1:2::5", "2001:db8::/32"));
	assert_false(in("2001:db9::1", "2001:db8::/32"));
	assert_true(in("::1", "::1"));
	assert_false(in("::2", "::1"));
	assert_true(in("fd00::abcd", "fc00::/7"));
	assert_true(in("fdff:ffff::1", "fc00::/7"));
	assert_false(in("fe00::1", "fc00::/7"));
	assert_true(in("2001:db8:0:ff::1", "2001:db8:0:80::/57"));
	assert_false(in("2001:db8:0:7f::1", "2001:db8:0:80::/57"));
	assert_true(in("2001:db8::1", "::/0"));
}

static void test_match_cross_family(void **state)
{
	(void)state;
	/* IPv4 never matches IPv6 ranges, nor the reverse */
	assert_false(in("192.0.2.1", "::/0"));
	assert_false(in("192.0.2.1", "::ffff:0:0/96"));
	assert_false(in("2001:db8::1", "0.0.0.0/0"));
	assert_false(in("::1", "127.0.0.1"));
	/* except an IPv4-mapped IPv6 address, which matches IPv4 ranges by its IPv4 part */
	assert_true(in("::ffff:127.0.0.1", "127.0.0.1"));
	assert_true(in("::ffff:10.9.8.7", "10.0.0.0/8"));
	assert_false(in("::ffff:11.9.8.7", "10.0.0.0/8"));
	assert_true(in("::ffff:10.9.8.7", "::ffff:0:0/96"));
}

static void test_match_many(void **state)
{
	struct addr_range r[3], a;

	(void)state;
	assert_int_equal(addr_parse_range("10.0.0.0/8", &r[0]), AC_OK);
	assert_int_equal(addr_parse_range("2001:db8::/32", &r[1]), AC_OK);
	assert_int_equal(addr_parse_range("192.0.2.7", &r[2]), AC_OK);
	assert_int_equal(addr_parse("192.0.2.7", &a), AC_OK);
	assert_true(addr_in_ranges(&a, r, 3));
	assert_false(addr_in_ranges(&a, r, 2));
	assert_int_equal(addr_parse("2001:db8::9", &a), AC_OK);
	assert_true(addr_in_ranges(&a, r, 3));
	assert_false(addr_in_ranges(&a, r, 1));
	assert_false(addr_in_ranges(&a, NULL, 0));
}

static void subject(const char *addr, const char *want)
{
	struct addr_range a;
	char out[64];

	assert_int_equal(addr_parse(addr, &a), AC_OK);
	assert_int_equal(addr_rate_subject(&a, out, sizeof out), AC_OK);
	assert_string_equal(out, want);
}

static void test_rate_subject(void **state)
{
	struct addr_range a;
	char small[8];

	(void)state;
	subject("203.0.113.7", "203.0.113.7");
	subject("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64");
	subject("2001:DB8:1:2::ffff", "2001:db8:1:2::/64");
	subject("2001:db8::1", "2001:db8::/64");
	subject("2001:db8:0:1::1", "2001:db8:0:1::/64");
	subject("::1", "::/64");
	subject("fe80::1:2:3:4", "fe80::/64");
	subject("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff::/64");
	/* two addresses of one /64 share a subject */
	subject("2001:db8:aa:bb:1::", "2001:db8:aa:bb::/64");
	/* IPv4-mapped is keyed as its IPv4 address */
	subject("::ffff:198.51.100.4", "198.51.100.4");

	assert_int_equal(addr_parse("2001:db8:1:2::1", &a), AC_OK);
	assert_int_equal(addr_rate_subject(&a, small, sizeof small), AC_EINVAL);
	assert_string_equal(small, "");
}

static void test_format(void **state)
{
	struct addr_range a;
	char out[64], tiny[4];

	(void)state;
	assert_int_equal(addr_parse("2001:0DB8:0000:0000:0000:0000:0000:0001", &a), AC_OK);
	assert_int_equal(addr_format(&a, out, sizeof out), AC_OK);
	assert_string_equal(out, "2001:db8::1");
	assert_int_equal(addr_parse("192.0.2.33", &a), AC_OK);
	assert_int_equal(addr_format(&a, out, sizeof out), AC_OK);
	assert_string_equal(out, "192.0.2.33");
	assert_int_equal(addr_format(&a, tiny, sizeof tiny), AC_EINVAL);
	a.family = 5;
	assert_int_equal(addr_format(&a, out, sizeof out), AC_EINVAL);
}

/* Formats an X-Forwarded-For entry reduced by addr_parse_forwarded, or "" when it is refused. */
static const char *forwarded(const char *entry)
{
	static char out[64];
	struct addr_range a;

	out[0] = '\0';
	if (addr_parse_forwarded(entry, strlen(entry), &a) == AC_OK)
		assert_int_equal(addr_format(&a, out, sizeof out), AC_OK);
	return out;
}

/* §1.11 as amended: each forwarded form is reduced to the bare address. */
static void test_forwarded_forms(void **state)
{
	(void)state;
	assert_string_equal(forwarded("192.0.2.1"), "192.0.2.1");
	assert_string_equal(forwarded(" \t192.0.2.1\t "), "192.0.2.1");
	assert_string_equal(forwarded("192.0.2.1:5678"), "192.0.2.1");
	assert_string_equal(forwarded("192.0.2.1:0"), "192.0.2.1");
	assert_string_equal(forwarded("192.0.2.1:65535"), "192.0.2.1");
	assert_string_equal(forwarded("2001:DB8::1"), "2001:db8::1");
	assert_string_equal(forwarded("[2001:db8::1]"), "2001:db8::1");
	assert_string_equal(forwarded("[2001:db8::1]:443"), "2001:db8::1");
	assert_string_equal(forwarded("fe80::1%eth0"), "fe80::1");
	assert_string_equal(forwarded("fe80::1%25"), "fe80::1");
	assert_string_equal(forwarded("[fe80::1%en0.5]:8080"), "fe80::1");
	assert_string_equal(forwarded("[::ffff:192.0.2.1]:80"), "::ffff:192.0.2.1");
	assert_string_equal(forwarded(" [2001:db8::2] "), "2001:db8::2");
}

static void test_forwarded_rejects(void **state)
{
	static const char *bad[] = {
		"", "  ", "unknown", "_hidden", "192.0.2.1:", "192.0.2.1:65536", "192.0.2.1:123456",
		"192.0.2.1:8a", "192.0.2.1: 80", "192.0.2.1 :80", "192.0.2.1%eth0", "[192.0.2.1]",
		"[192.0.2.1]:80", "[2001:db8::1", "2001:db8::1]", "[2001:db8::1]:", "[2001:db8::1]80",
		"[2001:db8::1]:80:80", "[2001:db8::1]x", "fe80::1%", "fe80::1%eth 0", "fe80::1%eth0:80",
		"fe80::1%%eth0", "fe80::1%eth0%eth1", "%eth0", "[%eth0]", "[]", "[]:80", "::1/128",
		"192.0.2.1/32", "192.0.2.1, 192.0.2.2", "1.2.3", "1.2.3.4.5", "01.2.3.4:80",
		"fe80::1%abcdefghijklmnopqrstuvwxyz0123456", "2001:db8::1\n", "192.0.2.1\r",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		print_message("entry: \"%s\"\n", bad[i]);
		assert_string_equal(forwarded(bad[i]), "");
	}
	/* the length bounds the entry: what follows is not read */
	{
		struct addr_range a;
		char out[64];

		assert_int_equal(addr_parse_forwarded("192.0.2.1:80garbage", 12, &a), AC_OK);
		assert_int_equal(addr_format(&a, out, sizeof out), AC_OK);
		assert_string_equal(out, "192.0.2.1");
		assert_int_equal(addr_parse_forwarded("192.0.2.1\0:80", 13, &a), AC_EINVAL);
	}
}

/* The X-Forwarded-For walk: the client, the last trusted hop, or not found. */
static const char *walk(const char *xff)
{
	static char out[64];
	struct addr_range trusted[2], peer, client;

	assert_int_equal(addr_parse_range("10.0.0.0/8", &trusted[0]), AC_OK);
	assert_int_equal(addr_parse_range("fd00::/8", &trusted[1]), AC_OK);
	assert_int_equal(addr_parse("10.0.0.1", &peer), AC_OK);
	strcpy(out, "(unknown)");
	if (addr_forwarded_client(xff, &peer, trusted, 2, &client) == AC_OK)
		assert_int_equal(addr_format(&client, out, sizeof out), AC_OK);
	return out;
}

static void test_forwarded_walk(void **state)
{
	(void)state;
	assert_string_equal(walk("192.0.2.1"), "192.0.2.1");
	assert_string_equal(walk("192.0.2.9, 192.0.2.1:80, 10.9.9.9:1"), "192.0.2.1");
	assert_string_equal(walk("[2001:db8::1]:443,[fd00::1]:80"), "2001:db8::1");
	assert_string_equal(walk("fe80::1%eth0, 10.1.1.1"), "fe80::1");
	assert_string_equal(walk(",, 192.0.2.1 ,,"), "192.0.2.1");
	/* a non-address ends the walk at the last trusted hop */
	assert_string_equal(walk("unknown"), "10.0.0.1");
	assert_string_equal(walk("192.0.2.1, unknown"), "10.0.0.1");
	assert_string_equal(walk("192.0.2.1, unknown, 10.9.9.9"), "10.9.9.9");
	assert_string_equal(walk("192.0.2.1, x, [fd00::5]:1, 10.9.9.9"), "fd00::5");
	assert_string_equal(walk("192.0.2.1:99999"), "10.0.0.1");
	/* nothing, or only trusted entries: unknown */
	assert_string_equal(walk(NULL), "(unknown)");
	assert_string_equal(walk(""), "(unknown)");
	assert_string_equal(walk(" , ,"), "(unknown)");
	assert_string_equal(walk("10.1.1.1, [fd00::1]:80, fd00::2%eth0"), "(unknown)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_range),
		cmocka_unit_test(test_match_v4),
		cmocka_unit_test(test_match_v6),
		cmocka_unit_test(test_match_cross_family),
		cmocka_unit_test(test_match_many),
		cmocka_unit_test(test_rate_subject),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_forwarded_forms),
		cmocka_unit_test(test_forwarded_rejects),
		cmocka_unit_test(test_forwarded_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
