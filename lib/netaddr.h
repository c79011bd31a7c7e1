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

#endif
