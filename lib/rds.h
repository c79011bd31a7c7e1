/* Redis connection: connect and command timeouts, AUTH/SELECT, binary-safe commands, fail closed. */
#ifndef AUTHCGI_RDS_H
#define AUTHCGI_RDS_H

#include <hiredis/hiredis.h>
#include "cfg.h"

struct rds;

/*
 * Connects to cfg->redis within REDIS_CONNECT_TIMEOUT_MS, sets REDIS_TIMEOUT_MS for every
 * command, authenticates and selects the database. Returns 0 and a connection the caller
 * frees with rds_close(), or AC_EUNAVAIL (logged).
 */
int rds_connect(const struct cfg *cfg, struct rds **out);
void rds_close(struct rds *r);
/* 1 after an I/O error or a timeout: the connection is unusable (every call fails at once). */
int rds_broken(const struct rds *r);

/*
 * Runs one command given as argv (binary-safe; never a format string built from data).
 * On success returns 0 and *reply (caller frees with freeReplyObject), which is never an
 * error reply. On an I/O error, a timeout or an error reply returns AC_EUNAVAIL; after an
 * I/O error the connection is discarded and every later call fails at once.
 */
int rds_argv(struct rds *r, redisReply **reply, int argc, const char **argv, const size_t *lens);
/* rds_argv for NUL-terminated arguments; the list ends with NULL. */
int rds_cmd(struct rds *r, redisReply **reply, ...) __attribute__((sentinel));

/* Queues a command for a pipeline (NUL-terminated arguments, NULL-terminated list). */
int rds_append(struct rds *r, ...) __attribute__((sentinel));
/* Reads the next pipelined reply, as rds_argv does. */
int rds_next(struct rds *r, redisReply **reply);

#endif
