/* Unit tests for lib/timefmt.c: parsing stored datetimes against timegm(), and the text forms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "timefmt.h"

static time_t libc_timegm(int y, int mo, int d, int h, int mi, int se)
{
	struct tm t;

	memset(&t, 0, sizeof t);
	t.tm_year = y - 1900;
	t.tm_mon = mo - 1;
	t.tm_mday = d;
	t.tm_hour = h;
	t.tm_min = mi;
	t.tm_sec = se;
	return timegm(&t);
}

/* Every day (and the impossible days 29-31 of every month) of years around the edge cases. */
static void test_parse_matches_timegm(void **state)
{
	static const int years[] = { 1, 1600, 1899, 1900, 1969, 1970, 1999, 2000, 2023, 2024,
				     2038, 2100, 2400, 9999 };
	char s[64];
	time_t sec;
	long us;

	(void)state;
	for (size_t i = 0; i < sizeof years / sizeof years[0]; i++)
		for (int mo = 1; mo <= 12; mo++)
			for (int d = 1; d <= 31; d++) {
				snprintf(s, sizeof s, "%04d-%02d-%02d 23:59:58", years[i], mo, d);
				assert_int_equal(tm_db_parse(s, &sec, &us), AC_OK);
				assert_int_equal(sec, libc_timegm(years[i], mo, d, 23, 59, 58));
				assert_int_equal(us, 0);
			}
}

static void test_parse_forms(void **state)
{
	time_t sec;
	long us;

	(void)state;
	assert_int_equal(tm_db_parse("2023-05-20 08:20:01.123456", &sec, &us), AC_OK);
	assert_int_equal(sec, 1684570801);
	assert_int_equal(us, 123456);
	assert_int_equal(tm_db_parse("2023-05-20T08:20:01.5Z", &sec, &us), AC_OK);
	assert_int_equal(sec, 1684570801);
	assert_int_equal(us, 500000);
	assert_int_equal(tm_db_parse("1970-01-01 00:00:00+00:00", &sec, &us), AC_OK);
	assert_int_equal(sec, 0);
	assert_int_equal(tm_db_parse("1969-12-31 23:59:59", &sec, &us), AC_OK);
	assert_int_equal(sec, -1);
	assert_int_equal(tm_db_parse("2023-13-01 00:00:00", &sec, &us), AC_EINVAL);
	assert_int_equal(tm_db_parse("2023-05-20 24:00:00", &sec, &us), AC_EINVAL);
	assert_int_equal(tm_db_parse("2023-05-20 08:20:01.", &sec, &us), AC_EINVAL);
	assert_int_equal(tm_db_parse("2023-05-20 08:20:01.1234567", &sec, &us), AC_EINVAL);
	assert_int_equal(tm_db_parse("2023-05-20 08:20:01+01:00", &sec, &us), AC_EINVAL);
	assert_int_equal(tm_db_parse("2023-05-20", &sec, &us), AC_EINVAL);
}

static void test_round_trip(void **state)
{
	char db[TM_BUF], json[TM_BUF];
	time_t sec;
	long us;

	(void)state;
	for (time_t t = -86400LL * 366 * 3; t < 86400LL * 366 * 80; t += 86400 * 7 + 3601) {
		tm_db_format(t, 42, db);
		assert_int_equal(tm_db_parse(db, &sec, &us), AC_OK);
		assert_int_equal(sec, t);
		assert_int_equal(us, 42);
	}
	assert_int_equal(tm_json_from_db("2023-05-20 08:20:01.123456", json), AC_OK);
	assert_string_equal(json, "2023-05-20 08:20:01.123456+00:00");
	tm_cookie(1684570801, json);
	assert_string_equal(json, "Sat, 20 May 2023 08:20:01 GMT");
}

/* The formatters' own UTC conversion (no glibc gmtime_r: it reads /etc/localtime) gives what
 * gmtime_r gives, across leap years, centuries, negative times and the weekday. */
static void test_utc_matches_gmtime(void **state)
{
	(void)state;
	for (long long s = -2208988800LL; s < 7258118400LL; s += 86399LL * 7 + 3601) {
		time_t sec = (time_t)s;
		struct tm t;
		char want[TM_BUF], got[TM_BUF];

		assert_non_null(gmtime_r(&sec, &t));
		snprintf(want, sizeof want, "%04d-%02d-%02d %02d:%02d:%02d", t.tm_year + 1900,
			 t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
		tm_db_format(sec, 0, got);
		assert_string_equal(got, want);
		strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &t);
		tm_cookie(sec, got);
		assert_string_equal(got, want);
	}
	/* the edges of leap days */
	for (long long s = 951782400LL - 2; s < 951868800LL + 2; s += 1) {   /* 2000-02-29 */
		time_t sec = (time_t)s;
		struct tm t;
		char want[TM_BUF], got[TM_BUF];

		assert_non_null(gmtime_r(&sec, &t));
		strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &t);
		tm_cookie(sec, got);
		assert_string_equal(got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_matches_timegm),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_utc_matches_gmtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
