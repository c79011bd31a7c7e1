/* Unit tests of lib/buf.c: growth, the bound, the sticky error and the hand-over. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

static void grows_and_hands_over(void **state)
{
	struct buf b = BUF_INIT(0);
	char *out;
	size_t len;

	(void)state;
	for (int i = 0; i < 1000; i++)
		buf_str(&b, "abc");
	buf_add(&b, "\0x", 2);
	assert_int_equal(buf_finish(&b, &out, &len), AC_OK);
	assert_int_equal(len, 3002);
	assert_memory_equal(out + 2997, "abc\0x", 5);
	assert_int_equal(out[len], '\0');
	assert_null(b.p);
	free(out);
}

static void empty_is_an_empty_string(void **state)
{
	struct buf b = BUF_INIT(0);
	char *out;

	(void)state;
	assert_int_equal(buf_finish(&b, &out, NULL), AC_OK);
	assert_string_equal(out, "");
	free(out);
}

static void bound_is_sticky(void **state)
{
	struct buf b = BUF_INIT(5);
	char *out = (char *)1;

	(void)state;
	buf_str(&b, "12345");
	assert_int_equal(b.err, 0);
	buf_str(&b, "6");
	assert_int_equal(b.err, AC_EBOUNDS);
	buf_str(&b, "");
	assert_int_equal(buf_finish(&b, &out, NULL), AC_EBOUNDS);
	assert_null(out);
	assert_null(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows_and_hands_over),
		cmocka_unit_test(empty_is_an_empty_string),
		cmocka_unit_test(bound_is_sticky),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
