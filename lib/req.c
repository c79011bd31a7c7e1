/* The CGI request (RFC 3875): environment, strict CONTENT_LENGTH, bounded body read, client address. */
#include "req.h"
#include "err.h"
#include "netaddr.h"
#include "timefmt.h"
#include "utf8.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *env(void *arg, const char *name)
{
	(void)arg;
	return getenv(name);
}

unsigned req_method_bit(const char *m)
{
	static const struct { const char *name; unsigned bit; } methods[] = {
		{ "GET", REQ_GET }, { "HEAD", REQ_HEAD }, { "POST", REQ_POST },
		{ "PATCH", REQ_PATCH }, { "OPTIONS", REQ_OPTIONS }, { "PUT", REQ_PUT },
		{ "DELETE", REQ_DELETE },
	};

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(m, methods[i].name) == 0)
			return methods[i].bit;
	return REQ_OTHER;
}

void req_from_lookup(struct req *r, const char *(*get)(void *arg, const char *name), void *arg)
{
	memset(r, 0, sizeof *r);
	r->method_name = get(arg, "REQUEST_METHOD");
	if (!r->method_name || !*r->method_name)
		r->method_name = "GET";
	r->method = req_method_bit(r->method_name);
	r->content_length = get(arg, "CONTENT_LENGTH");
	r->content_type = get(arg, "CONTENT_TYPE");
	r->cookie = get(arg, "HTTP_COOKIE");
	r->path_info = get(arg, "PATH_INFO");
	r->request_uri = get(arg, "REQUEST_URI");
	r->script_name = get(arg, "SCRIPT_NAME");
	r->origin = get(arg, "HTTP_ORIGIN");
	r->sec_fetch_site = get(arg, "HTTP_SEC_FETCH_SITE");
	r->host = get(arg, "HTTP_HOST");
	r->user_agent = get(arg, "HTTP_USER_AGENT");
	r->acr_method = get(arg, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
	r->remote_addr = get(arg, "REMOTE_ADDR");
	r->https = get(arg, "HTTPS");
	r->forwarded_for = get(arg, "HTTP_X_FORWARDED_FOR");
	r->forwarded_proto = get(arg, "HTTP_X_FORWARDED_PROTO");
}

void req_from_env(struct req *r)
{
	req_from_lookup(r, env, NULL);
}

void req_free(struct req *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

static int is_trusted(const struct addr_range *a, const struct cfg *cfg)
{
	return addr_in_ranges(a, cfg->trusted_proxies, cfg->n_trusted_proxies);
}

void req_resolve_client(struct req *r, const struct cfg *cfg)
{
	struct addr_range remote, client;
	const char *https = r->https;
	int have = 0;

	r->tls = https && (strcasecmp(https, "on") == 0 || strcmp(https, "1") == 0);
	r->client_known = 0;
	r->client_ip[0] = r->client_subject[0] = '\0';
	if (!r->remote_addr || addr_parse(r->remote_addr, &remote) != AC_OK)
		return;
	if (is_trusted(&remote, cfg)) {
		const char *xff = r->forwarded_for;
		const char *xfp = r->forwarded_proto;

		if (xfp && strcasecmp(xfp, "https") == 0)
			r->tls = 1;
		/* §1.11: ports, brackets and zones reduced; a non-address stops at the last trusted hop */
		if (addr_forwarded_client(xff, &remote, cfg->trusted_proxies, cfg->n_trusted_proxies,
					  &client) == AC_OK)
			have = 1;
	} else {
		client = remote;
		have = 1;
	}
	if (!have || addr_format(&client, r->client_ip, sizeof r->client_ip) != AC_OK ||
	    addr_rate_subject(&client, r->client_subject, sizeof r->client_subject) != AC_OK) {
		r->client_ip[0] = r->client_subject[0] = '\0';
		return;
	}
	r->client_known = 1;
}

int req_parse_content_length(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t n = 0;

	for (; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n == 10)
			return AC_EINVAL;
		v = v * 10 + (unsigned)(s[n] - '0');
	}
	if (n == 0)
		return AC_EINVAL;
	*out = v;
	return AC_OK;
}

int req_read_body(struct req *r, int fd, size_t len, int timeout_ms)
{
	long long deadline = tm_mono_ms() + timeout_ms;
	size_t got = 0;
	char *buf = malloc(len + 1);

	if (!buf)
		return AC_ENOMEM;
	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - tm_mono_ms();
		ssize_t n;
		int pr;

		if (left <= 0) {
			free(buf);
			return AC_ETIMEOUT;
		}
		pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			free(buf);
			return AC_EINVAL;
		}
		if (pr == 0)
			continue;
		n = read(fd, buf + got, len - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			free(buf);
			return AC_EINVAL;
		}
		got += (size_t)n;
	}
	buf[len] = '\0';
	free(r->body);
	r->body = buf;
	r->body_len = len;
	return AC_OK;
}

void req_clean_user_agent(const char *ua, char out[REQ_UA_MAX + 1])
{
	char tmp[REQ_UA_MAX + 4];
	size_t n = 0, k;

	out[0] = '\0';
	if (!ua)
		return;
	for (const unsigned char *p = (const unsigned char *)ua; *p && n < sizeof tmp - 1; p++)
		if (*p >= 0x20 && *p != 0x7f)
			tmp[n++] = (char)*p;
	tmp[n] = '\0';
	/* Cut at REQ_UA_MAX, backing off to the start of a UTF-8 character. */
	k = n < REQ_UA_MAX ? n : REQ_UA_MAX;
	while (k > 0 && k < n && ((unsigned char)tmp[k] & 0xc0) == 0x80)
		k--;
	if (utf8_valid(tmp, k)) {
		memcpy(out, tmp, k);
		out[k] = '\0';
		return;
	}
	/* Keep only the ASCII of a User-Agent that is not UTF-8. */
	n = 0;
	for (size_t i = 0; i < k; i++)
		if ((unsigned char)tmp[i] < 0x80)
			out[n++] = tmp[i];
	out[n] = '\0';
}
