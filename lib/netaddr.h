/* IP address parsing, CIDR ranges, and the rate-limit subject of a client address (API.md §1.11). */
#ifndef AUTHCGI_NETADDR_H
#define AUTHCGI_NETADDR_H

#include <stddef.h>

/* An address or CIDR range. IPv4 is stored as family 4 with 4 bytes, IPv6 as family 6 with 16. */
struct addr_range {
	int family;               /* 4 or 6 */
	unsigned char bytes[16];
	unsigned prefix;          /* 0..32 or 0..128; a bare address has the full prefix */
};

/* Parses "1.2.3.4", "2001:db8::1", or with "/N". Returns 0 or AC_EINVAL. IPv4-mapped IPv6 is kept as IPv6. */
int addr_parse_range(const char *s, struct addr_range *out);
/* Parses a bare address (no prefix). Returns 0 or AC_EINVAL. */
int addr_parse(const char *s, struct addr_range *out);
/* 1 when addr (a bare address) lies within any of the n ranges. */
int addr_in_ranges(const struct addr_range *addr, const struct addr_range *ranges, size_t n);
/*
 * The rate-limit subject of a client address: IPv4 whole ("203.0.113.7"), IPv6 by /64 prefix
 * ("2001:db8:1:2::/64", canonical lowercase). Writes a NUL-terminated string into out.
 * Returns 0 or AC_EINVAL.
 */
int addr_rate_subject(const struct addr_range *addr, char *out, size_t outlen);
/* Canonical text of a bare address (inet_ntop form). Returns 0 or AC_EINVAL. */
int addr_format(const struct addr_range *addr, char *out, size_t outlen);

/*
 * One X-Forwarded-For entry, len bytes at s (§1.11): trimmed of spaces and tabs, then
 * "a.b.c.d:port", "[v6]:port", "[v6]" and an IPv6 zone ("%eth0") are reduced to the bare
 * address. A port is 1 to 5 digits, at most 65535; a zone is 1 to 32 letters, digits, '.',
 * '_' or '-'. Returns 0 or AC_EINVAL (anything else, an empty entry included).
 */
int addr_parse_forwarded(const char *s, size_t len, struct addr_range *out);

/*
 * The client address behind a trusted peer (§1.11): walks the X-Forwarded-For value xff from
 * the right, skipping empty entries and entries within the n trusted ranges. The first other
 * entry that is an address is the client. An entry that is not an address ends the walk, and
 * the client is then the last trusted hop: the last skipped entry, or peer when none was.
 * Returns 0 with *out set, or AC_ENOTFOUND when xff is NULL, empty or only trusted entries.
 */
int addr_forwarded_client(const char *xff, const struct addr_range *peer,
			  const struct addr_range *trusted, size_t n, struct addr_range *out);

#endif
