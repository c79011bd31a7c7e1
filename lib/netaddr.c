/* IP address parsing, CIDR ranges, and the rate-limit subject of a client address (API.md §1.11). */
#include "netaddr.h"
#include "err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const unsigned char v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int addr_parse(const char *s, struct addr_range *out)
{
	size_t len;

	if (!s || !out)
		return AC_EINVAL;
	len = strlen(s);
	/* INET6_ADDRSTRLEN (46) bounds every textual address inet_pton accepts. */
	if (len == 0 || len >= INET6_ADDRSTRLEN)
		return AC_EINVAL;
	memset(out, 0, sizeof *out);
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, out->bytes) != 1)
			return AC_EINVAL;
		out->family = 6;
		out->prefix = 128;
	} else {
		if (inet_pton(AF_INET, s, out->bytes) != 1)
			return AC_EINVAL;
		out->family = 4;
		out->prefix = 32;
	}
	return AC_OK;
}

/* Clears every bit after the first prefix bits. */
static void mask_host_bits(unsigned char *bytes, size_t nbytes, unsigned prefix)
{
	for (size_t i = 0; i < nbytes; i++) {
		unsigned bit = (unsigned)i * 8;

		if (bit >= prefix)
			bytes[i] = 0;
		else if (prefix - bit < 8)
			bytes[i] &= (unsigned char)(0xff << (8 - (prefix - bit)));
	}
}

int addr_parse_range(const char *s, struct addr_range *out)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash;
	unsigned prefix = 0, max;
	size_t alen;

	if (!s || !out)
		return AC_EINVAL;
	slash = strchr(s, '/');
	if (!slash)
		return addr_parse(s, out);
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof buf)
		return AC_EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (addr_parse(buf, out) != AC_OK)
		return AC_EINVAL;
	max = out->family == 4 ? 32 : 128;
	slash++;
	if (*slash == '\0' || strlen(slash) > 3)
		return AC_EINVAL;
	for (const char *p = slash; *p; p++) {
		if (*p < '0' || *p > '9')
			return AC_EINVAL;
		prefix = prefix * 10 + (unsigned)(*p - '0');
	}
	if (prefix > max)
		return AC_EINVAL;
	out->prefix = prefix;
	mask_host_bits(out->bytes, out->family == 4 ? 4 : 16, prefix);
	return AC_OK;
}

/* 1 when the first prefix bits of a and b are equal. */
static int prefix_equal(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static int is_v4mapped(const struct addr_range *a)
{
	return a->family == 6 && memcmp(a->bytes, v4mapped_prefix, sizeof v4mapped_prefix) == 0;
}

/*
 * An IPv4-mapped IPv6 address ("::ffff:192.0.2.1", as a dual-stack server reports IPv4
 * clients) also matches IPv4 ranges through its embedded address. Otherwise IPv4 never
 * matches IPv6 ranges nor the reverse.
 */
int addr_in_ranges(const struct addr_range *addr, const struct addr_range *ranges, size_t n)
{
	if (!addr || (!ranges && n > 0))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct addr_range *r = &ranges[i];

		if (r->family == addr->family) {
			if (r->prefix <= (r->family == 4 ? 32u : 128u) &&
			    prefix_equal(addr->bytes, r->bytes, r->prefix))
				return 1;
		} else if (r->family == 4 && is_v4mapped(addr)) {
			if (r->prefix <= 32 && prefix_equal(addr->bytes + 12, r->bytes, r->prefix))
				return 1;
		}
	}
	return 0;
}

int addr_format(const struct addr_range *addr, char *out, size_t outlen)
{
	char buf[INET6_ADDRSTRLEN];
	size_t len;

	if (!out || outlen == 0)
		return AC_EINVAL;
	out[0] = '\0';
	if (!addr)
		return AC_EINVAL;
	if (addr->family == 4) {
		if (!inet_ntop(AF_INET, addr->bytes, buf, sizeof buf))
			return AC_EINVAL;
	} else if (addr->family == 6) {
		if (!inet_ntop(AF_INET6, addr->bytes, buf, sizeof buf))
			return AC_EINVAL;
	} else {
		return AC_EINVAL;
	}
	len = strlen(buf);
	if (len >= outlen)
		return AC_EINVAL;
	memcpy(out, buf, len + 1);
	return AC_OK;
}

/*
 * IPv4 whole; IPv6 by its /64 network. An IPv4-mapped IPv6 address is keyed by its IPv4
 * address: otherwise every IPv4 client of a dual-stack server would share "::/64".
 */
int addr_rate_subject(const struct addr_range *addr, char *out, size_t outlen)
{
	struct addr_range net;
	char buf[INET6_ADDRSTRLEN];
	int n;

	if (!out || outlen == 0)
		return AC_EINVAL;
	out[0] = '\0';
	if (!addr)
		return AC_EINVAL;
	if (addr->family == 4)
		return addr_format(addr, out, outlen);
	if (addr->family != 6)
		return AC_EINVAL;
	memset(&net, 0, sizeof net);
	if (is_v4mapped(addr)) {
		net.family = 4;
		net.prefix = 32;
		memcpy(net.bytes, addr->bytes + 12, 4);
		return addr_format(&net, out, outlen);
	}
	net.family = 6;
	net.prefix = 64;
	memcpy(net.bytes, addr->bytes, 8);
	if (!inet_ntop(AF_INET6, net.bytes, buf, sizeof buf))
		return AC_EINVAL;
	n = snprintf(out, outlen, "%s/64", buf);
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return AC_EINVAL;
	}
	return AC_OK;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 0..65535 as 1 to 5 digits (leading zeros allowed, as in "080"). */
static int valid_port(const char *p, size_t len)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(p[i]))
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v <= 65535;
}

/* An interface name or number after '%': what Linux, the BSDs and Windows use. */
static int valid_zone(const char *z, size_t len)
{
	if (len == 0 || len > 32)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = z[i];

		if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* A bare IPv6 address with an optional zone, len bytes at s, into out. */
static int parse_v6_zoned(const char *s, size_t len, struct addr_range *out)
{
	char buf[INET6_ADDRSTRLEN];
	const char *pct = memchr(s, '%', len);
	size_t alen = pct ? (size_t)(pct - s) : len;

	if (pct && !valid_zone(pct + 1, len - alen - 1))
		return AC_EINVAL;
	if (alen == 0 || alen >= sizeof buf || !memchr(s, ':', alen))
		return AC_EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (addr_parse(buf, out) != AC_OK || out->family != 6)
		return AC_EINVAL;
	return AC_OK;
}

int addr_parse_forwarded(const char *s, size_t len, struct addr_range *out)
{
	char buf[INET6_ADDRSTRLEN];
	const char *colon;

	if (!s || !out)
		return AC_EINVAL;
	while (len > 0 && is_ows(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_ows(s[len - 1]))
		len--;
	if (len == 0 || memchr(s, '\0', len))
		return AC_EINVAL;
	if (s[0] == '[') {
		/* "[v6]" or "[v6]:port", the address possibly with a zone */
		const char *close = memchr(s, ']', len);
		size_t inner;

		if (!close)
			return AC_EINVAL;
		inner = (size_t)(close - s) - 1;
		if (close + 1 != s + len &&
		    (close[1] != ':' || !valid_port(close + 2, (size_t)(s + len - close - 2))))
			return AC_EINVAL;
		return parse_v6_zoned(s + 1, inner, out);
	}
	colon = memchr(s, ':', len);
	if (colon && memchr(colon + 1, ':', (size_t)(s + len - colon - 1)))
		return parse_v6_zoned(s, len, out); /* two or more colons: IPv6 */
	if (colon) {
		/* "a.b.c.d:port" */
		if (!valid_port(colon + 1, (size_t)(s + len - colon - 1)))
			return AC_EINVAL;
		len = (size_t)(colon - s);
	}
	if (len == 0 || len >= sizeof buf)
		return AC_EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (addr_parse(buf, out) != AC_OK || out->family != 4)
		return AC_EINVAL;
	return AC_OK;
}

int addr_forwarded_client(const char *xff, const struct addr_range *peer,
			  const struct addr_range *trusted, size_t n, struct addr_range *out)
{
	struct addr_range entry, hop;
	size_t end;

	if (!xff || !peer || !out)
		return AC_ENOTFOUND;
	hop = *peer;
	end = strlen(xff);
	for (;;) {
		size_t start = end, a;

		while (start > 0 && xff[start - 1] != ',')
			start--;
		for (a = start; a < end && is_ows(xff[a]); a++)
			;
		if (a < end) {
			if (addr_parse_forwarded(xff + start, end - start, &entry) != AC_OK) {
				*out = hop; /* not an address: the last trusted hop is the client */
				return AC_OK;
			}
			if (!addr_in_ranges(&entry, trusted, n)) {
				*out = entry;
				return AC_OK;
			}
			hop = entry;
		}
		if (start == 0)
			break;
		end = start - 1;
	}
	return AC_ENOTFOUND;
}
