/* The built-in common-password list (generated into lib/common_passwords.c); private to pwpolicy.c. */
#ifndef AUTHCGI_COMMON_PASSWORDS_H
#define AUTHCGI_COMMON_PASSWORDS_H

#include <stddef.h>

/* 1 when the len bytes of s are exactly an entry (entries are lower-case and trimmed). */
int common_passwords_contains(const char *s, size_t len);
/* Number of entries in the built-in list. */
size_t common_passwords_count(void);

#endif
