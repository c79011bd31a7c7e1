/* Time formats of the contract: Django's stored datetimes, JSON, cookie expiry, e-mail dates. */
#include "timefmt.h"
#include "err.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static const char *const wday_short[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const wday_long[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday" };
static const char *const mon_short[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const mon_long[] = { "January", "February", "March", "April", "May",
					"June", "July", "August", "September", "October",
					"November", "December" };

void tm_now(time_t *sec, long *usec)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = ts.tv_sec;
	*usec = ts.tv_nsec / 1000;
}

long long tm_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* gmtime_r() without glibc's: that one reads /etc/localtime at its first call (tzset), two
 * system calls and a file parse on every CGI's path (issue 15). civil_from_days, H. Hinnant. */
static void utc(time_t sec, struct tm *t)
{
	long long s = (long long)sec, days = s / 86400, rem = s % 86400;
	long long z, era, doe, yoe, doy, mp, y;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	memset(t, 0, sizeof *t);
	t->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	t->tm_mon = (int)(mp < 10 ? mp + 2 : mp - 10);
	y = yoe + era * 400 + (t->tm_mon <= 1);
	t->tm_year = (int)(y - 1900);
	t->tm_hour = (int)(rem / 3600);
	t->tm_min = (int)(rem % 3600 / 60);
	t->tm_sec = (int)(rem % 60);
	t->tm_wday = (int)(((days % 7) + 11) % 7);   /* 1970-01-01 was a Thursday (4); no tm_yday */
}

void tm_db_format(time_t sec, long usec, char out[TM_BUF])
{
	struct tm t;

	utc(sec, &t);
	if (usec)
		snprintf(out, TM_BUF, "%04d-%02d-%02d %02d:%02d:%02d.%06ld", t.tm_year + 1900,
			 t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, usec);
	else
		snprintf(out, TM_BUF, "%04d-%02d-%02d %02d:%02d:%02d", t.tm_year + 1900,
			 t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
}

void tm_db_now(char out[TM_BUF])
{
	time_t s;
	long us;

	tm_now(&s, &us);
	tm_db_format(s, us, out);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Seconds since the epoch of a UTC date (days_from_civil, H. Hinnant); glibc's timegm() would
 * read /etc/localtime. Out-of-range days carry over into the next month, as with timegm(). */
static time_t utc_seconds(int y, int mo, int d, int h, int mi, int se)
{
	long long yy = y - (mo <= 2), era = (yy >= 0 ? yy : yy - 399) / 400, yoe = yy - era * 400;
	long long doy = (153LL * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
	long long days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;

	return (time_t)(days * 86400 + h * 3600LL + mi * 60LL + se);
}

int tm_db_parse(const char *s, time_t *sec, long *usec)
{
	int y, mo, d, h, mi, se;
	long us = 0;
	const char *p;

	if (strlen(s) < 19 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != ' ' && s[10] != 'T') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &se))
		return AC_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return AC_EINVAL;
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 6)
				us = us * 10 + (*p - '0');
		if (n == 0 || n > 6)
			return AC_EINVAL;
		for (; n < 6; n++)
			us *= 10;
	}
	if (*p == 'Z')
		p++;
	else if (strcmp(p, "+00:00") == 0)
		p += 6;
	if (*p)
		return AC_EINVAL;
	*sec = utc_seconds(y, mo, d, h, mi, se);
	*usec = us;
	return AC_OK;
}

int tm_json_from_db(const char *db, char out[TM_BUF])
{
	time_t s;
	long us;
	char buf[TM_BUF];

	if (tm_db_parse(db, &s, &us) != AC_OK)
		return AC_EINVAL;
	tm_db_format(s, us, buf);
	memcpy(out, buf, strlen(buf));
	strcpy(out + strlen(buf), "+00:00");
	return AC_OK;
}

void tm_json_from_unix(time_t sec, char out[TM_BUF])
{
	char buf[TM_BUF];

	tm_db_format(sec, 0, buf);
	memcpy(out, buf, strlen(buf));
	strcpy(out + strlen(buf), "+00:00");
}

void tm_cookie(time_t sec, char out[TM_BUF])
{
	struct tm t;

	utc(sec, &t);
	snprintf(out, TM_BUF, "%s, %02d %s %04d %02d:%02d:%02d GMT", wday_short[t.tm_wday],
		 t.tm_mday, mon_short[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
}

void tm_expiry(time_t sec, char out[TM_BUF])
{
	struct tm t;
	int h12;

	utc(sec, &t);
	h12 = t.tm_hour % 12 == 0 ? 12 : t.tm_hour % 12;
	snprintf(out, TM_BUF, "%s %s %02d, %04d at %02d:%02d:%02d %s UTC", wday_long[t.tm_wday],
		 mon_long[t.tm_mon], t.tm_mday, t.tm_year + 1900, h12, t.tm_min, t.tm_sec,
		 t.tm_hour < 12 ? "AM" : "PM");
}

void tm_rfc5322(time_t sec, char out[TM_BUF])
{
	struct tm t;

	utc(sec, &t);
	snprintf(out, TM_BUF, "%s, %02d %s %04d %02d:%02d:%02d +0000", wday_short[t.tm_wday],
		 t.tm_mday, mon_short[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
}
