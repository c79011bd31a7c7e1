/* Fixed-window rate limits in Redis (API.md §1.12): failure counters and request counters. */
#ifndef AUTHCGI_RL_H
#define AUTHCGI_RL_H

#include "cfg.h"
#include "rds.h"

/* Limit names used in keys auth:rl:<name>:<subject>. */
#define RL_LOGIN_ACCOUNT "login-account"
#define RL_LOGIN_ADDR "login-addr"
#define RL_REGISTER_ADDR "register-addr"
#define RL_MAIL_ADDR "mail-addr"
#define RL_MAIL_EMAIL "mail-email"

/*
 * Failure counter check: AC_ELIMIT when the counter is >= count (and *retry_after is raised
 * to its remaining TTL if larger), 0 when below, AC_EUNAVAIL on Redis failure.
 * A disabled limit (count 0) or an empty subject always passes.
 */
int rl_check(struct rds *r, const struct rate_limit *lim, const char *name, const char *subject,
	     long *retry_after);
/* Failure counter increment, TTL set at creation. */
int rl_fail(struct rds *r, const struct rate_limit *lim, const char *name, const char *subject);
/* Deletes a counter (a successful login). */
int rl_clear(struct rds *r, const char *name, const char *subject);
/*
 * Request counter: INCR with the TTL set at creation; AC_ELIMIT when the new value is
 * > count (raising *retry_after), 0 otherwise, AC_EUNAVAIL on Redis failure.
 */
int rl_hit(struct rds *r, const struct rate_limit *lim, const char *name, const char *subject,
	   long *retry_after);

#endif
