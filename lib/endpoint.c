/* The request pipeline every CGI shares (API.md §1.3): checks, lazy resources, handler, one response. */
#include "endpoint.h"

#include "a2mem.h"
#include "drain.h"
#include "err.h"
#include "fcgi.h"
#include "json.h"
#include "log.h"
#include "origin.h"
#include "pw.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

#define REQUEST_DEADLINE_S 30
#define UNSAFE_METHODS (REQ_POST | REQ_PATCH | REQ_PUT | REQ_DELETE)

static volatile sig_atomic_t response_started;
/* FastCGI mode: requests come from the socket; SIGTERM stops, SIGHUP reloads the configuration. */
static volatile sig_atomic_t fcgi_mode, fcgi_stop, fcgi_reload;

/* The per-request deadline: answer 503 if nothing was written yet, then stop. */
static void on_deadline(int sig)
{
	static const char msg[] =
		"Status: 503 Service Unavailable\r\nContent-Type: application/json\r\n"
		"Content-Length: 67\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n"
		"Referrer-Policy: same-origin\r\nCross-Origin-Opener-Policy: same-origin\r\n"
		"Cache-Control: no-store\r\nRetry-After: 5\r\n\r\n"
		"{\"error\":\"Service temporarily unavailable. Please try again later\"}";

	(void)sig;
	if (!response_started && fcgi_mode)
		fcgi_emergency(msg, sizeof msg - 1);
	else if (!response_started && write(STDOUT_FILENO, msg, sizeof msg - 1) < 0)
		_exit(1);
	_exit(0);
}

static void process_hygiene(void)
{
	struct sigaction sa;

	/* httpoxy: a request's Proxy header must never become a proxy setting. */
	unsetenv("HTTP_PROXY");
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_deadline;
	sigaction(SIGALRM, &sa, NULL);
}

int ctx_db(struct ctx *c, struct db **out)
{
	if (!c->db) {
		int rc = db_open(c->cfg, &c->db);

		if (rc != AC_OK) {
			*out = NULL;
			return rc;
		}
	}
	*out = c->db;
	return AC_OK;
}

int ctx_redis(struct ctx *c, struct rds **out)
{
	if (!c->rds) {
		int rc = rds_connect(c->cfg, &c->rds);

		if (rc != AC_OK) {
			*out = NULL;
			return rc;
		}
	}
	*out = c->rds;
	return AC_OK;
}

void ctx_pw_params(const struct ctx *c, struct pw_params *p)
{
	p->m_kib = c->cfg->argon2_memory_kib;
	p->t = c->cfg->argon2_time_cost;
	p->p = c->cfg->argon2_parallelism;
	p->max_m_kib = c->cfg->argon2_max_memory_kib;
}

static const char *allow_value(const struct endpoint *ep)
{
	if (ep->methods & REQ_PATCH)
		return "PATCH, OPTIONS";
	if (ep->methods & REQ_POST)
		return "POST, OPTIONS";
	return "GET, HEAD, OPTIONS";
}

/* §1.9 and §1.10: decides 403 and adds the CORS headers. Returns 0, or AC_EDENIED for 403. */
static int check_origin(struct ctx *c)
{
	const struct cfg *cfg = c->cfg;
	char origin[300], self[300];
	int allowed = 0, cors = 0;

	if (!c->req.origin) {
		if ((c->req.method & UNSAFE_METHODS) && c->req.sec_fetch_site &&
		    strcasecmp(c->req.sec_fetch_site, "cross-site") == 0)
			return AC_EDENIED;
		return AC_OK;
	}
	if (origin_canonical(c->req.origin, origin, sizeof origin) == AC_OK) {
		if (strcmp(origin, cfg->frontend_origin) == 0)
			allowed = cors = 1;
		for (size_t i = 0; i < cfg->n_allowed_origins && !cors; i++)
			if (strcmp(origin, cfg->allowed_origins[i]) == 0)
				allowed = cors = 1;
		if (strcmp(origin, cfg->api_origin) == 0)
			allowed = 1;
		if (!allowed && c->req.host &&
		    origin_from_host(c->req.tls ? "https" : "http", c->req.host, self, sizeof self) == AC_OK &&
		    strcmp(origin, self) == 0)
			allowed = 1;
	}
	if (cors) {
		resp_header(&c->resp, "Access-Control-Allow-Origin", origin);
		resp_header(&c->resp, "Access-Control-Allow-Credentials", "true");
		resp_header_append(&c->resp, "Vary", "Origin");
		if (c->req.method == REQ_OPTIONS && c->req.acr_method) {
			resp_header(&c->resp, "Access-Control-Allow-Methods", allow_value(c->ep));
			resp_header(&c->resp, "Access-Control-Allow-Headers", "Content-Type");
			resp_header(&c->resp, "Access-Control-Max-Age", "600");
		}
	}
	if ((c->req.method & UNSAFE_METHODS) && !allowed)
		return AC_EDENIED;
	return AC_OK;
}

static size_t body_cap(const struct ctx *c)
{
	return c->ep->body_cap ? c->ep->body_cap : (size_t)c->cfg->thumbnail_max_bytes + 65536;
}

/* §1.8 step 5: CONTENT_LENGTH checks. Sets *len; returns 0 or writes the error response. */
static int check_length(struct ctx *c, size_t *len)
{
	unsigned long long n = 0;

	*len = 0;
	if (!c->req.content_length) {
		if (c->ep->body == EP_BODY_JSON && c->req.method == REQ_POST) {
			resp_error(&c->resp, 411, "Content-Length required");
			return AC_EINVAL;
		}
		return AC_OK;
	}
	if (req_parse_content_length(c->req.content_length, &n) != AC_OK) {
		resp_error(&c->resp, 400, "Invalid Content-Length");
		return AC_EINVAL;
	}
	if (n > body_cap(c)) {
		resp_error(&c->resp, 413, "Request body too large");
		return AC_EINVAL;
	}
	*len = (size_t)n;
	return AC_OK;
}

/* req_read_body() for FastCGI: the body comes in FCGI_STDIN records. */
static int fcgi_body(struct ctx *c, size_t len)
{
	char *buf = malloc(len + 1);
	int rc;

	if (!buf)
		return AC_ENOMEM;
	rc = fcgi_read_stdin(c->fcgi, buf, len, REQ_BODY_TIMEOUT_MS);
	if (rc != AC_OK) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	free(c->req.body);
	c->req.body = buf;
	c->req.body_len = len;
	return AC_OK;
}

/* §1.3 step 7: reads the body, then parses it when it is JSON. */
static int read_body(struct ctx *c, size_t len)
{
	char err[128];
	int rc;

	if (c->fcgi)
		rc = fcgi_body(c, len);
	else
		rc = req_read_body(&c->req, STDIN_FILENO, len, REQ_BODY_TIMEOUT_MS);
	if (rc == AC_ETIMEOUT) {
		resp_error(&c->resp, 408, "Request timeout");
		return AC_EINVAL;
	}
	if (rc == AC_EINVAL) {
		resp_error(&c->resp, 400, "Incomplete request body");
		return AC_EINVAL;
	}
	if (rc != AC_OK)
		return rc;
	if (c->ep->body != EP_BODY_JSON)
		return AC_OK;
	rc = json_parse_body(c->req.body, c->req.body_len, c->ep->fields, c->ep->n_fields, &c->json,
			     c->field, err, sizeof err);
	if (rc == AC_ENOMEM)
		return rc;
	if (rc != AC_OK) {
		resp_error(&c->resp, 400, err);
		return AC_EINVAL;
	}
	return AC_OK;
}

/* Maps a handler's or a step's failure code to the response. */
static void fail_response(struct ctx *c, int rc)
{
	if (rc == AC_EUNAVAIL || rc == AC_ETIMEOUT)
		resp_unavailable(&c->resp);
	else
		resp_internal(&c->resp);
}

/* Steps 3 to 8 of §1.3 with the configuration loaded. Returns 0 when c->resp is final. */
static int run(struct ctx *c)
{
	const struct endpoint *ep = c->ep;
	size_t len = 0;
	int rc;

	req_resolve_client(&c->req, c->cfg);
	c->cookie_secure = c->cfg->session_cookie_secure == COOKIE_SECURE_ALWAYS ||
			   (c->cfg->session_cookie_secure == COOKIE_SECURE_AUTO && c->req.tls);
	if (ep->session != EP_SESSION_NONE)
		resp_header(&c->resp, "Vary", "Cookie");

	/* 3. method */
	if (c->req.method == REQ_OPTIONS) {
		check_origin(c);
		resp_header(&c->resp, "Allow", allow_value(ep));
		resp_empty(&c->resp, 200);
		return AC_OK;
	}
	if (!(c->req.method & ep->methods)) {
		check_origin(c);
		resp_header(&c->resp, "Allow", allow_value(ep));
		resp_error(&c->resp, 405, "Method not allowed");
		return AC_OK;
	}
	/* 4. cross-site check (also adds CORS headers) */
	if (check_origin(c) != AC_OK) {
		log_security("cross-site request rejected: origin=%s addr=%s",
			     c->req.origin ? c->req.origin : "(none)",
			     c->req.client_known ? c->req.client_ip : "unknown");
		resp_error(&c->resp, 403, "Cross-site request rejected");
		return AC_OK;
	}
	/* 5. Content-Length, before anything is read */
	if (!(c->req.method & (REQ_GET | REQ_HEAD)) && ep->body != EP_BODY_NONE &&
	    check_length(c, &len) != AC_OK)
		return AC_OK;
	/* 6. session */
	if (ep->session == EP_SESSION_REQUIRED) {
		rc = ctx_authenticate(c);
		if (rc == AC_EDENIED) {
			ctx_not_logged_in(c);
			return AC_OK;
		}
		if (rc != AC_OK)
			return rc;
	}
	/* 7. body */
	if (!(c->req.method & (REQ_GET | REQ_HEAD)) && ep->body != EP_BODY_NONE) {
		rc = read_body(c, len);
		if (rc == AC_EINVAL)
			return AC_OK;
		if (rc != AC_OK)
			return rc;
	}
	/* 8. the endpoint's own steps */
	return ep->handle(c);
}

/* Everything between the request and its answer: leaves the final response in c->resp. */
static void answer(struct ctx *c)
{
	const struct endpoint *ep = c->ep;
	char err[256];
	int rc;

	if (ep->routing) {
		rc = ep->handle(c);
		if (rc != AC_OK) {
			resp_reset(&c->resp);
			resp_internal(&c->resp);
		}
		return;
	}
	if (!c->cfg) {
		rc = cfg_load(&c->cfg, err, sizeof err);
		if (rc != AC_OK) {
			log_error("configuration: %s", err);
			resp_internal(&c->resp);
			return;
		}
	}
	/* A FastCGI responder keeps its Argon2 block between hashes, up to the configured m: a
	 * stored hash with a larger m does not stay mapped (a2mem.h). */
	if (fcgi_mode)
		a2mem_keep((size_t)c->cfg->argon2_memory_kib * 1024);
	rc = run(c);
	if (rc != AC_OK) {
		resp_reset(&c->resp);
		if (ep->session != EP_SESSION_NONE)
			resp_header(&c->resp, "Vary", "Cookie");
		fail_response(c, rc);
	}
	if (ep->cacheable && c->resp.status == 200)
		c->resp.no_store = 0;
}

/* Frees the per-request state (the resources still in c included). */
static void release(struct ctx *c)
{
	resp_reset(&c->resp);
	cJSON_Delete(c->json);
	user_free(c->user);
	req_free(&c->req);
	db_close(c->db);
	rds_close(c->rds);
	cfg_free(c->cfg);
}

/* resp_write() for FastCGI: the same bytes, as FCGI_STDOUT records and FCGI_END_REQUEST. */
static void fcgi_respond(struct fcgi *f, struct resp *r, int head_only)
{
	char *owned;
	size_t len;
	const char *out = resp_render(r, head_only, &owned, &len);

	fcgi_finish(f, out, len);
	free(owned);
}

static void on_stop(int sig)
{
	(void)sig;
	fcgi_stop = 1;
}

static void on_reload(int sig)
{
	(void)sig;
	fcgi_reload = 1;
}

/*
 * FastCGI mode: one request per iteration, all per-request state reset. The configuration is
 * kept for the process lifetime (reloaded on SIGHUP); the SQLite and Redis connections are
 * kept across requests and dropped after an answer that reports a failure (5xx), so that the
 * next request reconnects. A request that crashes or passes its deadline ends this process
 * only: the process manager starts a new one.
 */
static int fcgi_main(const struct endpoint *ep)
{
	struct fcgi *f = fcgi_new(STDIN_FILENO);
	struct cfg *cfg = NULL;
	struct db *db = NULL;
	struct rds *rds = NULL;
	struct sigaction sa;

	if (!f) {
		log_error("fastcgi: out of memory");
		return 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_reload;
	sigaction(SIGHUP, &sa, NULL);
	fcgi_mode = 1;
	while (!fcgi_stop && fcgi_accept(f, &fcgi_stop) == AC_OK) {
		struct ctx c;

		if (fcgi_reload) {
			fcgi_reload = 0;
			db_close(db);
			rds_close(rds);
			cfg_free(cfg);
			db = NULL;
			rds = NULL;
			cfg = NULL;
		}
		alarm(REQUEST_DEADLINE_S);
		response_started = 0;
		memset(&c, 0, sizeof c);
		c.ep = ep;
		c.fcgi = f;
		c.cfg = cfg;
		c.db = db;
		c.rds = rds;
		resp_init(&c.resp);
		req_from_lookup(&c.req, fcgi_param_lookup, f);
		answer(&c);
		fcgi_drain_stdin(f, DRAIN_TIMEOUT_MS);
		response_started = 1;
		fcgi_respond(f, &c.resp, c.req.method == REQ_HEAD);
		alarm(0);
		if (c.resp.status >= 500) {
			db_close(c.db);
			rds_close(c.rds);
			c.db = NULL;
			c.rds = NULL;
		}
		cfg = c.cfg;
		db = c.db;
		rds = c.rds;
		c.cfg = NULL;
		c.db = NULL;
		c.rds = NULL;
		release(&c);
	}
	db_close(db);
	rds_close(rds);
	cfg_free(cfg);
	fcgi_free(f);
	return 0;
}

int ep_main(const struct endpoint *ep)
{
	struct ctx c;

	process_hygiene();
	log_set_program(ep->name);
	if (fcgi_is_listener(STDIN_FILENO))
		return fcgi_main(ep);
	alarm(REQUEST_DEADLINE_S);
	memset(&c, 0, sizeof c);
	c.ep = ep;
	resp_init(&c.resp);
	req_from_env(&c.req);
	answer(&c);
	/* mod_cgid: unread body on the stdin socket would reset the response (drain.h). */
	drain_unread_body(STDIN_FILENO, c.req.content_length, c.req.body ? c.req.body_len : 0,
			  DRAIN_TIMEOUT_MS);
	response_started = 1;
	resp_write(&c.resp, STDOUT_FILENO, c.req.method == REQ_HEAD);
	release(&c);
	return 0;
}
