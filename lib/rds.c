/* Redis connection: connect and command timeouts, AUTH/SELECT, binary-safe commands, fail closed. */
#include "rds.h"
#include "err.h"
#include "log.h"
#include "sentinel.h"
#include "timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RDS_MAX_ARGS 32

struct rds {
	redisContext *c;
	int broken;
};

static struct timeval ms_to_tv(unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return tv;
}

void rds_close(struct rds *r)
{
	if (!r)
		return;
	if (r->c)
		redisFree(r->c);
	free(r);
}

int rds_broken(const struct rds *r)
{
	return r->broken;
}

static int fail(struct rds *r, const char *what)
{
	if (r->c && r->c->err) {
		log_error("redis: %s: %s", what, r->c->errstr);
		r->broken = 1;
	} else {
		log_error("redis: %s failed", what);
	}
	return AC_EUNAVAIL;
}

static int check_reply(struct rds *r, redisReply *rep, redisReply **out, const char *what)
{
	*out = NULL;
	if (!rep)
		return fail(r, what);
	if (rep->type == REDIS_REPLY_ERROR) {
		log_error("redis: %s: %.*s", what, (int)rep->len, rep->str);
		/* A master demoted to replica (a failover, §10.3): drop the connection, rediscover. */
		if ((rep->len >= 8 && memcmp(rep->str, "READONLY", 8) == 0) ||
		    (rep->len >= 10 && memcmp(rep->str, "MASTERDOWN", 10) == 0))
			r->broken = 1;
		freeReplyObject(rep);
		return AC_EUNAVAIL;
	}
	*out = rep;
	return AC_OK;
}

int rds_argv(struct rds *r, redisReply **reply, int argc, const char **argv, const size_t *lens)
{
	*reply = NULL;
	if (r->broken)
		return AC_EUNAVAIL;
	return check_reply(r, redisCommandArgv(r->c, argc, argv, lens), reply, argv[0]);
}

static int collect(va_list ap, const char **argv, size_t *lens)
{
	int argc = 0;
	const char *a;

	while ((a = va_arg(ap, const char *)) != NULL) {
		if (argc == RDS_MAX_ARGS)
			return -1;
		argv[argc] = a;
		lens[argc] = strlen(a);
		argc++;
	}
	return argc;
}

int rds_cmd(struct rds *r, redisReply **reply, ...)
{
	const char *argv[RDS_MAX_ARGS];
	size_t lens[RDS_MAX_ARGS];
	va_list ap;
	int argc;

	va_start(ap, reply);
	argc = collect(ap, argv, lens);
	va_end(ap);
	if (argc <= 0) {
		*reply = NULL;
		return AC_EINTERNAL;
	}
	return rds_argv(r, reply, argc, argv, lens);
}

int rds_append(struct rds *r, ...)
{
	const char *argv[RDS_MAX_ARGS];
	size_t lens[RDS_MAX_ARGS];
	va_list ap;
	int argc;

	if (r->broken)
		return AC_EUNAVAIL;
	va_start(ap, r);
	argc = collect(ap, argv, lens);
	va_end(ap);
	if (argc <= 0)
		return AC_EINTERNAL;
	if (redisAppendCommandArgv(r->c, argc, argv, lens) != REDIS_OK)
		return fail(r, argv[0]);
	return AC_OK;
}

int rds_next(struct rds *r, redisReply **reply)
{
	void *rep = NULL;

	*reply = NULL;
	if (r->broken)
		return AC_EUNAVAIL;
	if (redisGetReply(r->c, &rep) != REDIS_OK)
		return fail(r, "pipeline");
	return check_reply(r, rep, reply, "pipeline");
}

/* Sets the command timeout for the next step: REDIS_TIMEOUT_MS, cut to what is left before deadline_ms (0: none). */
static int step_timeout(struct rds *r, const struct cfg *cfg, long long deadline_ms)
{
	unsigned ms = cfg->redis_timeout_ms;

	if (deadline_ms) {
		ms = sentinel_budget_ms(deadline_ms, ms);
		if (ms == 0) {
			log_error("redis: connecting took longer than its budget");
			return AC_EUNAVAIL;
		}
	}
	if (redisSetTimeout(r->c, ms_to_tv(ms)) != REDIS_OK) {
		log_error("redis: cannot set the timeout");
		return AC_EUNAVAIL;
	}
	return AC_OK;
}

/*
 * Connects to one server (host:port, or the unix socket of cfg when host is NULL), then AUTH,
 * ROLE when check_role (a server that is not a master sets *not_master) and SELECT. Every
 * step stays within REDIS_CONNECT_TIMEOUT_MS / REDIS_TIMEOUT_MS and before deadline_ms (0: none).
 */
static int open_server(const struct cfg *cfg, const char *host, int port, int check_role,
		       long long deadline_ms, int *not_master, struct rds **out)
{
	const struct cfg_redis *rc = &cfg->redis;
	unsigned cms = cfg->redis_connect_timeout_ms;
	struct rds *r;
	redisReply *rep;
	int err;

	*out = NULL;
	if (deadline_ms && (cms = sentinel_budget_ms(deadline_ms, cms)) == 0) {
		log_error("redis: connecting took longer than its budget");
		return AC_EUNAVAIL;
	}
	r = calloc(1, sizeof *r);
	if (!r)
		return AC_ENOMEM;
	if (host)
		r->c = redisConnectWithTimeout(host, port, ms_to_tv(cms));
	else
		r->c = redisConnectUnixWithTimeout(rc->path, ms_to_tv(cms));
	if (!r->c || r->c->err) {
		if (host)
			log_error("redis: cannot connect to %s:%d: %s", host, port,
				  r->c ? r->c->errstr : "out of memory");
		else
			log_error("redis: cannot connect: %s", r->c ? r->c->errstr : "out of memory");
		goto fail;
	}
	if (rc->password) {
		if (step_timeout(r, cfg, deadline_ms) != AC_OK)
			goto fail;
		err = rc->user ? rds_cmd(r, &rep, "AUTH", rc->user, rc->password, NULL)
			       : rds_cmd(r, &rep, "AUTH", rc->password, NULL);
		freeReplyObject(rep);
		if (err != AC_OK)
			goto fail;
	}
	if (check_role) {
		const char *role;
		int master;

		if (step_timeout(r, cfg, deadline_ms) != AC_OK ||
		    rds_cmd(r, &rep, "ROLE", NULL) != AC_OK)
			goto fail;
		master = sentinel_role_is_master(rep, &role);
		freeReplyObject(rep);
		if (!master) {
			log_error("redis: %s:%d, named master %s by a sentinel, is %s", host, port,
				  rc->master_name, role);
			*not_master = 1;
			goto fail;
		}
	}
	if (rc->db != 0) {
		char db[16];

		snprintf(db, sizeof db, "%d", rc->db);
		if (step_timeout(r, cfg, deadline_ms) != AC_OK)
			goto fail;
		err = rds_cmd(r, &rep, "SELECT", db, NULL);
		freeReplyObject(rep);
		if (err != AC_OK)
			goto fail;
	}
	if (step_timeout(r, cfg, 0) != AC_OK)
		goto fail;
	*out = r;
	return AC_OK;
fail:
	rds_close(r);
	return AC_EUNAVAIL;
}

/*
 * redis-sentinel:// (API.md §10.3): the Sentinels, in order, name the master; ROLE confirms it.
 * A server that turns out not to be a master (a failover in progress, a Sentinel that has not
 * caught up) makes us ask the Sentinels after the one that named it, once. The whole of it,
 * every Sentinel and the master included, ends within 2 * REDIS_CONNECT_TIMEOUT_MS +
 * REDIS_TIMEOUT_MS (2 s with the defaults): one unreachable Sentinel costs at most one connect
 * timeout, and what remains is the budget of a plain redis:// connect.
 */
static int connect_sentinel(const struct cfg *cfg, struct rds **out)
{
	const struct cfg_redis *rc = &cfg->redis;
	long long deadline = tm_mono_ms() + 2LL * cfg->redis_connect_timeout_ms +
			     cfg->redis_timeout_ms;
	size_t first = 0;

	for (int attempt = 0; attempt < 2 && first < rc->n_sentinels; attempt++) {
		struct sentinel_addr a;
		size_t which;
		int not_master = 0;

		if (sentinel_master_addr(rc, first, cfg->redis_connect_timeout_ms,
					 cfg->redis_timeout_ms, deadline, &a, &which) != AC_OK)
			return AC_EUNAVAIL;
		if (open_server(cfg, a.host, a.port, 1, deadline, &not_master, out) == AC_OK)
			return AC_OK;
		if (!not_master)
			return AC_EUNAVAIL;
		first = which + 1;
	}
	return AC_EUNAVAIL;
}

int rds_connect(const struct cfg *cfg, struct rds **out)
{
	const struct cfg_redis *rc = &cfg->redis;
	int not_master = 0;

	*out = NULL;
	if (rc->is_sentinel)
		return connect_sentinel(cfg, out);
	return open_server(cfg, rc->is_unix ? NULL : rc->host, rc->port, 0, 0, &not_master, out);
}
