/* A small, strict multipart/form-data parser (RFC 7578, RFC 2046 §5.1): zero-copy, bounded. */
#ifndef AUTHCGI_MP_H
#define AUTHCGI_MP_H

#include <stddef.h>

#define MP_BOUNDARY_MAX 70   /* RFC 2046 */
#define MP_HEADER_MAX 1024   /* one part's header block, its blank line included (API.md §9) */

/*
 * One part. Every pointer points into the buffer given to mp_init() (nothing is owned or
 * copied); the lengths are exact and nothing is NUL-terminated.
 */
struct mp_part {
	const char *name;            /* the Content-Disposition name parameter (may be empty) */
	size_t name_len;
	int has_filename;            /* 1 when a filename parameter was present */
	const char *filename;        /* its value as sent (possibly empty); NULL when absent */
	size_t filename_len;
	const char *content_type;    /* the part's Content-Type value, NULL when absent */
	size_t content_type_len;
	const char *data;            /* the part's body, binary-safe */
	size_t data_len;
};

/*
 * The parser state: a cursor over one complete body that only moves forward, handing out
 * one part per call. No allocation and nothing to free; O(1) state besides the buffer.
 */
struct mp {
	char delim[MP_BOUNDARY_MAX + 5]; /* "\r\n--" boundary */
	size_t delim_len;
	const char *buf;
	size_t len;
	size_t pos;
	int state;
};

/*
 * Extracts the boundary of a Content-Type value that must be multipart/form-data (type and
 * parameter names case-insensitive) with exactly one boundary parameter, token or quoted,
 * of 1-70 RFC 2046 bchars not ending in a space. Other parameters are ignored.
 * Writes the boundary into out and returns 0, or returns AC_EINVAL (content_type may be NULL).
 */
int mp_boundary(const char *content_type, char out[MP_BOUNDARY_MAX + 1]);

/* Starts parsing buf (len bytes) with a boundary from mp_boundary(). */
void mp_init(struct mp *m, const char *boundary, const char *buf, size_t len);

/*
 * Reads the next part. Returns 1 and fills *part; 0 at the close delimiter; AC_EINVAL when
 * the structure is wrong, after which every call returns AC_EINVAL. Strict: the body starts
 * with the first delimiter (no preamble), line breaks are CRLF, no transport padding, the
 * close delimiter is followed by nothing or one CRLF, each part has exactly one
 * Content-Disposition "form-data" with a name parameter, header blocks are at most
 * MP_HEADER_MAX bytes without folding, NUL or other control characters (HTAB excepted).
 * Parameter values are tokens or quoted strings taken literally up to the next '"' (the
 * HTML form encoding: browsers percent-encode '"', CR and LF and leave '\' as is).
 */
int mp_next(struct mp *m, struct mp_part *part);

#endif
