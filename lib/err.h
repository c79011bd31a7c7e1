/* The one error convention of libauthcgi: 0 on success, a negative ac_err on failure. */
#ifndef AUTHCGI_ERR_H
#define AUTHCGI_ERR_H

/*
 * Every library function that can fail returns 0 (AC_OK) on success and one of
 * these negative codes on failure. Details go to the log, never to the client.
 * The handler boundary (lib/endpoint.c) maps them to HTTP statuses:
 * AC_EUNAVAIL -> 503, anything else unexpected -> 500.
 */
enum ac_err {
	AC_OK = 0,
	AC_ENOMEM = -1,     /* allocation failed */
	AC_EUNAVAIL = -2,   /* Redis/SQLite/storage down, busy or timing out: 503 */
	AC_EINTERNAL = -3,  /* unexpected failure: 500 */
	AC_EINVAL = -4,     /* malformed input; the caller decides the answer */
	AC_ENOTFOUND = -5,  /* no such row/key */
	AC_ECONFLICT = -6,  /* unique constraint hit or a conditional update lost a race */
	AC_EDENIED = -7,    /* a secret did not verify */
	AC_EBOUNDS = -8,    /* a value is outside its configured bounds */
	AC_ETIMEOUT = -9,   /* a deadline passed */
	AC_ELIMIT = -10,    /* a rate limit or concurrency cap tripped */
	AC_ERETRY = -11,    /* a serialization failure or deadlock: run the transaction again */
};

#endif
