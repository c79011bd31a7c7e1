/*
 * For unit tests that need a real Redis: starts redis-server on a unix socket in a temporary
 * directory (no TCP port, no persistence), connects to it with rds_connect, and stops it by PID.
 * Header-only: include it in one test file.
 */
#ifndef AUTHCGI_TEST_REDIS_SERVER_H
#define AUTHCGI_TEST_REDIS_SERVER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "err.h"
#include "rds.h"

struct test_redis {
	char dir[64];
	char sock[128];
	pid_t pid;
	struct cfg cfg;
	struct rds *r;
};

static struct test_redis *test_redis_start(void)
{
	struct test_redis *t = calloc(1, sizeof *t);
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	signal(SIGPIPE, SIG_IGN);   /* as the programs do: a dead server is an error, not a signal */

	if (!t)
		return NULL;
	snprintf(t->dir, sizeof t->dir, "/tmp/authcgi-unit-redis-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return NULL;
	}
	snprintf(t->sock, sizeof t->sock, "%s/redis.sock", t->dir);
	t->pid = fork();
	if (t->pid == 0) {
		char log[128];

		snprintf(log, sizeof log, "%s/redis.log", t->dir);
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", t->sock,
		       "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", t->dir,
		       "--daemonize", "no", "--logfile", log, (char *)NULL);
		_exit(127);
	}
	t->cfg.redis.is_unix = 1;
	t->cfg.redis.path = t->sock;
	t->cfg.redis_connect_timeout_ms = 500;
	t->cfg.redis_timeout_ms = 2000;
	for (int i = 0; i < 250 && !t->r; i++) {
		struct stat st;

		if (stat(t->sock, &st) == 0 && rds_connect(&t->cfg, &t->r) == AC_OK)
			break;
		t->r = NULL;
		nanosleep(&pause, NULL);
	}
	return t;
}

static void test_redis_stop(struct test_redis *t)
{
	char path[160];

	if (!t)
		return;
	rds_close(t->r);
	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		waitpid(t->pid, NULL, 0);
	}
	snprintf(path, sizeof path, "%s/redis.log", t->dir);
	unlink(path);
	unlink(t->sock);
	rmdir(t->dir);
	free(t);
}

/* A command's reply as text (integer or string; "" for nil) into out. */
static void test_redis_get(struct test_redis *t, char *out, size_t n, const char *cmd,
			   const char *key)
{
	redisReply *rep;

	out[0] = '\0';
	if (rds_cmd(t->r, &rep, cmd, key, NULL) != AC_OK)
		return;
	if (rep->type == REDIS_REPLY_STRING)
		snprintf(out, n, "%s", rep->str);
	else if (rep->type == REDIS_REPLY_INTEGER)
		snprintf(out, n, "%lld", rep->integer);
	freeReplyObject(rep);
}

/* Runs a command whose reply is ignored; fails the test on an error. */
#define test_redis_do(t, ...)                                                  \
	do {                                                                   \
		redisReply *rep_;                                              \
		assert_int_equal(rds_cmd((t)->r, &rep_, __VA_ARGS__, NULL), AC_OK); \
		freeReplyObject(rep_);                                         \
	} while (0)

#endif
