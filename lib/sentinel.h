/* Redis Sentinel discovery (API.md §10.3): which address is the current master of a name. */
#ifndef AUTHCGI_SENTINEL_H
#define AUTHCGI_SENTINEL_H

#include <hiredis/hiredis.h>
#include "cfg.h"

/* An address as a Sentinel gives it: an IP address (or host name) and a port. */
struct sentinel_addr {
	char host[256];
	int port;
};

/* min(step_ms, what is left until deadline_ms); 0 when the deadline has passed. */
unsigned sentinel_budget_ms(long long deadline_ms, unsigned step_ms);

/*
 * Asks rc->sentinels[first..] in order, without AUTH, `SENTINEL get-master-addr-by-name
 * <rc->master_name>` and returns 0 with the first address given, and in *which the index of
 * the Sentinel that gave it. A Sentinel that cannot be reached within connect_ms, does not
 * answer within cmd_ms, answers an error or does not know the name is skipped (logged). No
 * step waits past deadline_ms. Returns AC_EUNAVAIL when none gave an address.
 */
int sentinel_master_addr(const struct cfg_redis *rc, size_t first, unsigned connect_ms,
			 unsigned cmd_ms, long long deadline_ms, struct sentinel_addr *out,
			 size_t *which);

/* The reply to get-master-addr-by-name: a 2-element array of IP and port. 0 or AC_EINVAL. */
int sentinel_parse_addr(const redisReply *rep, struct sentinel_addr *out);
/*
 * The reply to ROLE: 1 when its first element is "master", 0 otherwise (a replica, a Sentinel,
 * anything malformed). *role (optional) names what was found, for the log.
 */
int sentinel_role_is_master(const redisReply *rep, const char **role);

#endif
