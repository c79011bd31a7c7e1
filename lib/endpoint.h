/* The request pipeline every CGI shares (API.md §1.3): checks, lazy resources, handler, one response. */
#ifndef AUTHCGI_ENDPOINT_H
#define AUTHCGI_ENDPOINT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "cfg.h"
#include "db/db.h"
#include "rds.h"
#include "req.h"
#include "resp.h"
#include "sess.h"
#include "user.h"

#define EP_MAX_FIELDS 8

enum ep_body {
	EP_BODY_NONE,       /* GET/HEAD endpoints: no body is read */
	EP_BODY_JSON,       /* a JSON object checked against fields */
	EP_BODY_DISCARD,    /* read up to the cap and thrown away; CONTENT_LENGTH may be absent */
	EP_BODY_RAW,        /* read into req.body for the handler (multipart); absent = empty */
};

enum ep_session {
	EP_SESSION_NONE,      /* the cookie is never read */
	EP_SESSION_READ,      /* the handler reads the cookie itself (login, logout) */
	EP_SESSION_REQUIRED,  /* 401 unless §4.5 authenticates the request */
};

struct ctx;

/* What a CGI declares about itself; the pipeline does the rest. */
struct endpoint {
	const char *name;                 /* program name, for logs */
	unsigned methods;                 /* REQ_* bits allowed besides OPTIONS */
	enum ep_body body;
	size_t body_cap;                  /* bytes; 0 = THUMBNAIL_MAX_BYTES + 65536 */
	enum ep_session session;
	const char *const *fields;        /* JSON keys in the order §7 lists them */
	size_t n_fields;
	int cacheable;                    /* 1: no Cache-Control: no-store on 200 (series) */
	int routing;                      /* 1: §1.3 step 1 only (the router); no configuration */
	/* Sets c->resp and returns 0, or returns a negative ac_err (503/500 by the pipeline). */
	int (*handle)(struct ctx *c);
};

/* Per-request state, owned by the pipeline and released by it after the response. */
struct ctx {
	const struct endpoint *ep;
	struct cfg *cfg;
	struct req req;
	struct resp resp;
	cJSON *json;
	const char *field[EP_MAX_FIELDS]; /* string values of ep->fields, NULL when absent */
	int cookie_secure;
	/* session state (EP_SESSION_REQUIRED: always set before the handler runs) */
	enum sess_cookie cookie;
	char token[SESS_TOKEN_LEN + 1];
	struct session sess;
	struct user *user;
	/* lazily opened; use ctx_db()/ctx_redis() */
	struct db *db;
	struct rds *rds;
	struct fcgi *fcgi;                /* the FastCGI connection; NULL under CGI */
};

/*
 * Runs one request through the pipeline and writes the response to stdout. Returns the exit
 * code. Started by a FastCGI process manager (fd 0 a listening socket), it serves requests
 * one after the other until SIGTERM instead (fcgi.h).
 */
int ep_main(const struct endpoint *ep);

/* The database / Redis connection, opened on first use. 0, or AC_EUNAVAIL. */
int ctx_db(struct ctx *c, struct db **out);
int ctx_redis(struct ctx *c, struct rds **out);

/* The password parameters of the configuration. */
struct pw_params;
void ctx_pw_params(const struct ctx *c, struct pw_params *p);

/* Adds the cookie deletion line of §4.2. */
void ctx_delete_cookie(struct ctx *c);
/* Creates a session for u and adds csrftoken then sessionid Set-Cookie lines (§4.2). */
int ctx_start_session(struct ctx *c, const struct user *u);
/*
 * Authenticates the request per §4.5. AC_OK: c->sess and c->user are set. AC_EDENIED: not
 * authenticated (the deletion line is added when the cookie was stale). Else AC_EUNAVAIL/...
 */
int ctx_authenticate(struct ctx *c);
/* The 401 of §4.5. */
void ctx_not_logged_in(struct ctx *c);
/* 429 with Retry-After. */
void ctx_too_many(struct ctx *c, long retry_after, const char *msg);
/* 200 with the user JSON of §3, creating the profile row first when it is missing. */
int ctx_reply_user(struct ctx *c, struct user *u);
/* The e-mail hash subject of §1.12 for logs and limits. */
void ctx_email_subject(const char *email, char out[65]);

#endif
