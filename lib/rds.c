/* Redis connection: connect and command timeouts, AUTH/SELECT, binary-safe commands, fail closed. */
#include "rds.h"
#include "err.h"
#include "log.h"

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

int rds_connect(const struct cfg *cfg, struct rds **out)
{
	const struct cfg_redis *rc = &cfg->redis;
	struct rds *r;
	redisReply *rep;
	struct timeval ctv = ms_to_tv(cfg->redis_connect_timeout_ms);
	struct timeval ctimeout = ms_to_tv(cfg->redis_timeout_ms);

	*out = NULL;
	r = calloc(1, sizeof *r);
	if (!r)
		return AC_ENOMEM;
	if (rc->is_unix)
		r->c = redisConnectUnixWithTimeout(rc->path, ctv);
	else
		r->c = redisConnectWithTimeout(rc->host, rc->port, ctv);
	if (!r->c || r->c->err) {
		log_error("redis: cannot connect: %s", r->c ? r->c->errstr : "out of memory");
		rds_close(r);
		return AC_EUNAVAIL;
	}
	if (redisSetTimeout(r->c, ctimeout) != REDIS_OK) {
		rds_close(r);
		return AC_EUNAVAIL;
	}
	if (rc->password) {
		int err = rc->user ? rds_cmd(r, &rep, "AUTH", rc->user, rc->password, NULL)
				   : rds_cmd(r, &rep, "AUTH", rc->password, NULL);

		freeReplyObject(rep);
		if (err != AC_OK) {
			rds_close(r);
			return AC_EUNAVAIL;
		}
	}
	if (rc->db != 0) {
		char db[16];
		int err;

		snprintf(db, sizeof db, "%d", rc->db);
		err = rds_cmd(r, &rep, "SELECT", db, NULL);
		freeReplyObject(rep);
		if (err != AC_OK) {
			rds_close(r);
			return AC_EUNAVAIL;
		}
	}
	*out = r;
	return AC_OK;
}
