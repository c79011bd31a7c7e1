/* Web origins: canonical form and comparison (API.md §1.9). */
#include "origin.h"
#include "err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HOST_MAX 253

/* Returns 80 or 443 for a supported scheme of slen bytes, 0 otherwise; *https is set. */
static int scheme_default_port(const char *s, size_t slen, int *https)
{
	if (slen == 4 && strncasecmp(s, "http", 4) == 0) {
		*https = 0;
		return 80;
	}
	if (slen == 5 && strncasecmp(s, "https", 5) == 0) {
		*https = 1;
		return 443;
	}
	return 0;
}

static int host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * Canonicalises the authority a (alen bytes, "host[:port]") for the given scheme into
 * out as "scheme://host[:port]".
 */
static int canon_authority(int https, const char *a, size_t alen, char *out, size_t outlen)
{
	char host[HOST_MAX + 3];
	size_t hlen = 0, i = 0;
	unsigned long port = 0;
	int n;

	if (alen == 0)
		return AC_EINVAL;
	if (a[0] == '[') {
		char lit[INET6_ADDRSTRLEN];
		unsigned char bin[16];
		const char *close = memchr(a, ']', alen);
		size_t llen;

		if (!close)
			return AC_EINVAL;
		llen = (size_t)(close - a) - 1;
		if (llen == 0 || llen >= sizeof lit)
			return AC_EINVAL;
		memcpy(lit, a + 1, llen);
		lit[llen] = '\0';
		if (inet_pton(AF_INET6, lit, bin) != 1)
			return AC_EINVAL;
		host[0] = '[';
		if (!inet_ntop(AF_INET6, bin, host + 1, sizeof host - 2))
			return AC_EINVAL;
		hlen = strlen(host);
		host[hlen++] = ']';
		host[hlen] = '\0';
		i = (size_t)(close - a) + 1;
	} else {
		while (i < alen && a[i] != ':') {
			if (!host_char((unsigned char)a[i]) || hlen >= HOST_MAX)
				return AC_EINVAL;
			host[hlen++] = lower(a[i]);
			i++;
		}
		if (hlen == 0)
			return AC_EINVAL;
		host[hlen] = '\0';
	}
	if (i < alen) {
		size_t digits = 0;

		if (a[i] != ':')
			return AC_EINVAL;
		for (i++; i < alen; i++, digits++) {
			if (a[i] < '0' || a[i] > '9' || digits >= 5)
				return AC_EINVAL;
			port = port * 10 + (unsigned long)(a[i] - '0');
		}
		if (digits == 0 || port < 1 || port > 65535)
			return AC_EINVAL;
		if (port == (https ? 443u : 80u))
			port = 0;
	}
	if (port)
		n = snprintf(out, outlen, "%s://%s:%lu", https ? "https" : "http", host, port);
	else
		n = snprintf(out, outlen, "%s://%s", https ? "https" : "http", host);
	if (n < 0 || (size_t)n >= outlen)
		return AC_EINVAL;
	return AC_OK;
}

/* 0 when s holds only printable ASCII other than space; AC_EINVAL otherwise. */
static int check_chars(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return AC_EINVAL;
	return AC_OK;
}

/*
 * Splits "scheme://rest"; returns the length of rest's authority part (up to the first
 * '/', '?' or '#') in *alen and the position of rest in *auth.
 */
static int split_url(const char *s, int *https, const char **auth, size_t *alen)
{
	const char *sep;

	if (!s || check_chars(s) != AC_OK)
		return AC_EINVAL;
	sep = strstr(s, "://");
	if (!sep || !scheme_default_port(s, (size_t)(sep - s), https))
		return AC_EINVAL;
	*auth = sep + 3;
	*alen = strcspn(*auth, "/?#");
	if (memchr(*auth, '@', *alen))
		return AC_EINVAL;  /* userinfo */
	return AC_OK;
}

static int fail(char *out, size_t outlen)
{
	if (out && outlen)
		out[0] = '\0';
	return AC_EINVAL;
}

int origin_canonical(const char *s, char *out, size_t outlen)
{
	const char *auth;
	size_t alen;
	int https;

	if (!out || outlen == 0 || split_url(s, &https, &auth, &alen) != AC_OK)
		return fail(out, outlen);
	if (auth[alen] != '\0')
		return fail(out, outlen);  /* a path, query or fragment */
	if (canon_authority(https, auth, alen, out, outlen) != AC_OK)
		return fail(out, outlen);
	return AC_OK;
}

int origin_of_url(const char *url, char *out, size_t outlen)
{
	const char *auth;
	size_t alen;
	int https;

	if (!out || outlen == 0 || split_url(url, &https, &auth, &alen) != AC_OK)
		return fail(out, outlen);
	if (canon_authority(https, auth, alen, out, outlen) != AC_OK)
		return fail(out, outlen);
	return AC_OK;
}

int origin_from_host(const char *scheme, const char *host, char *out, size_t outlen)
{
	int https;

	if (!out || outlen == 0 || !scheme || !host || check_chars(host) != AC_OK ||
	    !scheme_default_port(scheme, strlen(scheme), &https))
		return fail(out, outlen);
	if (strpbrk(host, "@/?#"))
		return fail(out, outlen);
	if (canon_authority(https, host, strlen(host), out, outlen) != AC_OK)
		return fail(out, outlen);
	return AC_OK;
}
