/* A growable NUL-terminated byte buffer with a sticky error, shared by the text builders. */
#ifndef AUTHCGI_BUF_H
#define AUTHCGI_BUF_H

#include <stddef.h>

/* Owns p until buf_finish() hands it over or buf_free() frees it. */
struct buf {
	char *p;
	size_t len, cap;
	size_t max;   /* bound on len; 0 = none */
	int err;      /* first error (AC_ENOMEM, AC_EBOUNDS, or one the caller sets), sticky */
};

#define BUF_INIT(max) { NULL, 0, 0, (max), 0 }

/* Appends n bytes; after an error it does nothing. */
void buf_add(struct buf *b, const void *s, size_t n);
void buf_str(struct buf *b, const char *s);
/*
 * Hands the string over: *out is malloc'd (an empty string rather than NULL) and *outlen
 * (may be NULL) its length; returns 0. After an error frees the buffer and returns it.
 */
int buf_finish(struct buf *b, char **out, size_t *outlen);
void buf_free(struct buf *b);

#endif
