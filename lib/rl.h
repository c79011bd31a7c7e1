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

/* One failure counter: its limit, its name (RL_LOGIN_*) and its subject ("" when unknown). */
struct rl_slot {
	const struct rate_limit *lim;
	const char *name;
	const char *subject;
};

/*
 * Reserves one attempt on n (at most 4) failure counters at once (§1.12 step 1): one script
 * INCRs every enabled counter, the TTL set when it is created. If any new value is > its count,
 * the same script takes every increment back and the answer is AC_ELIMIT, *retry_after raised
 * to the largest TTL of those that tripped. On 0, held[i] is 1 for each counter that holds a
 * reservation (0 for a disabled limit or an empty subject). AC_EUNAVAIL on Redis failure.
 */
int rl_reserve(struct rds *r, const struct rl_slot *slots, int n, int *held, long *retry_after);

enum rl_settle {
	RL_KEEP,       /* a failure: the reservation is its count */
	RL_GIVE_BACK,  /* DECR, never below 0 (a counter that reaches 0 is deleted) */
	RL_DELETE,     /* DEL the counter (a success, for login-account) */
};
/* Settles reservations of rl_reserve, one op per slot, in one script. 0 or AC_EUNAVAIL. */
int rl_settle(struct rds *r, const struct rl_slot *slots, const enum rl_settle *ops, int n);
/* Deletes a counter (a successful login). */
int rl_clear(struct rds *r, const char *name, const char *subject);
/*
 * Request counter: INCR with the TTL set at creation; AC_ELIMIT when the new value is
 * > count (raising *retry_after), 0 otherwise, AC_EUNAVAIL on Redis failure.
 */
int rl_hit(struct rds *r, const struct rate_limit *lim, const char *name, const char *subject,
	   long *retry_after);

#endif
