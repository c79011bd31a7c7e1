/* Time formats of the contract: Django's stored datetimes, JSON, cookie expiry, e-mail dates. */
#ifndef AUTHCGI_TIMEFMT_H
#define AUTHCGI_TIMEFMT_H

#include <stddef.h>
#include <time.h>

#define TM_BUF 64

/* Current wall time: seconds and microseconds. */
void tm_now(time_t *sec, long *usec);
/* "YYYY-MM-DD HH:MM:SS.ffffff" naive UTC; ".ffffff" omitted when usec is 0 (§2.1). */
void tm_db_format(time_t sec, long usec, char out[TM_BUF]);
/* Current time in the stored form. */
void tm_db_now(char out[TM_BUF]);
/*
 * Parses a stored datetime: "YYYY-MM-DD HH:MM:SS[.f{1,6}]", also with 'T' and a trailing
 * 'Z' or "+00:00". Returns 0 and sets *sec and *usec, or AC_EINVAL.
 */
int tm_db_parse(const char *s, time_t *sec, long *usec);
/* The JSON form "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00" of a stored datetime (§3). AC_EINVAL if unparsable. */
int tm_json_from_db(const char *db, char out[TM_BUF]);
/* The JSON form of Unix seconds: "YYYY-MM-DD HH:MM:SS+00:00" (§7.13). */
void tm_json_from_unix(time_t sec, char out[TM_BUF]);
/* Cookie expires: "Wdy, DD Mon YYYY HH:MM:SS GMT". */
void tm_cookie(time_t sec, char out[TM_BUF]);
/* E-mail expiry text: "Saturday May 20, 2023 at 08:30:01 AM UTC" (§6.2). */
void tm_expiry(time_t sec, char out[TM_BUF]);
/* RFC 5322 Date: "Sat, 20 May 2023 08:20:01 +0000". */
void tm_rfc5322(time_t sec, char out[TM_BUF]);
/* Monotonic milliseconds, for deadlines. */
long long tm_mono_ms(void);

#endif
