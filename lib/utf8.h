/* UTF-8 helpers: validation, character counts, truncation on a character boundary. */
#ifndef AUTHCGI_UTF8_H
#define AUTHCGI_UTF8_H

#include <stddef.h>

/* 1 when len bytes are well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int utf8_valid(const char *s, size_t len);
/* Number of code points in a valid UTF-8 string of len bytes. */
size_t utf8_chars(const char *s, size_t len);
/* The largest prefix length <= max that ends on a character boundary of valid UTF-8 s. */
size_t utf8_truncate(const char *s, size_t len, size_t max);

#endif
