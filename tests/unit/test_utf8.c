/* Unit tests for lib/utf8.c: validity table, character counts, truncation on boundaries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "utf8.h"

struct vcase {
	const char *s;
	size_t len;
	int valid;
	const char *what;
};

#define V(str, ok, what) { str, sizeof(str) - 1, ok, what }

static const struct vcase vcases[] = {
	V("", 1, "empty"),
	V("hello, world", 1, "ASCII"),
	V("\x00", 1, "U+0000 is well-formed UTF-8"),
	V("\x7F", 1, "U+007F"),
	V("\xC2\x80", 1, "U+0080"),
	V("\xC3\xA9", 1, "e acute"),
	V("\xDF\xBF", 1, "U+07FF"),
	V("\xE0\xA0\x80", 1, "U+0800"),
	V("\xE2\x82\xAC", 1, "euro sign"),
	V("\xED\x9F\xBF", 1, "U+D7FF, just below the surrogates"),
	V("\xEE\x80\x80", 1, "U+E000, just above the surrogates"),
	V("\xEF\xBB\xBF", 1, "U+FEFF (BOM) is valid UTF-8"),
	V("\xEF\xBF\xBF", 1, "U+FFFF"),
	V("\xF0\x90\x80\x80", 1, "U+10000"),
	V("\xF0\x9F\x98\x80", 1, "emoji"),
	V("\xF4\x8F\xBF\xBF", 1, "U+10FFFF"),
	V("a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80z", 1, "mixed"),
	V("\x80", 0, "lone continuation byte"),
	V("\xBF", 0, "lone continuation byte BF"),
	V("a\x80z", 0, "continuation byte between ASCII"),
	V("\xC0\x80", 0, "overlong NUL"),
	V("\xC1\xBF", 0, "overlong U+007F"),
	V("\xE0\x80\x80", 0, "overlong 3-byte"),
	V("\xE0\x9F\xBF", 0, "overlong U+07FF"),
	V("\xF0\x80\x80\x80", 0, "overlong 4-byte"),
	V("\xF0\x8F\xBF\xBF", 0, "overlong U+FFFF"),
	V("\xED\xA0\x80", 0, "encoded surrogate U+D800"),
	V("\xED\xBF\xBF", 0, "encoded surrogate U+DFFF"),
	V("\xED\xA0\xBD\xED\xB8\x80", 0, "CESU-8 surrogate pair"),
	V("\xF4\x90\x80\x80", 0, "U+110000"),
	V("\xF5\x80\x80\x80", 0, "lead F5"),
	V("\xF8\x88\x80\x80\x80", 0, "5-byte form"),
	V("\xFE", 0, "byte FE"),
	V("\xFF", 0, "byte FF"),
	V("\xC3", 0, "truncated 2-byte"),
	V("\xE2\x82", 0, "truncated 3-byte"),
	V("\xF0\x9F\x98", 0, "truncated 4-byte"),
	V("ab\xC3", 0, "truncated at the end"),
	V("\xC3\x41", 0, "bad continuation in 2-byte"),
	V("\xE2\x41\xAC", 0, "bad second byte in 3-byte"),
	V("\xE2\x82\x41", 0, "bad third byte in 3-byte"),
	V("\xF0\x9F\x41\x80", 0, "bad third byte in 4-byte"),
	V("\xF0\x9F\x98\x41", 0, "bad fourth byte in 4-byte"),
	V("\xC3\xA9\xA9", 0, "extra continuation byte"),
};

static void test_valid_table(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof vcases / sizeof vcases[0]; k++) {
		if (utf8_valid(vcases[k].s, vcases[k].len) != vcases[k].valid) {
			print_error("utf8_valid wrong for: %s\n", vcases[k].what);
			fail();
		}
	}
}

static void test_valid_length_bounds(void **state)
{
	(void)state;
	/* Only len bytes are looked at: a valid prefix of an invalid buffer is valid. */
	assert_int_equal(utf8_valid("ab\xFF", 2), 1);
	assert_int_equal(utf8_valid("\xC3\xA9", 1), 0);
	assert_int_equal(utf8_valid(NULL, 0), 1);
}

static void test_chars(void **state)
{
	(void)state;
	assert_int_equal(utf8_chars("", 0), 0);
	assert_int_equal(utf8_chars("abc", 3), 3);
	assert_int_equal(utf8_chars("h\xC3\xA9llo", 6), 5);
	assert_int_equal(utf8_chars("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 9), 3);
	assert_int_equal(utf8_chars("\xF0\x9F\x98\x80" "a", 5), 2);
	assert_int_equal(utf8_chars("\xE2\x82\xAC\xE2\x82\xAC", 6), 2);
	/* 150 two-byte characters are 300 bytes but 150 characters. */
	{
		char buf[300];

		for (size_t k = 0; k < 300; k += 2) {
			buf[k] = (char)0xC3;
			buf[k + 1] = (char)0xA9;
		}
		assert_int_equal(utf8_chars(buf, sizeof buf), 150);
	}
}

static void test_truncate(void **state)
{
	static const char euro[] = "\xE2\x82\xAC";
	static const char two_emoji[] = "\xF0\x9F\x98\x80\xF0\x9F\x98\x80";

	(void)state;
	assert_int_equal(utf8_truncate("abc", 3, 0), 0);
	assert_int_equal(utf8_truncate("abc", 3, 2), 2);
	assert_int_equal(utf8_truncate("abc", 3, 3), 3);
	assert_int_equal(utf8_truncate("abc", 3, 100), 3);
	assert_int_equal(utf8_truncate("a\xC3\xA9", 3, 1), 1);
	assert_int_equal(utf8_truncate("a\xC3\xA9", 3, 2), 1);
	assert_int_equal(utf8_truncate("a\xC3\xA9", 3, 3), 3);
	assert_int_equal(utf8_truncate(euro, 3, 0), 0);
	assert_int_equal(utf8_truncate(euro, 3, 1), 0);
	assert_int_equal(utf8_truncate(euro, 3, 2), 0);
	assert_int_equal(utf8_truncate(euro, 3, 3), 3);
	assert_int_equal(utf8_truncate(two_emoji, 8, 3), 0);
	assert_int_equal(utf8_truncate(two_emoji, 8, 4), 4);
	assert_int_equal(utf8_truncate(two_emoji, 8, 5), 4);
	assert_int_equal(utf8_truncate(two_emoji, 8, 7), 4);
	assert_int_equal(utf8_truncate(two_emoji, 8, 8), 8);
	assert_int_equal(utf8_truncate("", 0, 0), 0);
}

/* For every max, the prefix is valid, within max, and the next character would not fit. */
static void test_truncate_every_max(void **state)
{
	static const char s[] = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80z\xE2\x82\xAC";
	const size_t len = sizeof s - 1;

	(void)state;
	assert_int_equal(utf8_valid(s, len), 1);
	for (size_t max = 0; max <= len + 2; max++) {
		size_t n = utf8_truncate(s, len, max);

		assert_true(n <= max);
		assert_true(n <= len);
		assert_int_equal(utf8_valid(s, n), 1);
		if (n < len) {
			/* length of the character starting at n */
			unsigned char c = (unsigned char)s[n];
			size_t cl = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

			assert_true(n + cl > max);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_table),
		cmocka_unit_test(test_valid_length_bounds),
		cmocka_unit_test(test_chars),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_truncate_every_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
