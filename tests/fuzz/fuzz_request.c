/* libFuzzer harness for the CGI request parsers: CONTENT_LENGTH, the Cookie header, X-Forwarded-For, PATH_INFO links. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "err.h"
#include "link.h"
#include "netaddr.h"
#include "req.h"
#include "sess.h"

static const char *xff_value;

/* The request's parameters, as a FastCGI stream would give them (setenv() would leak every value). */
static const char *param(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "REMOTE_ADDR") == 0)
		return "10.0.0.1";
	if (strcmp(name, "HTTP_X_FORWARDED_FOR") == 0)
		return xff_value;
	return NULL;
}

/* The input is up to four NUL-separated fields: CONTENT_LENGTH, HTTP_COOKIE, X-Forwarded-For, PATH_INFO. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *field[4] = { "", "", "", "" };
	char token[SESS_TOKEN_LEN + 1], uid[LINK_UIDB64_MAX + 1], tok[LINK_TOKEN_MAX + 1];
	struct addr_range proxy;
	unsigned long long n;
	struct cfg cfg;
	struct req r;
	size_t k = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	field[0] = buf;
	for (size_t i = 0; i < size && k < 3; i++)
		if (buf[i] == '\0')
			field[++k] = buf + i + 1;

	if (req_parse_content_length(field[0], &n) == AC_OK && n > 9999999999ULL)
		abort();
	switch (sess_parse_cookie(field[1], token)) {
	case SESS_COOKIE_TOKEN:
		if (strlen(token) != SESS_TOKEN_LEN)
			abort();
		break;
	default:
		if (token[0] != '\0')
			abort();
	}
	if (link_parse(field[3], uid, tok) == AC_OK && (strlen(uid) > LINK_UIDB64_MAX || strlen(tok) > LINK_TOKEN_MAX))
		abort();

	memset(&cfg, 0, sizeof cfg);
	if (addr_parse_range("10.0.0.0/8", &proxy) == AC_OK) {
		cfg.trusted_proxies = &proxy;
		cfg.n_trusted_proxies = 1;
	}
	xff_value = field[2];
	req_from_lookup(&r, param, NULL);
	req_resolve_client(&r, &cfg);
	if (r.client_known && (!r.client_ip[0] || !r.client_subject[0]))
		abort();
	req_free(&r);
	free(buf);
	return 0;
}
