/* Fixed-window rate limits in Redis (API.md §1.12): failure counters and request counters. */
#include "rl.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * KEYS: the counters; ARGV: count and seconds of each. INCR every counter, the TTL set when the
 * INCR creates it (or repaired when a key somehow has none). If any new value is > its count,
 * every increment is taken back (a counter back at 0 is deleted), so that a 429 holds nothing.
 * Returns, per counter, {1 if it tripped else 0, its TTL}.
 */
static const char reserve_lua[] =
	"local over, vals = false, {} "
	"for i = 1, #KEYS do "
	"  local v = redis.call('INCR', KEYS[i]) "
	"  if v == 1 or redis.call('TTL', KEYS[i]) < 0 then "
	"    redis.call('EXPIRE', KEYS[i], ARGV[2 * i]) end "
	"  vals[i] = v "
	"  if v > tonumber(ARGV[2 * i - 1]) then over = true end "
	"end "
	"local out = {} "
	"for i = 1, #KEYS do "
	"  out[2 * i - 1] = (vals[i] > tonumber(ARGV[2 * i - 1])) and 1 or 0 "
	"  out[2 * i] = redis.call('TTL', KEYS[i]) "
	"  if over then "
	"    if redis.call('DECR', KEYS[i]) <= 0 then redis.call('DEL', KEYS[i]) end "
	"  end "
	"end "
	"return out";

/*
 * KEYS: the counters; ARGV: 'del' or 'decr' for each. 'decr' gives one reservation back and
 * never goes below 0: a counter at 1 (or at an odd value <= 0) is deleted instead.
 */
static const char settle_lua[] =
	"for i = 1, #KEYS do "
	"  if ARGV[i] == 'del' then redis.call('DEL', KEYS[i]) "
	"  else "
	"    local v = tonumber(redis.call('GET', KEYS[i])) "
	"    if v and v > 1 then redis.call('DECR', KEYS[i]) "
	"    elseif v then redis.call('DEL', KEYS[i]) end "
	"  end "
	"end "
	"return 0";

#define RL_MAX_SLOTS 4
#define RL_MAX_ARGS (3 + 3 * RL_MAX_SLOTS)

/*
 * EVAL script with k keys, then the args (NULL-free, at most 2 per key): binary-safe through
 * rds_argv. *rep as rds_argv gives it.
 */
static int eval(struct rds *r, const char *script, int k, char keys[][160], const char **args,
		int nargs, redisReply **rep)
{
	const char *argv[RL_MAX_ARGS];
	size_t lens[RL_MAX_ARGS];
	char nkeys[16];
	int argc = 0;

	snprintf(nkeys, sizeof nkeys, "%d", k);
	argv[argc++] = "EVAL";
	argv[argc++] = script;
	argv[argc++] = nkeys;
	for (int j = 0; j < k; j++)
		argv[argc++] = keys[j];
	for (int j = 0; j < nargs; j++)
		argv[argc++] = args[j];
	for (int j = 0; j < argc; j++)
		lens[j] = strlen(argv[j]);
	return rds_argv(r, rep, argc, argv, lens);
}

int rl_reserve(struct rds *r, const struct rl_slot *slots, int n, int *held, long *retry_after)
{
	char keys[RL_MAX_SLOTS][160], counts[RL_MAX_SLOTS][16], secs[RL_MAX_SLOTS][16];
	const char *args[2 * RL_MAX_SLOTS];
	int idx[RL_MAX_SLOTS], k = 0, rc, tripped = 0;
	redisReply *rep;

	if (n > RL_MAX_SLOTS)
		return AC_EINTERNAL;
	for (int i = 0; i < n; i++) {
		held[i] = 0;
		if (disabled(slots[i].lim, slots[i].subject))
			continue;
		key_of(keys[k], sizeof keys[k], slots[i].name, slots[i].subject);
		snprintf(counts[k], sizeof counts[k], "%u", slots[i].lim->count);
		snprintf(secs[k], sizeof secs[k], "%u", slots[i].lim->seconds ? slots[i].lim->seconds : 1);
		args[2 * k] = counts[k];
		args[2 * k + 1] = secs[k];
		idx[k++] = i;
	}
	if (k == 0)
		return AC_OK;
	rc = eval(r, reserve_lua, k, keys, args, 2 * k, &rep);
	if (rc != AC_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != (size_t)(2 * k)) {
		freeReplyObject(rep);
		return AC_EUNAVAIL;
	}
	for (int j = 0; j < k; j++) {
		const redisReply *t = rep->element[2 * j], *ttl = rep->element[2 * j + 1];

		if (t->type == REDIS_REPLY_INTEGER && t->integer == 1) {
			tripped = 1;
			raise_retry(retry_after, ttl->type == REDIS_REPLY_INTEGER ? ttl->integer : -1,
				    slots[idx[j]].lim);
		}
	}
	freeReplyObject(rep);
	if (tripped)
		return AC_ELIMIT;
	for (int j = 0; j < k; j++)
		held[idx[j]] = 1;
	return AC_OK;
}

int rl_settle(struct rds *r, const struct rl_slot *slots, const enum rl_settle *ops, int n)
{
	char keys[RL_MAX_SLOTS][160];
	const char *how[RL_MAX_SLOTS];
	int k = 0, rc;
	redisReply *rep;

	if (n > RL_MAX_SLOTS)
		return AC_EINTERNAL;
	for (int i = 0; i < n; i++) {
		if (ops[i] == RL_KEEP || !slots[i].subject || !*slots[i].subject)
			continue;
		key_of(keys[k], sizeof keys[k], slots[i].name, slots[i].subject);
		how[k++] = ops[i] == RL_DELETE ? "del" : "decr";
	}
	if (k == 0)
		return AC_OK;
	rc = eval(r, settle_lua, k, keys, how, k, &rep);
	freeReplyObject(rep);
	return rc;
}
