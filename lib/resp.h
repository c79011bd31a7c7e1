/* The HTTP response: built in memory, header values checked, written once as a CGI response. */
#ifndef AUTHCGI_RESP_H
#define AUTHCGI_RESP_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define RESP_MAX_HEADERS 24
#define RESP_MAX_COOKIES 4

struct resp_header {
	char *name;
	char *value;
};

/* Owns every string it holds; resp_reset() frees them. */
struct resp {
	int status;
	int no_store;                  /* Cache-Control: no-store (default 1) */
	int bad_header;                /* a header value held CR, LF or NUL: the answer becomes 500 */
	struct resp_header headers[RESP_MAX_HEADERS];
	size_t n_headers;
	char *cookies[RESP_MAX_COOKIES]; /* Set-Cookie values, in order */
	size_t n_cookies;
	char *body;                    /* NULL for an empty body */
	size_t body_len;
};

void resp_init(struct resp *r);
/* Frees everything and re-initialises (status 500, no body, no headers). */
void resp_reset(struct resp *r);

/*
 * Adds a header. Values containing CR, LF or NUL (or names outside the token charset)
 * are refused: AC_EINVAL, nothing is added, and the response is marked so that it is
 * written as a 500 instead.
 */
int resp_header(struct resp *r, const char *name, const char *value);
/* Adds or extends a comma-separated header such as Vary. */
int resp_header_append(struct resp *r, const char *name, const char *value);
/* Appends one Set-Cookie value (checked like a header). */
int resp_cookie(struct resp *r, const char *value);
/* Drops every Set-Cookie (a 5xx never carries one). */
void resp_drop_cookies(struct resp *r);

/* Sets status and a JSON body; takes ownership of json (freed here). Returns 0 or AC_ENOMEM. */
int resp_json(struct resp *r, int status, cJSON *json);
/* {"error": msg} */
int resp_error(struct resp *r, int status, const char *msg);
/* {"message": msg} */
int resp_message(struct resp *r, int status, const char *msg);
/* The 503 of API.md §1.13 with Retry-After: 5. */
void resp_unavailable(struct resp *r);
/* The 500 of API.md §1.13. */
void resp_internal(struct resp *r);
/* A status with an empty body (301/302/308, OPTIONS). */
void resp_empty(struct resp *r, int status);

/*
 * Serialises the whole CGI response (Status line, the fixed security headers, the added
 * headers, Content-Type when there is a body, Content-Length, Set-Cookie lines last, a blank
 * line, the body unless head_only) into a malloc'd buffer. Returns 0 or AC_ENOMEM.
 */
int resp_serialize(const struct resp *r, int head_only, char **out, size_t *outlen);
/*
 * The bytes to send: a 500 instead if a header was refused, no cookies on a 5xx, and a fixed
 * 500 when memory runs out (r->status then says 500). *owned is the buffer to free (NULL when
 * the fixed answer is returned); *len its length.
 */
const char *resp_render(struct resp *r, int head_only, char **owned, size_t *len);
/* resp_render() written to fd in one pass. */
int resp_write(struct resp *r, int fd, int head_only);
/* The reason phrase of a status code. */
const char *resp_reason(int status);

#endif
