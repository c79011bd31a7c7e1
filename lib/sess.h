/* Sessions in Redis (API.md §4): cookie parsing, creation, lookup, deletion, per-user index. */
#ifndef AUTHCGI_SESS_H
#define AUTHCGI_SESS_H

#include <stddef.h>
#include <time.h>
#include "cfg.h"
#include "rds.h"

#define SESS_TOKEN_LEN 64
/* Live sessions one user may hold (§4.6). */
#define SESS_MAX_PER_USER 64

enum sess_cookie {
	SESS_COOKIE_NONE,   /* no sessionid cookie */
	SESS_COOKIE_TOKEN,  /* exactly one, 64 lowercase hex */
	SESS_COOKIE_STALE,  /* any other value, or more than one */
};

/* One live session as stored in auth:sess:<H>. */
struct session {
	char h[65];          /* SHA-256 hex of the token */
	char uid[37];
	char sid[33];
	char pwd[65];        /* password fingerprint */
	long long created;
	long long seen;
	char ip[64];
	char ua[257];
};

/* Reads the sessionid cookie out of an HTTP_COOKIE value (§4.3); token gets the value when TOKEN. */
enum sess_cookie sess_parse_cookie(const char *header, char token[SESS_TOKEN_LEN + 1]);
/* H = lowercase hex SHA-256 of the token. */
void sess_token_hash(const char *token, char h[65]);
/* The password fingerprint of §4.4 for a password column. */
void sess_fingerprint(const struct cfg *cfg, const char *password, char out[65]);

/* HGETALL auth:sess:<H>. 0 and *s filled, AC_ENOTFOUND when missing or malformed, AC_EUNAVAIL. */
int sess_load(struct rds *r, const char *h, struct session *s);
/*
 * Creates a session for uid (§4.4): a new token (written to token), its hash stored with
 * fingerprint of password, ip and ua, and the index entry. One script, atomic: it also removes
 * stale index fields and, when uid already holds SESS_MAX_PER_USER live sessions, first ends
 * the oldest (smallest created) (§4.6). Returns 0 or AC_EUNAVAIL / AC_EINTERNAL.
 */
int sess_create(struct rds *r, const struct cfg *cfg, const char *uid, const char *password,
		const char *ip, const char *ua, char token[SESS_TOKEN_LEN + 1], struct session *out);
/* DEL auth:sess:<H> and HDEL its index field. */
int sess_delete(struct rds *r, const struct session *s);
/* Ends every session of uid: DEL each indexed key, then the index. *n gets the count (may be NULL). */
int sess_delete_all(struct rds *r, const char *uid, long long *n);
/* Ends every session of uid except keep_h. *n gets the count. */
int sess_delete_others(struct rds *r, const char *uid, const char *keep_h, long long *n);
/* Sets seen to now when it is at least 60 s old. */
int sess_touch(struct rds *r, struct session *s, long long now);
/*
 * After a hash upgrade at login (§4.6), atomically (one script): rewrites pwd to new_pwd in the
 * sessions of uid whose pwd is verified_pwd (the fingerprint of the hash just verified), keeps
 * those already at new_pwd, and ends every other session of uid (an earlier password's: an
 * upgrade must never revive them). *ended (may be NULL) gets the number ended.
 */
int sess_refingerprint(struct rds *r, const char *uid, const char *verified_pwd, const char *new_pwd,
		       long long *ended);

/*
 * Lists the live sessions of uid, pruning stale index fields. *out is a malloc'd array
 * of *n sessions (free with free()). Returns 0 or AC_EUNAVAIL.
 */
int sess_list(struct rds *r, const char *uid, struct session **out, size_t *n);

/* The Set-Cookie values of §4.2. secure appends "; Secure". Written into out (512 bytes). */
void sess_cookie_line(char *out, size_t outlen, const char *name, const char *value, long max_age,
		      time_t now, int secure);
/* The deletion line of §4.2. */
void sess_cookie_delete_line(char *out, size_t outlen, int secure);

#endif
