/* The HTTP response: built in memory, header values checked, written once as a CGI response. */
#include "resp.h"
#include "buf.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSG_UNAVAILABLE "Service temporarily unavailable. Please try again later"
#define MSG_INTERNAL "Internal server error"

void resp_init(struct resp *r)
{
	memset(r, 0, sizeof *r);
	r->status = 500;
	r->no_store = 1;
}

static void clear_body(struct resp *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

void resp_drop_cookies(struct resp *r)
{
	for (size_t i = 0; i < r->n_cookies; i++)
		free(r->cookies[i]);
	r->n_cookies = 0;
}

void resp_reset(struct resp *r)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	resp_drop_cookies(r);
	clear_body(r);
	resp_init(r);
}

static int value_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p == '\r' || *p == '\n' || *p < 0x20 || *p == 0x7f)
			if (*p != '\t')
				return 0;
	return 1;
}

static int name_ok(const char *n)
{
	if (!*n)
		return 0;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

static int refuse(struct resp *r, const char *name)
{
	log_error("refused a header value with a control character (%s)", name);
	r->bad_header = 1;
	return AC_EINVAL;
}

int resp_header(struct resp *r, const char *name, const char *value)
{
	struct resp_header *h;

	if (!name_ok(name) || !value_ok(value))
		return refuse(r, name);
	if (r->n_headers == RESP_MAX_HEADERS)
		return AC_EINTERNAL;
	h = &r->headers[r->n_headers];
	h->name = strdup(name);
	h->value = strdup(value);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		return AC_ENOMEM;
	}
	r->n_headers++;
	return AC_OK;
}

int resp_header_append(struct resp *r, const char *name, const char *value)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		struct resp_header *h = &r->headers[i];
		char *joined;

		if (strcasecmp(h->name, name) != 0)
			continue;
		if (!value_ok(value))
			return refuse(r, name);
		if (asprintf(&joined, "%s, %s", h->value, value) < 0)
			return AC_ENOMEM;
		free(h->value);
		h->value = joined;
		return AC_OK;
	}
	return resp_header(r, name, value);
}

int resp_cookie(struct resp *r, const char *value)
{
	if (!value_ok(value))
		return refuse(r, "Set-Cookie");
	if (r->n_cookies == RESP_MAX_COOKIES)
		return AC_EINTERNAL;
	r->cookies[r->n_cookies] = strdup(value);
	if (!r->cookies[r->n_cookies])
		return AC_ENOMEM;
	r->n_cookies++;
	return AC_OK;
}

int resp_json(struct resp *r, int status, cJSON *json)
{
	char *text;

	clear_body(r);
	r->status = status;
	if (!json)
		return AC_ENOMEM;
	text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	if (!text)
		return AC_ENOMEM;
	r->body = text;
	r->body_len = strlen(text);
	return AC_OK;
}

static int keyed(struct resp *r, int status, const char *key, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, key, msg)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return resp_json(r, status, o);
}

int resp_error(struct resp *r, int status, const char *msg)
{
	return keyed(r, status, "error", msg);
}

int resp_message(struct resp *r, int status, const char *msg)
{
	return keyed(r, status, "message", msg);
}

/* Fixed bodies for the failure paths, so they cannot fail themselves. */
static void fixed(struct resp *r, int status, const char *json)
{
	clear_body(r);
	r->status = status;
	r->body = strdup(json);
	r->body_len = r->body ? strlen(json) : 0;
}

void resp_unavailable(struct resp *r)
{
	resp_drop_cookies(r);
	fixed(r, 503, "{\"error\":\"" MSG_UNAVAILABLE "\"}");
	resp_header(r, "Retry-After", "5");
}

void resp_internal(struct resp *r)
{
	resp_drop_cookies(r);
	fixed(r, 500, "{\"error\":\"" MSG_INTERNAL "\"}");
}

void resp_empty(struct resp *r, int status)
{
	clear_body(r);
	r->status = status;
}

const char *resp_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static void line(struct buf *b, const char *name, const char *value)
{
	buf_str(b, name);
	buf_str(b, ": ");
	buf_str(b, value);
	buf_str(b, "\r\n");
}

int resp_serialize(const struct resp *r, int head_only, char **out, size_t *outlen)
{
	struct buf b = BUF_INIT(0);
	char tmp[64];

	snprintf(tmp, sizeof tmp, "%d %s", r->status, resp_reason(r->status));
	line(&b, "Status", tmp);
	if (r->body)
		line(&b, "Content-Type", "application/json");
	snprintf(tmp, sizeof tmp, "%zu", r->body ? r->body_len : (size_t)0);
	line(&b, "Content-Length", tmp);
	line(&b, "X-Content-Type-Options", "nosniff");
	line(&b, "X-Frame-Options", "DENY");
	line(&b, "Referrer-Policy", "same-origin");
	line(&b, "Cross-Origin-Opener-Policy", "same-origin");
	if (r->no_store && r->status != 301 && r->status != 308)
		line(&b, "Cache-Control", "no-store");
	for (size_t i = 0; i < r->n_headers; i++)
		line(&b, r->headers[i].name, r->headers[i].value);
	for (size_t i = 0; i < r->n_cookies; i++)
		line(&b, "Set-Cookie", r->cookies[i]);
	buf_str(&b, "\r\n");
	if (r->body && !head_only)
		buf_add(&b, r->body, r->body_len);
	return buf_finish(&b, out, outlen);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return AC_EUNAVAIL;
		}
		p += w;
		n -= (size_t)w;
	}
	return AC_OK;
}

const char *resp_render(struct resp *r, int head_only, char **owned, size_t *len)
{
	static const char oom[] = "Status: 500 Internal Server Error\r\n"
				  "Content-Type: application/json\r\nContent-Length: 33\r\n"
				  "Cache-Control: no-store\r\n\r\n"
				  "{\"error\":\"Internal server error\"}";

	*owned = NULL;
	if (r->bad_header) {
		resp_reset(r);
		resp_internal(r);
	}
	if (r->status >= 500)
		resp_drop_cookies(r);
	if (resp_serialize(r, head_only, owned, len) != AC_OK) {
		r->status = 500;
		*owned = NULL;
		*len = head_only ? sizeof oom - 1 - 33 : sizeof oom - 1;
		return oom;
	}
	return *owned;
}

int resp_write(struct resp *r, int fd, int head_only)
{
	char *owned;
	size_t len;
	const char *out = resp_render(r, head_only, &owned, &len);
	int rc = write_all(fd, out, len);

	free(owned);
	return rc;
}
