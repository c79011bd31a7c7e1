/* E-mail address validation, normalisation and the rate-limit subject hash (API.md §2.6, §1.12). */
#include "email.h"
#include "crypto.h"
#include "err.h"
#include "log.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LABEL_MAX 63
#define SUBJECT_STACK 1024

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Finds the trimmed span of s: *start and the length. */
static size_t trim_span(const char *s, const char **start)
{
	size_t len;

	while (is_space(*s))
		s++;
	len = strlen(s);
	while (len > 0 && is_space(s[len - 1]))
		len--;
	*start = s;
	return len;
}

/* The atext of RFC 5322 §3.2.3. */
static int is_atext(char c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

static int dot_atom(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext(s[i])) {
			return 0;
		}
	}
	return 1;
}

/* At least two labels of 1-63 [A-Za-z0-9-], no '-' at either end, the last one >= 2 long. */
static int hostname(const char *s, size_t len)
{
	size_t labels = 0, i = 0;

	while (i <= len) {
		size_t j = i;

		while (j < len && s[j] != '.')
			j++;
		if (j == i || j - i > LABEL_MAX || s[i] == '-' || s[j - 1] == '-')
			return 0;
		for (size_t k = i; k < j; k++)
			if (!is_alnum(s[k]) && s[k] != '-')
				return 0;
		labels++;
		if (j == len)
			return labels >= 2 && j - i >= 2;
		i = j + 1;
	}
	return 0;
}

/*
 * "[192.0.2.1]" or an IPv6 literal. The RFC 5321 tag "IPv6:" (any case) is accepted but not
 * required, because Django's validator, which the original backend used, takes a bare
 * "[2001:db8::1]" too. inet_pton is strict: dotted quad only, no leading zeros.
 */
static int address_literal(const char *s, size_t len)
{
	char buf[64];
	unsigned char addr[16];
	const char *p;
	size_t n;

	if (len < 2 || s[0] != '[' || s[len - 1] != ']')
		return 0;
	p = s + 1;
	n = len - 2;
	if (n >= 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		n -= 5;
		if (n == 0 || n >= sizeof buf)
			return 0;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return inet_pton(AF_INET6, buf, addr) == 1;
	}
	if (n == 0 || n >= sizeof buf)
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

int email_normalize(const char *in, char out[EMAIL_MAX + 1])
{
	const char *s, *at = NULL;
	size_t len, local, dlen;

	if (!in)
		return AC_EINVAL;
	len = trim_span(in, &s);
	if (len < 3 || len > EMAIL_MAX)
		return AC_EINVAL;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return AC_EINVAL;
		if (s[i] == '@')
			at = s + i;
	}
	if (!at)
		return AC_EINVAL;
	local = (size_t)(at - s);
	dlen = len - local - 1;
	if (!dot_atom(s, local))
		return AC_EINVAL;
	if (!(dlen == 9 && strncasecmp(at + 1, "localhost", 9) == 0) && !hostname(at + 1, dlen) &&
	    !address_literal(at + 1, dlen))
		return AC_EINVAL;
	memmove(out, s, local + 1);  /* out may be in */
	for (size_t i = local + 1; i < len; i++)
		out[i] = lower(s[i]);
	out[len] = '\0';
	return AC_OK;
}

int email_trim(const char *in, char *out, size_t outlen)
{
	const char *s;
	size_t len;

	if (!in || !out)
		return AC_EINVAL;
	len = trim_span(in, &s);
	if (len >= outlen)
		return AC_EINVAL;
	memcpy(out, s, len);
	out[len] = '\0';
	return AC_OK;
}

void email_subject_hash(const char *in, char out[65])
{
	char stackbuf[SUBJECT_STACK], *buf = stackbuf;
	const char *s;
	size_t len = trim_span(in ? in : "", &s);

	if (len > sizeof stackbuf && !(buf = malloc(len))) {
		/* Only an over-long address (never a valid one) can land here: hash it as given. */
		log_error("email: out of memory hashing a %zu-byte address", len);
		sec_sha256_hex(s, len, out);
		return;
	}
	stackbuf[0] = '\0';  /* len may be 0 */
	for (size_t i = 0; i < len; i++)
		buf[i] = lower(s[i]);
	sec_sha256_hex(buf, len, out);
	if (buf != stackbuf)
		free(buf);
}
