/* Request-counter limits of the registration and e-mail endpoints (API.md §1.12, §8.5). */
#include "quota.h"
#include "email.h"
#include "err.h"
#include "log.h"
#include "rl.h"

int ctx_hit_limits(struct ctx *c, const struct rate_limit *addr_lim, const char *addr_name,
		   const char *email)
{
	char subject[65];
	struct rds *r;
	long retry = 0;
	int rc, a, b;

	rc = ctx_redis(c, &r);
	if (rc != AC_OK)
		return rc;
	email_subject_hash(email, subject);
	a = rl_hit(r, addr_lim, addr_name, c->req.client_subject, &retry);
	b = rl_hit(r, &c->cfg->rl_mail_email, RL_MAIL_EMAIL, subject, &retry);
	if (a == AC_EUNAVAIL || b == AC_EUNAVAIL)
		return AC_EUNAVAIL;
	if (a == AC_ELIMIT || b == AC_ELIMIT) {
		log_security("%s rate limit tripped: email %.16s addr %s", c->ep->name, subject,
			     c->req.client_known ? c->req.client_ip : "unknown");
		ctx_too_many(c, retry, LIMITS_TOO_MANY);
		return AC_ELIMIT;
	}
	return a != AC_OK ? a : b;
}
