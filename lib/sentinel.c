/* Redis Sentinel discovery (API.md §10.3): which address is the current master of a name. */
#include "sentinel.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

unsigned sentinel_budget_ms(long long deadline_ms, unsigned step_ms)
{
	long long left = deadline_ms - tm_mono_ms();

	if (left <= 0)
		return 0;
	return left < (long long)step_ms ? (unsigned)left : step_ms;
}

static struct timeval tv_of(unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return tv;
}

int sentinel_parse_addr(const redisReply *rep, struct sentinel_addr *out)
{
	const redisReply *h, *p;
	char digits[8];
	char *end;
	long port;

	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2)
		return AC_EINVAL;
	h = rep->element[0];
	p = rep->element[1];
	if (!h || !p || h->type != REDIS_REPLY_STRING || p->type != REDIS_REPLY_STRING)
		return AC_EINVAL;
	if (h->len == 0 || h->len >= sizeof out->host || p->len == 0 || p->len >= sizeof digits)
		return AC_EINVAL;
	/* An IPv4 or IPv6 address or a host name: nothing else reaches getaddrinfo. */
	for (size_t i = 0; i < h->len; i++) {
		char c = h->str[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '.' || c == ':' || c == '-' || c == '_' || c == '%'))
			return AC_EINVAL;
	}
	for (size_t i = 0; i < p->len; i++)
		if (p->str[i] < '0' || p->str[i] > '9')
			return AC_EINVAL;
	memcpy(digits, p->str, p->len);
	digits[p->len] = '\0';
	port = strtol(digits, &end, 10);
	if (port < 1 || port > 65535)
		return AC_EINVAL;
	memcpy(out->host, h->str, h->len);
	out->host[h->len] = '\0';
	out->port = (int)port;
	return AC_OK;
}

int sentinel_role_is_master(const redisReply *rep, const char **role)
{
	const redisReply *r0;

	if (role)
		*role = "an unexpected reply";
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 1)
		return 0;
	r0 = rep->element[0];
	if (!r0 || r0->type != REDIS_REPLY_STRING)
		return 0;
	if (r0->len == 6 && memcmp(r0->str, "master", 6) == 0) {
		if (role)
			*role = "master";
		return 1;
	}
	if (role) {
		if (r0->len == 5 && memcmp(r0->str, "slave", 5) == 0)
			*role = "a replica";
		else if (r0->len == 8 && memcmp(r0->str, "sentinel", 8) == 0)
			*role = "a Sentinel";
	}
	return 0;
}

/* One Sentinel: 0 and *out, or AC_EUNAVAIL (logged). */
static int ask_one(const struct cfg_redis_node *s, const char *name, unsigned connect_ms,
		   unsigned cmd_ms, long long deadline_ms, struct sentinel_addr *out)
{
	const char *argv[3] = { "SENTINEL", "get-master-addr-by-name", name };
	size_t lens[3] = { 8, 23, strlen(name) };
	unsigned ms = sentinel_budget_ms(deadline_ms, connect_ms);
	redisContext *c;
	redisReply *rep;
	int rc = AC_EUNAVAIL;

	if (ms == 0) {
		log_error("redis: sentinel %s:%d: no time left", s->host, s->port);
		return AC_EUNAVAIL;
	}
	c = redisConnectWithTimeout(s->host, s->port, tv_of(ms));
	if (!c || c->err) {
		log_error("redis: sentinel %s:%d: cannot connect: %s", s->host, s->port,
			  c ? c->errstr : "out of memory");
		goto out;
	}
	ms = sentinel_budget_ms(deadline_ms, cmd_ms);
	if (ms == 0 || redisSetTimeout(c, tv_of(ms)) != REDIS_OK) {
		log_error("redis: sentinel %s:%d: no time left", s->host, s->port);
		goto out;
	}
	rep = redisCommandArgv(c, 3, argv, lens);
	if (!rep) {
		log_error("redis: sentinel %s:%d: %s", s->host, s->port, c->errstr);
		goto out;
	}
	if (rep->type == REDIS_REPLY_ERROR)
		log_error("redis: sentinel %s:%d: %.*s", s->host, s->port, (int)rep->len, rep->str);
	else if (rep->type == REDIS_REPLY_NIL)
		log_error("redis: sentinel %s:%d does not know master %s", s->host, s->port, name);
	else if (sentinel_parse_addr(rep, out) != AC_OK)
		log_error("redis: sentinel %s:%d: unexpected reply to get-master-addr-by-name",
			  s->host, s->port);
	else
		rc = AC_OK;
	freeReplyObject(rep);
out:
	if (c)
		redisFree(c);
	return rc;
}

int sentinel_master_addr(const struct cfg_redis *rc, size_t first, unsigned connect_ms,
			 unsigned cmd_ms, long long deadline_ms, struct sentinel_addr *out,
			 size_t *which)
{
	for (size_t i = first; i < rc->n_sentinels; i++) {
		if (ask_one(&rc->sentinels[i], rc->master_name, connect_ms, cmd_ms, deadline_ms,
			    out) == AC_OK) {
			*which = i;
			return AC_OK;
		}
	}
	log_error("redis: no sentinel named a master for %s", rc->master_name);
	return AC_EUNAVAIL;
}
