/*
 * libFuzzer harness for lib/netaddr.c and the X-Forwarded-For walk (API.md §1.11). The input
 * is "TRUSTED\0XFF" (without a NUL: XFF alone, trusted 10.0.0.0/8 and fd00::/8). Checks:
 *   - addr_parse agrees with inet_pton; what addr_parse_range accepts has a prefix within the
 *     family's bits, no host bits, and round-trips through its text form;
 *   - a forwarded entry that addr_parse_forwarded accepts reduces to an address whose text
 *     form round-trips through inet_pton to the same bytes, and that an independent reading of
 *     the entry (trim; "[...]" or the part before a single ':'; without "%zone") gives too;
 *     an entry whose core inet_pton refuses is never accepted;
 *   - the walk (addr_forwarded_client) gives what a plain left-to-right split gives: the
 *     rightmost entry that is not trusted, the last trusted hop when an entry is not an
 *     address, or "not found" when every entry is trusted or empty;
 *   - req_resolve_client behind a trusted peer knows the client exactly when the walk found
 *     one, with a client_ip that inet_pton reads and a /64 subject only for IPv6.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "err.h"
#include "netaddr.h"
#include "req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXR 8

static const char *peer_text, *xff_text;

static const char *param(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "REMOTE_ADDR") == 0)
		return peer_text;
	if (strcmp(name, "HTTP_X_FORWARDED_FOR") == 0)
		return xff_text;
	return NULL;
}

static int same_addr(const struct addr_range *a, const struct addr_range *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}

/* The address text round-trips through inet_pton to the same bytes. */
static void check_round_trip(const struct addr_range *a)
{
	char text[64];
	unsigned char bin[16];

	if ((a->family != 4 && a->family != 6) || addr_format(a, text, sizeof text) != AC_OK ||
	    inet_pton(a->family == 4 ? AF_INET : AF_INET6, text, bin) != 1 ||
	    memcmp(bin, a->bytes, a->family == 4 ? 4 : 16) != 0)
		abort();
	if (addr_rate_subject(a, text, sizeof text) != AC_OK || !text[0])
		abort();
}

/* A port: 1 to 5 digits, at most 65535. */
static int ref_port(const char *p, size_t n)
{
	unsigned long v = 0;

	if (n < 1 || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v <= 65535;
}

/*
 * §1.11 read independently: the bare address inside an entry, or 0 when there is none (and then
 * the entry must be refused): "[" address "]" with nothing or ":" port after it, an IPv4 address
 * with ":" port, a "%zone" that is not empty and only on IPv6.
 */
static int ref_core(const char *s, size_t len, char *out, size_t outlen)
{
	const char *e;
	size_t colons = 0;

	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len && *s == '[') {
		size_t after;

		e = memchr(s, ']', len);
		if (!e)
			return 0;
		after = (size_t)(s + len - e) - 1;
		if (after && (e[1] != ':' || !ref_port(e + 2, after - 1)))
			return 0;
		len = (size_t)(e - s) - 1;
		s++;
	} else {
		for (size_t i = 0; i < len; i++)
			colons += s[i] == ':';
		if (colons == 1) {
			const char *c = memchr(s, ':', len);

			if (!ref_port(c + 1, (size_t)(s + len - c) - 1))
				return 0;
			len = (size_t)(c - s);
		}
	}
	e = memchr(s, '%', len);
	if (e) {
		if (e + 1 == s + len || !memchr(s, ':', (size_t)(e - s)))
			return 0;
		len = (size_t)(e - s);
	}
	if (len == 0 || len >= outlen)
		return 0;
	memcpy(out, s, len);
	out[len] = '\0';
	return 1;
}

static void check_entry(const char *s, size_t len)
{
	struct addr_range a;
	char core[64], *z;
	unsigned char bin[16];
	int ok = addr_parse_forwarded(s, len, &a) == AC_OK;
	int v6;

	if (!ref_core(s, len, core, sizeof core)) {
		if (ok)
			abort();
		return;
	}
	v6 = strchr(core, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, core, bin) != 1) {
		if (ok)
			abort();
		return;
	}
	if (!ok)
		return; /* a bad port or zone, a stray character: refused, fine */
	check_round_trip(&a);
	if (a.family != (v6 ? 6 : 4) || memcmp(a.bytes, bin, v6 ? 16 : 4) != 0)
		abort();
	/* an accepted entry holds no comma, control character, space inside or non-ASCII */
	z = malloc(len + 1);
	if (!z)
		return;
	memcpy(z, s, len);
	z[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (z[i] == ',' || (unsigned char)z[i] >= 0x7F || ((unsigned char)z[i] < 0x20 && z[i] != '\t'))
			abort();
	free(z);
}

/* The walk, done with a left-to-right split of the entries. */
static int ref_walk(const char *xff, const struct addr_range *peer, const struct addr_range *tr,
		    size_t n, struct addr_range *out)
{
	const char *starts[1024];
	size_t lens[1024], k = 0;
	const char *p = xff;
	struct addr_range hop = *peer, e;

	for (;;) {
		const char *c = strchr(p, ',');

		if (k == 1024)
			return -1;
		starts[k] = p;
		lens[k++] = c ? (size_t)(c - p) : strlen(p);
		if (!c)
			break;
		p = c + 1;
	}
	while (k--) {
		size_t i = 0;

		while (i < lens[k] && (starts[k][i] == ' ' || starts[k][i] == '\t'))
			i++;
		if (i == lens[k])
			continue;
		if (addr_parse_forwarded(starts[k], lens[k], &e) != AC_OK) {
			*out = hop;
			return AC_OK;
		}
		if (!addr_in_ranges(&e, tr, n)) {
			*out = e;
			return AC_OK;
		}
		hop = e;
	}
	return AC_ENOTFOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_range tr[MAXR], peer, got, want;
	const uint8_t *nul = memchr(data, '\0', size);
	char *buf, *list, *xff, *p;
	size_t n = 0;
	struct cfg cfg;
	struct req r;
	int rc, rrc;

	if (size > 4096)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (nul) {
		list = buf;
		xff = buf + (nul - data) + 1;
	} else {
		list = NULL;
		xff = buf;
	}
	/* the trusted ranges, each checked */
	if (list) {
		for (p = strtok(list, ","); p && n < MAXR; p = strtok(NULL, ",")) {
			struct addr_range a, b;
			char text[80];
			unsigned char bin[16];

			if (addr_parse(p, &a) == AC_OK) {
				if (inet_pton(a.family == 4 ? AF_INET : AF_INET6, p, bin) != 1 ||
				    memcmp(bin, a.bytes, a.family == 4 ? 4 : 16) != 0)
					abort();
				check_round_trip(&a);
			} else if (!strchr(p, '/') && strlen(p) < 46 &&
				   inet_pton(strchr(p, ':') ? AF_INET6 : AF_INET, p, bin) == 1) {
				abort();
			}
			if (addr_parse_range(p, &a) != AC_OK)
				continue;
			if (a.prefix > (a.family == 4 ? 32u : 128u))
				abort();
			for (unsigned bit = a.prefix; bit < (a.family == 4 ? 32u : 128u); bit++)
				if (a.bytes[bit / 8] & (0x80 >> (bit % 8)))
					abort();
			if (addr_format(&a, text, 64) != AC_OK)
				abort();
			snprintf(text + strlen(text), 16, "/%u", a.prefix);
			if (addr_parse_range(text, &b) != AC_OK || !same_addr(&a, &b) || a.prefix != b.prefix)
				abort();
			tr[n++] = a;
		}
	} else {
		addr_parse_range("10.0.0.0/8", &tr[n++]);
		addr_parse_range("fd00::/8", &tr[n++]);
	}
	if (n == 0)
		goto out;

	/* each entry on its own */
	for (const char *s = xff;;) {
		const char *c = strchr(s, ',');

		check_entry(s, c ? (size_t)(c - s) : strlen(s));
		if (!c)
			break;
		s = c + 1;
	}
	check_entry(xff, strlen(xff));

	/* the walk against the plain split, from a trusted peer */
	peer = tr[0];
	rc = addr_forwarded_client(xff, &peer, tr, n, &got);
	rrc = ref_walk(xff, &peer, tr, n, &want);
	if (rrc == -1)
		goto out;
	if (rc != rrc || (rc == AC_OK && !same_addr(&got, &want)))
		abort();
	if (rc == AC_OK)
		check_round_trip(&got);

	/* the same through req_resolve_client */
	{
		char ptext[64];

		if (addr_format(&peer, ptext, sizeof ptext) != AC_OK)
			abort();
		memset(&cfg, 0, sizeof cfg);
		cfg.trusted_proxies = tr;
		cfg.n_trusted_proxies = n;
		peer_text = ptext;
		xff_text = xff;
		req_from_lookup(&r, param, NULL);
		req_resolve_client(&r, &cfg);
		if (r.client_known != (rc == AC_OK))
			abort();
		if (r.client_known) {
			unsigned char bin[16];
			size_t sl = strlen(r.client_subject);
			int six = got.family == 6 &&
				  !(memcmp(got.bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0);

			if (inet_pton(got.family == 4 ? AF_INET : AF_INET6, r.client_ip, bin) != 1 ||
			    memcmp(bin, got.bytes, got.family == 4 ? 4 : 16) != 0)
				abort();
			if (six != (sl > 3 && strcmp(r.client_subject + sl - 3, "/64") == 0))
				abort();
		}
		req_free(&r);
	}
out:
	free(buf);
	return 0;
}
