/* Sessions in Redis (API.md §4): cookie parsing, creation, lookup, deletion, per-user index. */
#include "sess.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESS_KEY "auth:sess:"
#define USER_KEY "auth:user:"

enum sess_cookie sess_parse_cookie(const char *header, char token[SESS_TOKEN_LEN + 1])
{
	const char *p = header;
	int found = 0, ok = 0;

	token[0] = '\0';
	if (!header)
		return SESS_COOKIE_NONE;
	while (*p) {
		const char *end = strchr(p, ';'), *eq;
		size_t len;

		if (!end)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		eq = memchr(p, '=', len);
		if (eq && (size_t)(eq - p) == 9 && memcmp(p, "sessionid", 9) == 0) {
			const char *v = eq + 1;
			size_t vlen = len - 10;

			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			found++;
			ok = vlen == SESS_TOKEN_LEN;
			for (size_t i = 0; ok && i < vlen; i++)
				ok = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f');
			if (ok) {
				memcpy(token, v, SESS_TOKEN_LEN);
				token[SESS_TOKEN_LEN] = '\0';
			}
		}
		p = *end ? end + 1 : end;
	}
	if (found == 0)
		return SESS_COOKIE_NONE;
	if (found > 1 || !ok) {
		token[0] = '\0';
		return SESS_COOKIE_STALE;
	}
	return SESS_COOKIE_TOKEN;
}

void sess_token_hash(const char *token, char h[65])
{
	sec_sha256_hex(token, strlen(token), h);
}

void sess_fingerprint(const struct cfg *cfg, const char *password, char out[65])
{
	static const char salt[] = "auth.session.password";
	unsigned char key[32], mac[32];
	size_t n = sizeof salt - 1 + cfg->secret_key_len;
	char *buf = malloc(n);

	if (!buf) {
		/* Never equal to a real fingerprint: the session then ends (fail closed). */
		memset(out, 'x', 64);
		out[64] = '\0';
		return;
	}
	memcpy(buf, salt, sizeof salt - 1);
	memcpy(buf + sizeof salt - 1, cfg->secret_key, cfg->secret_key_len);
	sec_sha256(buf, n, key);
	free(buf);
	sec_hmac_sha256(key, sizeof key, password, strlen(password), mac);
	sec_hex(mac, sizeof mac, out);
}

static void copy_field(char *dst, size_t cap, const redisReply *v)
{
	size_t n = v->len < cap - 1 ? v->len : cap - 1;

	memcpy(dst, v->str, n);
	dst[n] = '\0';
}

int sess_load(struct rds *r, const char *h, struct session *s)
{
	char key[80];
	redisReply *rep;
	int rc, have = 0;

	memset(s, 0, sizeof *s);
	snprintf(key, sizeof key, SESS_KEY "%s", h);
	rc = rds_cmd(r, &rep, "HGETALL", key, NULL);
	if (rc != AC_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0) {
		freeReplyObject(rep);
		return AC_ENOTFOUND;
	}
	for (size_t i = 0; i + 1 < rep->elements; i += 2) {
		const redisReply *k = rep->element[i], *v = rep->element[i + 1];

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "uid") == 0) {
			copy_field(s->uid, sizeof s->uid, v);
			have |= 1;
		} else if (strcmp(k->str, "sid") == 0) {
			copy_field(s->sid, sizeof s->sid, v);
			have |= 2;
		} else if (strcmp(k->str, "pwd") == 0) {
			copy_field(s->pwd, sizeof s->pwd, v);
			have |= 4;
		} else if (strcmp(k->str, "created") == 0) {
			s->created = strtoll(v->str, NULL, 10);
		} else if (strcmp(k->str, "seen") == 0) {
			s->seen = strtoll(v->str, NULL, 10);
		} else if (strcmp(k->str, "ip") == 0) {
			copy_field(s->ip, sizeof s->ip, v);
		} else if (strcmp(k->str, "ua") == 0) {
			copy_field(s->ua, sizeof s->ua, v);
		}
	}
	freeReplyObject(rep);
	if (have != 7)
		return AC_ENOTFOUND;
	memcpy(s->h, h, 64);
	s->h[64] = '\0';
	return AC_OK;
}

/* Reads a pipeline of n replies, failing if any failed; frees them. */
static int drain(struct rds *r, int n)
{
	int rc = AC_OK;

	for (int i = 0; i < n; i++) {
		redisReply *rep;
		int e = rds_next(r, &rep);

		if (e != AC_OK && rc == AC_OK)
			rc = e;
		freeReplyObject(rep);
	}
	return rc;
}

/* HGETALL of the user's index: a reply the caller frees. */
static int index_of(struct rds *r, const char *uid, redisReply **rep)
{
	char key[64];
	int rc;

	snprintf(key, sizeof key, USER_KEY "%s", uid);
	rc = rds_cmd(r, rep, "HGETALL", key, NULL);
	if (rc == AC_OK && (*rep)->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(*rep);
		*rep = NULL;
		return AC_EUNAVAIL;
	}
	return rc;
}

/* Removes index fields whose session key has expired. */
static int prune(struct rds *r, const char *uid, const redisReply *idx)
{
	char ukey[64];
	int rc = AC_OK, queued = 0;
	size_t pairs = idx->elements / 2;
	long long *alive;

	if (pairs == 0)
		return AC_OK;
	alive = calloc(pairs, sizeof *alive);
	if (!alive)
		return AC_ENOMEM;
	for (size_t i = 0; i < pairs; i++) {
		char key[80];

		snprintf(key, sizeof key, SESS_KEY "%.64s", idx->element[2 * i + 1]->str);
		rc = rds_append(r, "EXISTS", key, NULL);
		if (rc != AC_OK)
			break;
		queued++;
	}
	for (int i = 0; i < queued; i++) {
		redisReply *rep;
		int e = rds_next(r, &rep);

		if (e == AC_OK && rep->type == REDIS_REPLY_INTEGER)
			alive[i] = rep->integer;
		else
			alive[i] = 1;
		if (e != AC_OK)
			rc = e;
		freeReplyObject(rep);
	}
	snprintf(ukey, sizeof ukey, USER_KEY "%s", uid);
	for (size_t i = 0; rc == AC_OK && i < pairs; i++) {
		redisReply *rep;

		if (alive[i])
			continue;
		rc = rds_cmd(r, &rep, "HDEL", ukey, idx->element[2 * i]->str, NULL);
		freeReplyObject(rep);
	}
	free(alive);
	return rc;
}

/*
 * KEYS[1] = auth:sess:<H>, KEYS[2] = auth:user:<uuid>; ARGV: the auth:sess: prefix, the cap,
 * the TTL, sid, H, then the field/value pairs of the new session. Removes index fields whose
 * session has expired, ends the oldest sessions (smallest created, then the shortest TTL left,
 * then index order) while the user holds cap or more, then writes both keys. Returns the number
 * of sessions it ended.
 */
static const char create_lua[] =
	"local idx = redis.call('HGETALL', KEYS[2]) "
	"local live, n = {}, 0 "
	"for i = 1, #idx, 2 do "
	"  local k = ARGV[1] .. idx[i + 1] "
	"  local created = redis.call('HGET', k, 'created') "
	"  if created then "
	"    n = n + 1 "
	"    live[n] = { idx[i], k, tonumber(created) or 0, redis.call('PTTL', k), n } "
	"  else redis.call('HDEL', KEYS[2], idx[i]) end "
	"end "
	"local cap, ended = tonumber(ARGV[2]), 0 "
	"if cap > 0 and n >= cap then "
	"  table.sort(live, function(a, b) "
	"    if a[3] ~= b[3] then return a[3] < b[3] end "
	"    if a[4] ~= b[4] then return a[4] < b[4] end "
	"    return a[5] < b[5] end) "
	"  for i = 1, n - cap + 1 do "
	"    redis.call('DEL', live[i][2]) "
	"    redis.call('HDEL', KEYS[2], live[i][1]) "
	"    ended = ended + 1 "
	"  end "
	"end "
	"redis.call('HSET', KEYS[1], unpack(ARGV, 6)) "
	"redis.call('EXPIRE', KEYS[1], ARGV[3]) "
	"redis.call('HSET', KEYS[2], ARGV[4], ARGV[5]) "
	"redis.call('EXPIRE', KEYS[2], ARGV[3]) "
	"return ended";

int sess_create(struct rds *r, const struct cfg *cfg, const char *uid, const char *password,
		const char *ip, const char *ua, char token[SESS_TOKEN_LEN + 1], struct session *out)
{
	unsigned char raw[32], sid_raw[16];
	char skey[80], ukey[64], now[24], age[24], cap[16];
	struct session *s = out;
	redisReply *rep;
	int rc;

	if (sec_random(raw, sizeof raw) != AC_OK || sec_random(sid_raw, sizeof sid_raw) != AC_OK)
		return AC_EINTERNAL;
	sec_hex(raw, sizeof raw, token);
	memset(raw, 0, sizeof raw);
	memset(s, 0, sizeof *s);
	sess_token_hash(token, s->h);
	sec_hex(sid_raw, sizeof sid_raw, s->sid);
	snprintf(s->uid, sizeof s->uid, "%s", uid);
	sess_fingerprint(cfg, password, s->pwd);
	s->created = s->seen = (long long)time(NULL);
	snprintf(s->ip, sizeof s->ip, "%s", ip ? ip : "");
	snprintf(s->ua, sizeof s->ua, "%s", ua ? ua : "");

	snprintf(skey, sizeof skey, SESS_KEY "%s", s->h);
	snprintf(ukey, sizeof ukey, USER_KEY "%s", uid);
	snprintf(now, sizeof now, "%lld", s->created);
	snprintf(age, sizeof age, "%u", cfg->session_cookie_age);
	snprintf(cap, sizeof cap, "%d", SESS_MAX_PER_USER);
	rc = rds_cmd(r, &rep, "EVAL", create_lua, "2", skey, ukey, SESS_KEY, cap, age, s->sid, s->h,
		     "uid", s->uid, "sid", s->sid, "pwd", s->pwd, "created", now, "seen", now, "ip",
		     s->ip, "ua", s->ua, NULL);
	if (rc == AC_OK && rep->type == REDIS_REPLY_INTEGER && rep->integer > 0)
		log_security("user %s held %d sessions: its %lld oldest ended", s->uid,
			     SESS_MAX_PER_USER, rep->integer);
	freeReplyObject(rep);
	return rc;
}

int sess_delete(struct rds *r, const struct session *s)
{
	char skey[80], ukey[64];
	int rc;

	snprintf(skey, sizeof skey, SESS_KEY "%s", s->h);
	snprintf(ukey, sizeof ukey, USER_KEY "%s", s->uid);
	if ((rc = rds_append(r, "DEL", skey, NULL)) != AC_OK)
		return rc;
	if (s->uid[0] && s->sid[0]) {
		if ((rc = rds_append(r, "HDEL", ukey, s->sid, NULL)) != AC_OK)
			return rc;
		return drain(r, 2);
	}
	return drain(r, 1);
}

int sess_delete_others(struct rds *r, const char *uid, const char *keep_h, long long *n)
{
	redisReply *idx = NULL;
	char ukey[64];
	int rc, queued = 0;
	long long count = 0;

	if (n)
		*n = 0;
	rc = index_of(r, uid, &idx);
	if (rc != AC_OK)
		return rc;
	snprintf(ukey, sizeof ukey, USER_KEY "%s", uid);
	for (size_t i = 0; i + 1 < idx->elements && rc == AC_OK; i += 2) {
		const char *sid = idx->element[i]->str, *h = idx->element[i + 1]->str;
		char skey[80];

		if (keep_h && strcmp(h, keep_h) == 0)
			continue;
		snprintf(skey, sizeof skey, SESS_KEY "%.64s", h);
		rc = rds_append(r, "DEL", skey, NULL);
		if (rc == AC_OK)
			rc = rds_append(r, "HDEL", ukey, sid, NULL);
		if (rc == AC_OK)
			queued += 2;
	}
	freeReplyObject(idx);
	for (int i = 0; i < queued; i++) {
		redisReply *rep;
		int e = rds_next(r, &rep);

		/* Count only sessions that were live: DEL answers 1 for them. */
		if (e == AC_OK && i % 2 == 0 && rep->type == REDIS_REPLY_INTEGER)
			count += rep->integer;
		if (e != AC_OK)
			rc = e;
		freeReplyObject(rep);
	}
	if (rc == AC_OK && !keep_h) {
		redisReply *rep;

		rc = rds_cmd(r, &rep, "DEL", ukey, NULL);
		freeReplyObject(rep);
	}
	if (n)
		*n = count;
	return rc;
}

int sess_delete_all(struct rds *r, const char *uid, long long *n)
{
	return sess_delete_others(r, uid, NULL, n);
}

int sess_touch(struct rds *r, struct session *s, long long now)
{
	char skey[80], v[24];
	redisReply *rep;
	int rc;

	if (now - s->seen < 60)
		return AC_OK;
	snprintf(skey, sizeof skey, SESS_KEY "%s", s->h);
	snprintf(v, sizeof v, "%lld", now);
	/* HSET only if the key still exists, so a touch never resurrects a deleted session. */
	rc = rds_cmd(r, &rep, "EVAL",
		     "if redis.call('EXISTS', KEYS[1]) == 1 then "
		     "return redis.call('HSET', KEYS[1], 'seen', ARGV[1]) end return 0",
		     "1", skey, v, NULL);
	freeReplyObject(rep);
	if (rc == AC_OK)
		s->seen = now;
	return rc;
}

/*
 * KEYS[1] = auth:user:<uuid>; ARGV: the auth:sess: prefix, uid, the fingerprint of the hash
 * just verified, the fingerprint of the upgraded hash. Index fields whose session is gone or is
 * not this user's are removed; sessions at the verified fingerprint are rewritten, those at the
 * new one kept, every other session of the user ended. Returns {kept, ended}.
 */
static const char upgrade_lua[] =
	"local idx = redis.call('HGETALL', KEYS[1]) "
	"local kept, ended = 0, 0 "
	"for i = 1, #idx, 2 do "
	"  local k = ARGV[1] .. idx[i + 1] "
	"  local s = redis.call('HMGET', k, 'uid', 'pwd') "
	"  if s[1] ~= ARGV[2] then "
	"    redis.call('HDEL', KEYS[1], idx[i]) "
	"  elseif s[2] == ARGV[3] then "
	"    redis.call('HSET', k, 'pwd', ARGV[4]) "
	"    kept = kept + 1 "
	"  elseif s[2] == ARGV[4] then "
	"    kept = kept + 1 "
	"  else "
	"    redis.call('DEL', k) "
	"    redis.call('HDEL', KEYS[1], idx[i]) "
	"    ended = ended + 1 "
	"  end "
	"end "
	"return { kept, ended }";

int sess_refingerprint(struct rds *r, const char *uid, const char *verified_pwd, const char *new_pwd,
		       long long *ended)
{
	char ukey[64];
	redisReply *rep;
	int rc;

	if (ended)
		*ended = 0;
	snprintf(ukey, sizeof ukey, USER_KEY "%s", uid);
	rc = rds_cmd(r, &rep, "EVAL", upgrade_lua, "1", ukey, SESS_KEY, uid, verified_pwd, new_pwd,
		     NULL);
	if (rc != AC_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[1]->type != REDIS_REPLY_INTEGER)
		rc = AC_EUNAVAIL;
	else if (ended)
		*ended = rep->element[1]->integer;
	freeReplyObject(rep);
	return rc;
}

static int by_created_desc(const void *a, const void *b)
{
	const struct session *x = a, *y = b;

	return (x->created < y->created) - (x->created > y->created);
}

int sess_list(struct rds *r, const char *uid, struct session **out, size_t *n)
{
	redisReply *idx = NULL;
	struct session *list = NULL;
	size_t count = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = index_of(r, uid, &idx);
	if (rc != AC_OK)
		return rc;
	rc = prune(r, uid, idx);
	if (rc == AC_OK && idx->elements >= 2) {
		list = calloc(idx->elements / 2, sizeof *list);
		if (!list)
			rc = AC_ENOMEM;
	}
	for (size_t i = 0; rc == AC_OK && i + 1 < idx->elements; i += 2) {
		const char *h = idx->element[i + 1]->str;
		int e;

		if (strlen(h) != 64)
			continue;
		e = sess_load(r, h, &list[count]);
		if (e == AC_OK && strcmp(list[count].uid, uid) == 0)
			count++;
		else if (e != AC_OK && e != AC_ENOTFOUND)
			rc = e;
	}
	freeReplyObject(idx);
	if (rc != AC_OK) {
		free(list);
		return rc;
	}
	if (count > 1)   /* list is NULL when there is none: qsort(NULL, 0, ...) is undefined */
		qsort(list, count, sizeof *list, by_created_desc);
	*out = list;
	*n = count;
	return AC_OK;
}

void sess_cookie_line(char *out, size_t outlen, const char *name, const char *value, long max_age,
		      time_t now, int secure)
{
	char expires[TM_BUF];

	tm_cookie(now + max_age, expires);
	snprintf(out, outlen, "%s=%s; expires=%s; HttpOnly; Max-Age=%ld; Path=/; SameSite=Lax%s", name,
		 value, expires, max_age, secure ? "; Secure" : "");
}

void sess_cookie_delete_line(char *out, size_t outlen, int secure)
{
	snprintf(out, outlen,
		 "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; "
		 "SameSite=Lax%s",
		 secure ? "; Secure" : "");
}
