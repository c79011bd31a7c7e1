/* The CGI request (RFC 3875): environment, strict CONTENT_LENGTH, bounded body read, client address. */
#ifndef AUTHCGI_REQ_H
#define AUTHCGI_REQ_H

#include <stddef.h>
#include "cfg.h"

enum req_method {
	REQ_GET = 1 << 0,
	REQ_HEAD = 1 << 1,
	REQ_POST = 1 << 2,
	REQ_PATCH = 1 << 3,
	REQ_OPTIONS = 1 << 4,
	REQ_PUT = 1 << 5,
	REQ_DELETE = 1 << 6,
	REQ_OTHER = 1 << 7,
};

#define REQ_BODY_TIMEOUT_MS 10000
#define REQ_UA_MAX 256

/* Pointers into the environment or the FastCGI parameters (not owned), except body, which req_free() frees. */
struct req {
	unsigned method;
	const char *method_name;
	const char *content_length;   /* raw CONTENT_LENGTH, NULL when absent */
	const char *content_type;
	const char *cookie;           /* HTTP_COOKIE */
	const char *path_info;
	const char *request_uri;      /* the original URI (before any server rewrite) */
	const char *script_name;      /* the program's URL path (after a rewrite: router.cgi's) */
	const char *origin;           /* HTTP_ORIGIN */
	const char *sec_fetch_site;
	const char *host;             /* HTTP_HOST */
	const char *user_agent;
	const char *acr_method;       /* HTTP_ACCESS_CONTROL_REQUEST_METHOD */
	const char *remote_addr;
	const char *https;            /* HTTPS */
	const char *forwarded_for;    /* HTTP_X_FORWARDED_FOR, used only from a trusted proxy */
	const char *forwarded_proto;  /* HTTP_X_FORWARDED_PROTO, likewise */
	int tls;                      /* HTTPS on/1, or a trusted proxy's X-Forwarded-Proto: https */
	int client_known;
	char client_ip[64];           /* canonical client address, "" when unknown */
	char client_subject[64];      /* rate-limit subject (§1.11), "" when unknown */
	char *body;                   /* NUL-terminated copy of the body, NULL before reading */
	size_t body_len;
};

/* Fills r from the environment. An absent REQUEST_METHOD counts as GET. */
void req_from_env(struct req *r);
/* Fills r like req_from_env, the variables looked up with get(arg, NAME) (FastCGI parameters). */
void req_from_lookup(struct req *r, const char *(*get)(void *arg, const char *name), void *arg);
/* Resolves the client address and TLS per §1.11 with cfg's trusted proxies. */
void req_resolve_client(struct req *r, const struct cfg *cfg);
void req_free(struct req *r);

/* Parses CONTENT_LENGTH: 1 to 10 ASCII digits. Returns 0 or AC_EINVAL. */
int req_parse_content_length(const char *s, unsigned long long *out);
/*
 * Reads exactly len bytes from fd within timeout_ms into r->body (NUL-terminated).
 * Returns 0; AC_EINVAL when EOF comes first; AC_ETIMEOUT past the deadline; AC_ENOMEM.
 */
int req_read_body(struct req *r, int fd, size_t len, int timeout_ms);
/* The User-Agent with control characters removed, cut to REQ_UA_MAX bytes on a UTF-8 boundary. */
void req_clean_user_agent(const char *ua, char out[REQ_UA_MAX + 1]);
/* The method's bit from its name. */
unsigned req_method_bit(const char *name);

#endif
