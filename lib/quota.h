/* Request-counter limits of the registration and e-mail endpoints (API.md §1.12, §8.5). */
#ifndef AUTHCGI_QUOTA_H
#define AUTHCGI_QUOTA_H

#include "endpoint.h"

#define LIMITS_TOO_MANY "Too many requests. Please try again later"

/*
 * Counts one request against the per-address limit addr_lim (named addr_name) and the
 * mail-email limit of email (trimmed, lower-cased, hashed). Both counters are incremented.
 * Returns 0; AC_ELIMIT after answering 429 with the largest Retry-After; AC_EUNAVAIL.
 */
int ctx_hit_limits(struct ctx *c, const struct rate_limit *addr_lim, const char *addr_name,
		   const char *email);

#endif
