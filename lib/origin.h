/* Web origins: canonical form and comparison (API.md §1.9). */
#ifndef AUTHCGI_ORIGIN_H
#define AUTHCGI_ORIGIN_H

#include <stddef.h>

/*
 * Canonicalises an origin "scheme://host[:port]" (http or https only): scheme and host
 * lower-cased (ASCII), ":80" for http and ":443" for https dropped, IPv6 hosts kept in
 * brackets. No path, query, fragment or userinfo allowed; "null" is not an origin.
 * Writes into out (outlen bytes). Returns 0 or AC_EINVAL.
 */
int origin_canonical(const char *s, char *out, size_t outlen);
/*
 * The origin of an absolute http(s) URL (its scheme://host[:port], canonical), e.g. for
 * FRONTEND_URL and API_BASE_URL, which may carry a path. Returns 0 or AC_EINVAL.
 */
int origin_of_url(const char *url, char *out, size_t outlen);
/* The origin of a request: scheme ("http"/"https") and a Host header value. Returns 0 or AC_EINVAL. */
int origin_from_host(const char *scheme, const char *host, char *out, size_t outlen);

#endif
