/*
 * libFuzzer harness for lib/origin.c (API.md §1.9): origin_canonical, origin_of_url and
 * origin_from_host on the input (up to its first NUL; the first byte picks http or https for
 * origin_from_host). Checks that whatever is accepted:
 *   - comes out in the strict canonical grammar: "http://" or "https://", then a host of
 *     [a-z0-9._-] (1..253) or a bracketed IPv6 literal in inet_ntop form, then no port or
 *     ":" 1..65535 without leading zeros and never the scheme's default;
 *   - is a fixed point: origin_canonical(out) accepts it and gives it back;
 *   - came from input without spaces, controls, non-ASCII, userinfo ('@'), and, for
 *     origin_canonical and origin_from_host, without a path, query or fragment;
 *   - agrees between the three functions: the origin of a URL is the canonical form of its
 *     scheme://authority, and origin_from_host(scheme, host) that of scheme://host;
 *   - equals the input ASCII-lower-cased, apart from a default or zero-padded port and a
 *     bracketed IPv6 literal.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "origin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT 512

static void check_grammar(const char *o)
{
	const char *h, *p;
	int https;

	if (strncmp(o, "http://", 7) == 0) {
		https = 0;
		h = o + 7;
	} else if (strncmp(o, "https://", 8) == 0) {
		https = 1;
		h = o + 8;
	} else {
		abort();
	}
	if (*h == '[') {
		char lit[INET6_ADDRSTRLEN], back[INET6_ADDRSTRLEN];
		unsigned char bin[16];
		const char *close = strchr(h, ']');

		if (!close || (size_t)(close - h - 1) >= sizeof lit || close == h + 1)
			abort();
		memcpy(lit, h + 1, (size_t)(close - h - 1));
		lit[close - h - 1] = '\0';
		if (inet_pton(AF_INET6, lit, bin) != 1 || !inet_ntop(AF_INET6, bin, back, sizeof back) ||
		    strcmp(lit, back) != 0)
			abort();
		p = close + 1;
	} else {
		size_t n = strspn(h, "abcdefghijklmnopqrstuvwxyz0123456789._-");

		if (n < 1 || n > 253)
			abort();
		p = h + n;
	}
	if (*p == '\0')
		return;
	if (*p != ':' || p[1] < '1' || p[1] > '9' || strlen(p + 1) > 5 || strspn(p + 1, "0123456789") != strlen(p + 1))
		abort();
	{
		long port = strtol(p + 1, NULL, 10);

		if (port < 1 || port > 65535 || port == (https ? 443 : 80))
			abort();
	}
}

static void check_fixed_point(const char *o)
{
	char again[OUT];

	if (origin_canonical(o, again, sizeof again) != AC_OK || strcmp(o, again) != 0)
		abort();
}

static int clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7F)
			return 0;
	return 1;
}

/* out equals in lower-cased, but for the port's spelling and an IPv6 literal's. */
static void check_same_text(const char *in, const char *out)
{
	const char *sep = strstr(in, "://"), *auth, *port;
	size_t sl, hl, ol = strlen(out);

	if (!sep)
		abort();
	sl = (size_t)(sep - in) + 3;
	if (strncasecmp(in, out, sl) != 0)
		abort();
	auth = in + sl;
	if (*auth == '[')
		return;
	port = strchr(auth, ':');
	hl = port ? (size_t)(port - auth) : strlen(auth);
	if (strncasecmp(auth, out + sl, hl) != 0)
		abort();
	if (!port) {
		if (sl + hl != ol)
			abort();
		return;
	}
	if (out[sl + hl] == ':') {
		if (strtol(port + 1, NULL, 10) != strtol(out + sl + hl + 1, NULL, 10))
			abort();
	} else if (sl + hl != ol || (strtol(port + 1, NULL, 10) != (in[sl - 4] == 's' || in[sl - 4] == 'S' ? 443 : 80))) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, out[OUT], out2[OUT], *url;
	const char *scheme = size && (data[0] & 1) ? "https" : "http";
	size_t al;

	if (size > 1024)
		return 0;
	s = malloc(size + 1);
	url = malloc(size + 16);
	if (!s || !url)
		goto done;
	memcpy(s, data, size);
	s[size] = '\0';

	if (origin_canonical(s, out, sizeof out) == AC_OK) {
		check_grammar(out);
		check_fixed_point(out);
		if (!clean(s) || strpbrk(strstr(s, "://") + 3, "/?#@\\"))
			abort();
		check_same_text(s, out);
		if (origin_of_url(s, out2, sizeof out2) != AC_OK || strcmp(out, out2) != 0)
			abort();
	} else if (out[0] != '\0') {
		abort();
	}

	if (origin_of_url(s, out, sizeof out) == AC_OK) {
		const char *auth;

		check_grammar(out);
		check_fixed_point(out);
		if (!clean(s))
			abort();
		auth = strstr(s, "://") + 3;
		al = strcspn(auth, "/?#");
		if (memchr(auth, '@', al) || memchr(auth, '\\', al))
			abort();
		memcpy(url, s, (size_t)(auth - s) + al);
		url[(auth - s) + al] = '\0';
		if (origin_canonical(url, out2, sizeof out2) != AC_OK || strcmp(out, out2) != 0)
			abort();
	}

	if (origin_from_host(scheme, s, out, sizeof out) == AC_OK) {
		check_grammar(out);
		check_fixed_point(out);
		if (!clean(s) || strpbrk(s, "/?#@\\") || strncmp(out, scheme, strlen(scheme)) != 0 ||
		    out[strlen(scheme)] != ':')
			abort();
		strcpy(url, scheme);
		strcat(url, "://");
		strcat(url, s);
		if (origin_canonical(url, out2, sizeof out2) != AC_OK || strcmp(out, out2) != 0)
			abort();
	}
done:
	free(s);
	free(url);
	return 0;
}
