/* Fixed-window rate limits in Redis (API.md §1.12): failure counters and request counters. */
#include "rl.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

static void key_of(char *key, size_t n, const char *name, const char *subject)
{
	snprintf(key, n, "auth:rl:%s:%s", name, subject);
}

static int disabled(const struct rate_limit *lim, const char *subject)
{
	return lim->count == 0 || !subject || !*subject;
}

static void raise_retry(long *retry_after, long long ttl, const struct rate_limit *lim)
{
	long v = ttl >= 1 ? (long)ttl : (long)(lim->seconds ? lim->seconds : 1);

	if (v > *retry_after)
		*retry_after = v;
}

int rl_check(struct rds *r, const struct rate_limit *lim, const char *name, const char *subject,
	     long *retry_after)
{
	char key[160];
	redisReply *get = NULL, *ttl = NULL;
	long long count;
	int rc;

	if (disabled(lim, subject))
		return AC_OK;
	key_of(key, sizeof key, name, subject);
	if ((rc = rds_append(r, "GET", key, NULL)) != AC_OK ||
	    (rc = rds_append(r, "TTL", key, NULL)) != AC_OK)
		return rc;
	rc = rds_next(r, &get);
	if (rds_next(r, &ttl) != AC_OK)
		rc = AC_EUNAVAIL;
	if (rc == AC_OK) {
		count = get->type == REDIS_REPLY_STRING ? strtoll(get->str, NULL, 10) : 0;
		if (count >= (long long)lim->count) {
			raise_retry(retry_after, ttl->type == REDIS_REPLY_INTEGER ? ttl->integer : -1, lim);
			rc = AC_ELIMIT;
		}
	}
	freeReplyObject(get);
	freeReplyObject(ttl);
	return rc;
}

/* MULTI; SET key 0 EX s NX; INCR key; TTL key; EXEC -> the new value and its TTL. */
static int incr(struct rds *r, const struct rate_limit *lim, const char *key, long long *value,
		long long *ttl)
{
	char secs[16];
	redisReply *rep = NULL;
	int rc;

	snprintf(secs, sizeof secs, "%u", lim->seconds);
	if ((rc = rds_append(r, "MULTI", NULL)) != AC_OK ||
	    (rc = rds_append(r, "SET", key, "0", "EX", secs, "NX", NULL)) != AC_OK ||
	    (rc = rds_append(r, "INCR", key, NULL)) != AC_OK ||
	    (rc = rds_append(r, "TTL", key, NULL)) != AC_OK ||
	    (rc = rds_append(r, "EXEC", NULL)) != AC_OK)
		return rc;
	for (int i = 0; i < 5; i++) {
		redisReply *x;
		int e = rds_next(r, &x);

		if (e != AC_OK)
			rc = e;
		if (i == 4)
			rep = x;
		else
			freeReplyObject(x);
	}
	if (rc == AC_OK && (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
			    rep->element[1]->type != REDIS_REPLY_INTEGER ||
			    rep->element[2]->type != REDIS_REPLY_INTEGER))
		rc = AC_EUNAVAIL;
	if (rc == AC_OK) {
		*value = rep->element[1]->integer;
		*ttl = rep->element[2]->integer;
	}
	freeReplyObject(rep);
	return rc;
}

int rl_fail(struct rds *r, const struct rate_limit *lim, const char *name, const char *subject)
{
	char key[160];
	long long v, ttl;

	if (disabled(lim, subject))
		return AC_OK;
	key_of(key, sizeof key, name, subject);
	return incr(r, lim, key, &v, &ttl);
}

int rl_clear(struct rds *r, const char *name, const char *subject)
{
	char key[160];
	redisReply *rep;
	int rc;

	if (!subject || !*subject)
		return AC_OK;
	key_of(key, sizeof key, name, subject);
	rc = rds_cmd(r, &rep, "DEL", key, NULL);
	freeReplyObject(rep);
	return rc;
}

int rl_hit(struct rds *r, const struct rate_limit *lim, const char *name, const char *subject,
	   long *retry_after)
{
	char key[160];
	long long v, ttl;
	int rc;

	if (disabled(lim, subject))
		return AC_OK;
	key_of(key, sizeof key, name, subject);
	rc = incr(r, lim, key, &v, &ttl);
	if (rc != AC_OK)
		return rc;
	if (v > (long long)lim->count) {
		raise_retry(retry_after, ttl, lim);
		return AC_ELIMIT;
	}
	return AC_OK;
}
