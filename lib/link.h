/* E-mailed links: the PATH_INFO of the confirm endpoints and the redirects to the frontend (API.md §7.2, §7.7). */
#ifndef AUTHCGI_LINK_H
#define AUTHCGI_LINK_H

#include "endpoint.h"

#define LINK_UIDB64_MAX 48
#define LINK_TOKEN_MAX 46

/*
 * Splits PATH_INFO "/<uidb64>/<token>/" (the trailing slash optional) into its two segments.
 * Returns 0, or AC_EINVAL for any other number of segments or a segment over its limit (§9).
 */
int link_parse(const char *path_info, char uidb64[LINK_UIDB64_MAX + 1], char token[LINK_TOKEN_MAX + 1]);
/* 302 to F followed by path_and_query (which starts with '/'). */
int ctx_redirect_frontend(struct ctx *c, const char *path_and_query);
/* The 302 to the regenerate page with the exact reason of §7.2. */
int ctx_invalid_link(struct ctx *c);

#endif
