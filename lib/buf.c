/* A growable NUL-terminated byte buffer with a sticky error, shared by the text builders. */
#include "buf.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

void buf_add(struct buf *b, const void *s, size_t n)
{
	if (b->err)
		return;
	if (b->max && n > b->max - b->len) {
		b->err = AC_EBOUNDS;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = AC_ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

int buf_finish(struct buf *b, char **out, size_t *outlen)
{
	if (!b->err && !b->p)
		buf_add(b, "", 0);
	if (b->err) {
		buf_free(b);
		*out = NULL;
		return b->err;
	}
	*out = b->p;
	if (outlen)
		*outlen = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return AC_OK;
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
